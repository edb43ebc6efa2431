"""Snapshots of each screen at 80x24 and 120x40, in Chinese and in English (pytest --snapshot-update to accept)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from callassist.tui.speech import SpeechStatus
from tests.test_tui_call import wait_for
from tests.tui_support import app as make_app
from tests.tui_support import make_record

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
LANGS = ["zh", "en"]
AGENT = {"zh": "再不还我们就打电话给你爸妈", "en": "If you don't pay today we will call your employer"}
ME = {"zh": "我：我失业了，想协商分期还款", "en": "me: I lost my job and I want a payment plan"}
REPLY = {
    "zh": "请问您贵姓，工号多少？我想协商分期还款。",
    "en": "Who am I speaking with, and what is your company's mailing address?",
}


def still(app) -> None:
    """No blinking cursors: the picture must be the same every time."""
    for box in app.screen.query(Input):
        box.cursor_blink = False


def no_model() -> SpeechStatus:
    return SpeechStatus()


@pytest.fixture
def records(tmp_path):
    root = tmp_path / "records"
    make_record(root, "zh", minutes=0)
    make_record(root, "en", minutes=30)
    return root


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_home(snap_compare, lang, size):
    app = make_app(lang, Path("transcripts"), typed=False, probe=no_model)

    async def ready(pilot):
        await wait_for(pilot, lambda: app.speech_status is not None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_call(snap_compare, lang, size, tmp_path):
    app = make_app(lang, tmp_path / "records")

    async def call(pilot):
        from callassist.tui.widgets.suggestion import SuggestionCard

        await pilot.press("c", "enter")
        await wait_for(pilot, lambda: getattr(app.screen, "session", None) is not None)
        screen = app.screen
        card = screen.query_one(SuggestionCard)
        for line in (ME[lang], AGENT[lang]):
            screen.query_one("#typed", Input).value = line
            await pilot.press("enter")
        await wait_for(pilot, lambda: card.match is not None)
        still(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=call)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_rehearsal(snap_compare, lang, size, tmp_path):
    app = make_app(lang, tmp_path / "records")

    async def rehearse(pilot):
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ChoiceDialog")
        await pilot.press("enter")
        screen = app.screen
        await wait_for(pilot, lambda: screen.rehearsal is not None and not screen.busy)
        screen.query_one("#reh-reply", Input).value = REPLY[lang]
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.busy and len(screen.rehearsal.history) == 1)
        still(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=rehearse)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_review_list(snap_compare, lang, size, records):
    app = make_app(lang, records)

    async def review(pilot):
        await pilot.press("v")
        await wait_for(pilot, lambda: len(getattr(app.screen, "summaries", [])) == 2)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=review)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
def test_record_view(snap_compare, lang, size, records):
    app = make_app(lang, records)

    async def open_record(pilot):
        await pilot.press("v")
        await wait_for(pilot, lambda: len(getattr(app.screen, "summaries", [])) == 2)
        if lang == "zh":
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: getattr(app.screen, "record", None) is not None)
        await pilot.press("right_square_bracket")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_record)


@pytest.mark.parametrize("lang", LANGS)
def test_call_light_theme(snap_compare, lang, tmp_path):
    from callassist.tui.app import CallAssist
    from tests.tui_support import services

    app = CallAssist(services(lang, tmp_path / "records"), theme="textual-light")

    async def call(pilot):
        from callassist.tui.widgets.suggestion import SuggestionCard

        await pilot.press("c", "enter")
        await wait_for(pilot, lambda: getattr(app.screen, "session", None) is not None)
        card = app.screen.query_one(SuggestionCard)
        for text in (ME[lang], AGENT[lang]):
            app.screen.query_one("#typed", Input).value = text
            await pilot.press("enter")
        await wait_for(pilot, lambda: card.match is not None)
        await pilot.press("escape")  # the call's keys in the footer
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=call)

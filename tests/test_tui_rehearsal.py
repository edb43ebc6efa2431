"""Pilot tests of rehearsal: pick a scenario, reply line by line, feedback after each, a report saved as a record."""

from __future__ import annotations

import pytest

from callassist.tui.screens.rehearsal import RehearsalScreen
from callassist.tui.widgets.transcript import Transcript
from tests.test_tui_call import wait_for
from tests.tui_support import app as make_app

REPLIES = {
    "en": [
        "Who am I speaking with, and what is your company's mailing address?",
        "I won't confirm anything until you send me the validation notice in writing.",
        "I was laid off and I can pay 200 a month for 24 months.",
        "Please put that plan in writing. I will not give my card number on the phone.",
    ]
    * 3,
    "zh": [
        "请问您贵姓，工号多少？",
        "我不是不还，我失业了，收入减少，想协商分期还款。",
        "我每月最多能还一千元，申请分二十四期，减免罚息。",
        "请把方案发短信给我，我不会给你家人的电话。",
    ]
    * 3,
}


async def start_rehearsal(pilot) -> RehearsalScreen:
    """r (from home, or again from a finished rehearsal), Enter on the first scenario: the screen once it has started."""
    app = pilot.app
    await pilot.press("r")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ChoiceDialog")
    await pilot.pause(0.1)
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, RehearsalScreen)
    await wait_for(pilot, lambda: screen.rehearsal is not None and not screen.busy)
    return screen


async def run_rehearsal(pilot, lang: str) -> RehearsalScreen:
    screen = await start_rehearsal(pilot)
    for reply in REPLIES[lang]:
        if screen.rehearsal.finished:
            break
        box = screen.query_one("#reh-reply")
        box.value = reply
        box.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.busy)
        feedback = str(screen.query_one("#reh-feedback").content)
        assert feedback.strip()
    return screen


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_rehearsal_to_report(tmp_path, lang):
    from callassist import record

    app = make_app(lang, tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await run_rehearsal(pilot, lang)
        if not screen.rehearsal.finished:
            await pilot.press("escape", "x")
        await wait_for(pilot, lambda: screen.report is not None)
        assert 0 <= screen.report.score <= 100
        text = str(screen.query_one("#reh-feedback").content)
        assert str(screen.report.score) in text
        talk = screen.query_one(Transcript)
        assert [e.speaker for e in talk.entries[:2]] == ["agent", "me"]
        folder = screen.folder
    rec = record.load(folder)
    assert rec.status == record.VERIFIED
    assert rec.header["mode"] == "rehearsal"
    assert any(e["type"] == "system" and e.get("kind") == "rehearsal-report" for e in rec.events)


async def test_hint_and_stop_early(tmp_path):
    app = make_app("en", tmp_path / "records")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_rehearsal(pilot)
        await pilot.press("escape", "h")
        assert "Suggested" in str(screen.query_one("#reh-feedback").content)
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.report is not None)
        assert not screen.report.finished
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RehearsalScreen))


async def test_after_the_report_the_footer_offers_again_and_the_next_rehearsal_is_fresh(tmp_path):
    """After the report the footer shows r (again), not i / h / x, which do nothing then; the next rehearsal's
    right pane is titled feedback again, not report, and its footer has i / h / x back."""
    from callassist.tui.strings import translator

    t = translator("zh")
    app = make_app("zh", tmp_path / "records")

    def footer_keys() -> set[str]:
        return {k.key for k in app.screen.query("FooterKey")}

    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_rehearsal(pilot)
        pane = screen.query_one("#reh-feedback-pane")
        await pilot.press("escape", "x")  # stopped early: the report comes from a thread, after the key
        await wait_for(pilot, lambda: screen.report is not None)
        await pilot.pause(0.2)
        await wait_for(pilot, lambda: "r" in footer_keys(), 5)
        assert not {"i", "h", "x"} & footer_keys(), footer_keys()
        assert pane.border_title == t("reh.report")
        assert await start_rehearsal(pilot) is screen
        assert pane.border_title == t("reh.feedback")
        await pilot.press("escape")
        await wait_for(pilot, lambda: {"i", "h", "x"} <= footer_keys(), 5)
        assert "r" not in footer_keys()


async def test_the_hint_uses_a_chinese_colon(tmp_path):
    """The hint read "建议说法: …" with an English colon on the Chinese screen."""
    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_rehearsal(pilot)
        await pilot.press("escape", "h")
        text = str(screen.query_one("#reh-feedback").content)
        assert "建议说法：" in text and "建议说法:" not in text, text

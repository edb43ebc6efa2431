"""Pilot tests of the call screen: a typed call from the first agent line to a closed, verified record."""

from __future__ import annotations

import pytest

from callassist.tui.screens.call import CallScreen
from callassist.tui.screens.ended import CallEndedScreen
from callassist.tui.widgets.suggestion import SuggestionCard
from callassist.tui.widgets.transcript import Transcript
from tests.tui_support import app as make_app


async def wait_for(pilot, predicate, timeout: float = 60.0) -> None:
    """Let the app run until predicate() holds (workers and threads report through messages)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.02)


async def start_call(pilot, **setup: str) -> CallScreen:
    await pilot.press("c")
    for value in setup.values():
        await pilot.press(*value)
        await pilot.press("tab")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CallScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.session is not None)
    return screen


async def type_line(pilot, text: str) -> None:
    await pilot.press("i")
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await pilot.press("enter")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_typed_call_end_to_end(tmp_path, lang):
    from callassist import record

    line = "We will sue you if you do not pay today" if lang == "en" else "再不还钱我们就去法院起诉你"
    app = make_app(lang, tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot, lender="Acme")
        view = screen.query_one(Transcript)
        card = screen.query_one(SuggestionCard)
        # typed agent line → a suggestion (an alert here) on the card
        screen.query_one("#typed").value = line
        await pilot.press("enter")
        await wait_for(pilot, lambda: card.match is not None)
        assert card.match.intent is not None
        assert card.has_class("-alert")
        assert any(e.text == line and e.speaker == "agent" for e in view.entries)
        # the user's own words (typed with the "me:" prefix) are recorded, not matched
        mine = "我：我失业了，想协商分期还款" if lang == "zh" else "me: I lost my job and I want a payment plan"
        screen.query_one("#typed").value = mine
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(e.speaker == "me" for e in view.entries))
        assert card.has_class("-alert")  # the agent's alert stays on the card
        # note
        await pilot.press("escape", "n")
        await pilot.press(*"asked ")  # real keys into the dialog; the rest set at once (each key waits for idle)
        app.screen.query_one("#text-input").value += "for it in writing"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(e.kind == "note" for e in view.entries))
        # bookmark the agent's last line
        await pilot.press("b")
        await wait_for(pilot, lambda: any(e.bookmarked for e in view.entries))
        # agreed term
        await pilot.press("a")
        await pilot.press(*"48", "tab", *"12", "tab")
        app.screen.query_one("#field-amount").value += "00"
        app.screen.query_one("#field-per_period").value = "400"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(e.kind == "agreed" for e in view.entries))
        # end → confirm → ended screen
        await pilot.press("e", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, CallEndedScreen))
        info = app.screen.info
    rec = record.load(info.folder)
    assert rec.status == record.VERIFIED
    assert rec.final_digest == info.final_digest
    types = [e["type"] for e in rec.events]
    for t in ("utterance", "suggestion", "alert", "note", "bookmark", "agreed", "close"):
        assert t in types, t
    agreed = next(e for e in rec.events if e["type"] == "agreed")
    assert (agreed["amount"], agreed["periods"], agreed["per_period"]) == (4800.0, 12, 400.0)
    assert rec.lender == "Acme"


@pytest.mark.parametrize("steps,expected", [(0, "unknown"), (1, "incoming"), (2, "outgoing")])
async def test_call_direction_is_chosen_not_assumed(tmp_path, steps, expected):
    """The setup form's direction starts on 'not recorded'; a form left alone records 'unknown' (not 'incoming',
    which exports and the mediation pack would hold against the lender), and each option records its value."""
    from callassist import record

    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FormDialog")
        if steps:
            app.screen.query_one("#field-direction").focus()
            await pilot.press(*["right"] * steps)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CallScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.session is not None)
        await pilot.press("escape", "e", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, CallEndedScreen))
        folder = app.screen.info.folder
    assert record.load(folder).header["direction"] == expected


async def test_transcript_keeps_following_after_a_resize(tmp_path):
    """A call started at 120x40 and shrunk to 80x24 keeps showing the newest line: the transcript, which fitted
    before the resize, does not jump to its first line and stop following."""
    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_call(pilot)
        view = screen.query_one(Transcript)
        box = screen.query_one("#typed")

        async def say(text: str) -> None:
            n = len(view.entries)
            box.value = text
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(view.entries) > n)

        for n in range(12):
            await say(f"我：第{n}句，我想协商一下分期还款的具体安排")
        await pilot.pause()
        assert view.max_scroll_y == 0  # everything fits at 120x40
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await wait_for(pilot, lambda: view.max_scroll_y > 0 and view.scroll_y >= view.max_scroll_y - 1, 5)
        await say("再不还钱我们就去法院起诉你")
        await wait_for(pilot, lambda: view.entries[-1].kind == "alert", 10)  # a line added after the reply
        await pilot.pause()
        await wait_for(pilot, lambda: view.scroll_y >= view.max_scroll_y - 1, 5)
        assert view.max_scroll_y > 0


async def test_end_of_call_exports_offer_masking(tmp_path):
    """The export keys of the end-of-call screen open review's export dialog (format highlighted, the masking
    choice under it): with masking ticked the card number is masked and the file says so in its name."""
    from textual.widgets import Checkbox, OptionList

    from callassist.tui.screens.dialogs import ChoiceDialog

    card = "6222021234567890123"
    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        view = screen.query_one(Transcript)
        screen.query_one("#typed").value = f"我：我的卡号是 {card}"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(card in e.text for e in view.entries))
        await pilot.press("escape", "e", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, CallEndedScreen))
        ended = app.screen
        # d: the dialog, on the mediation pack; masking ticked → a masked pack
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        dialog = app.screen
        options = dialog.query_one(OptionList)
        assert options.get_option_at_index(options.highlighted).id == "mediation"
        dialog.query_one("#choice-check", Checkbox).value = True
        await pilot.press("enter")
        await wait_for(pilot, lambda: ended.last_export is not None)
        assert ended.last_export.name == "mediation-redacted.md"
        assert card not in ended.last_export.read_text(encoding="utf-8")
        assert ended.last_export.stat().st_mode & 0o777 == 0o600  # like the record: the user's eyes only
        # t: the dialog on plain text; Escape exports nothing
        ended.last_export = None
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        options = app.screen.query_one(OptionList)
        assert options.get_option_at_index(options.highlighted).id == "txt"
        await pilot.press("escape")
        await pilot.pause()
        assert ended.last_export is None and app.screen is ended


async def test_the_end_of_call_gives_the_length_the_list_and_exports_give(tmp_path):
    """A call of 76.6 s read 01:16 on the end-of-call screen and 1:17 in the record list and every export."""
    from types import SimpleNamespace

    from callassist.record.export import fmt_duration

    info = SimpleNamespace(folder=tmp_path / "call", final_digest="ab" * 32, duration=76.6, audio_sha256=None)
    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(CallEndedScreen(info))
        await pilot.pause()
        shown = str(app.screen.query_one("#ended-info").content)
        assert fmt_duration(76.6) == "1:17" and "\n1:17\n" in shown, shown


async def test_unsent_typed_text_is_kept_as_a_note_when_the_call_ends(tmp_path):
    """Text left in the typing box (not sent with Enter) vanished when the call ended; the end question now shows
    it and the record keeps it as a note."""
    from callassist import record
    from callassist.tui.screens.dialogs import ConfirmDialog

    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        screen.query_one("#typed").value = "对方答应停息 [12期]"
        await pilot.press("escape", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "对方答应停息 [12期]" in app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, CallEndedScreen))
        info = app.screen.info
    rec = record.load(info.folder)
    assert rec.status == record.VERIFIED
    notes = [e["text"] for e in rec.events if e["type"] == "note"]
    assert notes == ["对方答应停息 [12期]"]


async def test_an_export_that_fails_is_named_in_the_ui_language(tmp_path):
    """The end-of-call screen showed a failed export's error as Python's English text on the Chinese screen."""
    from callassist.tui.screens.dialogs import ChoiceDialog
    from tests.tui_support import capture_notifications

    app = make_app("zh", tmp_path / "records")
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_call(pilot)
        await pilot.press("escape", "e", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, CallEndedScreen))
        (app.screen.info.folder / "export.txt").mkdir()  # the export's name is taken by a folder: it cannot be written
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(notes))
    assert "export.txt：无法写入导出的文件" in notes[-1] and "cannot write the export" not in notes[-1], notes

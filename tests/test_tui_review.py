"""Pilot tests of the review browser: list, preview, open, search, marks, verify, export, mediation pack."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, OptionList

from callassist.tui.screens.review import RecordScreen, ReviewScreen
from callassist.tui.widgets.transcript import Transcript
from tests.test_tui_call import wait_for
from tests.tui_support import app as make_app
from tests.tui_support import capture_notifications, make_record


@pytest.fixture
def records(tmp_path):
    root = tmp_path / "records"
    make_record(root, "zh", minutes=0)
    make_record(root, "zh", minutes=30)
    return root


async def open_review(pilot) -> ReviewScreen:
    await pilot.press("v")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: len(screen.summaries) == 2)
    return screen


async def test_list_preview_open_search_marks_verify_export(records):
    app = make_app("zh", records)
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        review = await open_review(pilot)
        table = review.query_one(DataTable)
        assert table.row_count == 2
        # newest first; the preview shows the first lines
        assert review.summaries[0].started > review.summaries[1].started
        await wait_for(pilot, lambda: "安心借客服" in str(review.query_one("#preview").content))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.record is not None)
        screen = app.screen
        view = screen.query_one(Transcript)
        assert any(e.kind == "alert" for e in view.entries)
        # search within the record
        await pilot.press("slash", *"个人微信", "enter")
        assert view.cursor is not None and "个人微信" in view.entries[view.cursor].text
        first = view.cursor
        await pilot.press("n")
        assert view.cursor is not None and "个人微信" in view.entries[view.cursor].text
        assert view.cursor != first or sum("个人微信" in e.text for e in view.entries) == 1
        # jump between bookmarks, alerts, notes, agreed terms
        await pilot.press("right_square_bracket")
        a = view.cursor
        await pilot.press("right_square_bracket")
        b = view.cursor
        assert a != b
        e = view.entries[b]
        assert e.kind in ("alert", "note", "agreed", "bookmark") or e.bookmarked
        await pilot.press("left_square_bracket")
        assert view.cursor == a
        # verify
        await pilot.press("v")
        await wait_for(pilot, lambda: any("验证通过" in n for n in notes))
        # export as HTML through the dialog
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: screen.last_export is not None)
        assert screen.last_export.suffix == ".html"
        assert "<html" in screen.last_export.read_text(encoding="utf-8").lower()
        # back to the list: select both, mediation pack
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("space", "space", "d")
        # the pack asks first, like every export: mediation highlighted, masking offered
        from callassist.tui.screens.dialogs import ChoiceDialog

        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        options = app.screen.query_one(OptionList)
        assert options.get_option_at_index(options.highlighted).id == "mediation"
        assert app.screen.query("#choice-check")
        await pilot.press("enter")
        await wait_for(pilot, lambda: review.last_export is not None)
        pack = review.last_export.read_text(encoding="utf-8")
        assert "被申请人" in pack and "证据" in pack


async def test_search_not_found_says_so(records):
    app = make_app("zh", records)
    notes = capture_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_review(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.record is not None)
        await pilot.press("slash", *"不存在的话", "enter")
        assert any("没有找到" in n for n in notes)


async def test_empty_records_folder(tmp_path):
    app = make_app("en", tmp_path / "none")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await wait_for(pilot, lambda: "No records yet" in str(app.screen.query_one("#preview").content))


async def test_search_across_records_filters_the_list_and_opens_at_the_hit(tmp_path):
    from tests.tui_support import EN_CALL

    root = tmp_path / "records"
    make_record(root, "zh", minutes=0)
    make_record(root, "en", minutes=30)
    make_record(root, "en", minutes=60, lines=EN_CALL[:2])
    app = make_app("en", root)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        await wait_for(pilot, lambda: len(review.summaries) == 3)
        await pilot.press("slash", *"arrested", "enter")
        await wait_for(pilot, lambda: review.needle == "arrested")
        assert len(review.summaries) == 1  # only the call where it was said
        await wait_for(pilot, lambda: "arrested" in str(review.query_one("#preview").content))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.record is not None)
        view = app.screen.query_one(Transcript)
        await wait_for(pilot, lambda: view.cursor is not None)
        assert "arrested" in view.entries[view.cursor].text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("escape")  # clears the search: every record again
        await wait_for(pilot, lambda: len(review.summaries) == 3 and review.needle == "")


def _tamper(folder, old: str, new: str) -> None:
    j = folder / "journal.jsonl"
    j.write_bytes(j.read_bytes().replace(old.encode(), new.encode(), 1))


async def _export_md(pilot, screen) -> None:
    await pilot.press("x")
    await pilot.pause()
    await pilot.press("enter")  # the first format: Markdown
    await wait_for(pilot, lambda: screen.last_export is not None)


async def test_exporting_a_broken_record_says_so_and_stamps_the_export(tmp_path):
    root = tmp_path / "records"
    folder = make_record(root, "zh")
    _tamper(folder, "对方语气很凶", "对方语气很好")
    journal = (folder / "journal.jsonl").read_bytes()
    app = make_app("zh", root)
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen) and len(app.screen.summaries) == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.record is not None)
        screen = app.screen
        await _export_md(pilot, screen)
        text = screen.last_export.read_text(encoding="utf-8")
        assert text.startswith("> **⚠ 完整性校验未通过**") and "对方语气很好" in text.split("## 未经校验的内容")[1]
        assert any("未通过校验" in n and "行" in n and str(screen.last_export) in n for n in notes), notes
    assert (folder / "journal.jsonl").read_bytes() == journal


async def test_exporting_a_record_with_a_damaged_header(tmp_path):
    root = tmp_path / "records"
    folder = make_record(root, "en")
    _tamper(folder, '"lender":"Apex Recovery"', '"lender":"Apex"')
    app = make_app("en", root)
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen) and len(app.screen.summaries) == 1)
        review = app.screen
        await _export_md(pilot, review)
        text = review.last_export.read_text(encoding="utf-8")
        assert text.startswith("> **⚠ WARNING") and "header damaged" in text and "arrested" in text
        assert any("failed verification" in n and "line 1" in n for n in notes), notes


async def test_a_call_without_a_known_length_shows_a_dash(tmp_path):
    root = tmp_path / "records"
    folder = make_record(root, "zh", minutes=0)
    journal = folder / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(lines[0].replace(b"typed", b"typeX", 1) + b"".join(lines[1:]))  # a changed header: no times
    app = make_app("zh", root)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen) and len(app.screen.summaries) == 1)
        table = app.screen.query_one(DataTable)
        assert app.screen.summaries[0].duration is None
        assert str(table.get_row_at(0)[3]) == "-"


async def test_list_durations_agree_with_callassist_list_and_the_state_fits(tmp_path, capsys):
    from rich.cells import cell_len

    from callassist.cli import main
    from callassist.session import CallSession
    from tests.record_helpers import StubMatcher, tiny_playbook

    root = tmp_path / "records"
    make_record(root, "en", mode="rehearsal")
    for n, seconds in enumerate((16.6, 36.6, 9.7)):
        s = CallSession.start(root, tiny_playbook(), matcher=StubMatcher(), lender=f"L{n}")
        s.utterance("me", "hello")
        s.close(duration=seconds)
    assert main(["list", "--transcripts", str(root)]) == 0
    listed = capsys.readouterr().out
    app = make_app("en", root)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen))
        review = pilot.app.screen
        await wait_for(pilot, lambda: len(review.summaries) == 4)
        table = review.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        shown = sorted(str(r[3]) for r in rows)
        assert shown == ["0:10", "0:17", "0:37", "1:35"]  # rounded, as `callassist list` shows them
        assert all(d in listed for d in shown), listed
        state = table.ordered_columns[5]
        words = [str(r[5]) for r in rows]
        assert "verified rehearsal" in words
        for word in words:  # the state column is as wide as its words
            assert cell_len(word) <= state.get_render_width(table) - 2 * table.cell_padding, word


async def test_the_preview_uses_chinese_colons(records):
    """The preview of a Chinese record read "对方: 王 · 8812" and "对方: 你好…" with English colons."""
    app = make_app("zh", records)
    async with app.run_test(size=(100, 30)) as pilot:
        review = await open_review(pilot)
        await wait_for(pilot, lambda: "安心借客服" in str(review.query_one("#preview").content))
        text = str(review.query_one("#preview").content)
        assert "对方：王" in text and "对方：你好" in text and ": " not in text, text


async def test_a_broken_record_shows_the_lines_after_the_break_apart(tmp_path):
    """A record with a changed line showed only the lines before it: the rest of the call (the changed line, the
    agreed term, the closing line) silently vanished from the screen. They are now listed after a marked heading,
    as the exports list them, and the file is only read."""
    root = tmp_path / "records"
    folder = make_record(root, "zh")
    _tamper(folder, "对方语气很凶", "对方语气很好")
    journal = (folder / "journal.jsonl").read_bytes()
    app = make_app("zh", root)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen) and len(app.screen.summaries) == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.record is not None)
        texts = [e.text for e in app.screen.query_one(Transcript).entries]
        heading = next(i for i, t in enumerate(texts) if "未经校验的内容" in t)
        after = " ".join(texts[heading:])
        assert "对方语气很好" in after and "我只通过官方渠道还款" in after and "约定" in after, texts
        assert not any("对方语气很好" in t for t in texts[:heading])
    assert (folder / "journal.jsonl").read_bytes() == journal

"""Chinese line breaking (禁则处理): no rendered line starts with a closing mark or ends with an opening one —
in the transcript, the suggestion card, the rehearsal panes and the talking points, at 60 and 80 columns."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from callassist.linebreak import CLOSING, OPENING, break_offsets
from callassist.tui.widgets.points import StagePoints, TalkingPoints
from callassist.tui.widgets.suggestion import SuggestionCard
from callassist.tui.widgets.transcript import Entry, Transcript
from tests.tui_support import playbook

# Punctuation every other character: wherever a line breaks, a plain cell-by-cell wrap puts a mark at the
# start of some line. The second variant is shifted by one character so both parities are covered.
DENSE = "我，你。他、她？它！（好）“是”：对；" * 6
TEXTS = [DENSE, "啊" + DENSE]
FRAME = " │┃╭╮╰╯─━▊▎▌▐▔▁"


def rendered(widget) -> list[str]:
    """The widget's lines as the user sees them (borders and padding trimmed)."""
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [strip.text.strip(FRAME) for strip in strips]


def bad_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line and (line[0] in CLOSING or line[-1] in OPENING)]


class One(App):
    def __init__(self, *widgets):
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self.widgets


# ---------------------------------------------------------------------------- the break positions


def pieces(text: str, width: int) -> list[str]:
    cuts = [0, *break_offsets(text, width), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]


def test_closing_mark_takes_the_character_before_it_to_the_next_line():
    assert pieces("我们可以先还一部分，剩下的分期还清。", 18) == ["我们可以先还一部", "分，剩下的分期还", "清。"]


def test_opening_mark_moves_down_with_what_it_opens():
    assert pieces("剩下的分期（二十四期）还清", 10) == ["剩下的分期", "（二十四", "期）还清"]
    assert pieces("他说“好的”，我们就这样。", 6) == ["他说", "“好", "的”，", "我们就", "这样。"]


def test_latin_words_wrap_as_before_and_fold_when_too_long():
    assert pieces("hello world this is a longwordthatdoesnotfit", 12) == [
        "hello world ",
        "this is a ",
        "longwordthat",
        "doesnotfit",
    ]
    assert pieces("I can pay 400, ok?", 13) == ["I can pay ", "400, ok?"]


@pytest.mark.parametrize("width", range(6, 41))  # from 6 cells the longest unbreakable run, “是”：, fits
def test_every_width_keeps_the_rules_and_the_width(width):
    from rich.cells import cell_len

    for text in TEXTS + ["分期还款：每期1800元（共24期），首期2026-12-15。OK, fine."]:
        lines = pieces(text, width)
        assert "".join(lines) == text
        assert all(cell_len(line.rstrip()) <= width for line in lines)
        assert bad_lines(lines) == []


def test_a_character_wider_than_the_line_still_moves_on():
    assert pieces("好的", 1) == ["好", "的"]


# ---------------------------------------------------------------------------- the widgets


@pytest.mark.parametrize("width", [60, 80])
async def test_transcript_lines_obey_kinsoku(width):
    view = Transcript({"agent": "对方", "me": "我"})
    async with One(view).run_test(size=(width, 30)) as pilot:
        for text in TEXTS:
            view.add(Entry("utterance", text, "agent", "12:00:00"))
            view.add(Entry("note", text))
        view.set_partial("me", DENSE)
        await pilot.pause()
        view.scroll_home(animate=False)
        await pilot.pause()
        lines = [line for line in rendered(view) if line]
        assert len(lines) > 12  # the texts did wrap
        body = [line.split(" ", 2)[-1] if line[:1].isdigit() else line for line in lines]
        assert bad_lines(body) == []


@pytest.mark.parametrize("width", [60, 80])
async def test_suggestion_card_lines_obey_kinsoku(width):
    book = playbook("zh")
    card = SuggestionCard(book, {}, lambda key, **kw: key)
    async with One(card).run_test(size=(width, 30)) as pilot:
        for text in TEXTS:
            card.set_waiting(text)
            await pilot.pause()
            lines = rendered(card.query_one("#suggestion-body"))  # a container draws its children apart
            assert sum(1 for line in lines if line) > 2
            assert bad_lines(lines) == []


@pytest.mark.parametrize("width", [60, 80])
async def test_talking_points_obey_kinsoku(width):
    stages = [StagePoints("open", "开场", tuple(TEXTS)), StagePoints("plan", "方案", ("x",))]
    points = TalkingPoints(stages)
    async with One(points).run_test(size=(width, 30)) as pilot:
        await pilot.pause()
        lines = [line.lstrip("☐☑ ") for line in rendered(points)]
        assert sum(1 for line in lines if line) > 6
        assert bad_lines(lines) == []


async def test_call_screen_at_80x24(tmp_path):
    """The real app: a typed agent line that wraps in the transcript, and whatever the card shows."""
    from callassist.tui.screens.call import CallScreen
    from tests.test_tui_call import start_call, wait_for
    from tests.tui_support import app as make_app

    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_call(pilot)
        assert isinstance(screen, CallScreen)
        view, card = screen.query_one(Transcript), screen.query_one(SuggestionCard)
        for text in ("你这个钱到底什么时候能还上？" + DENSE[:40], "啊" + DENSE[:40]):
            screen.query_one("#typed").value = text
            await pilot.press("enter")
        await wait_for(pilot, lambda: card.match is not None and len(view.entries) >= 2)
        await pilot.pause()
        lines = [line.split(" ", 2)[-1] if line[:1].isdigit() else line for line in rendered(view) if line]
        assert len(lines) >= 4
        assert bad_lines(lines) == []
        assert bad_lines(rendered(card.query_one("#suggestion-body"))) == []


def test_prose_wraps_rich_text_with_the_same_rule():
    from rich.console import Console

    from callassist.tui.widgets.prose import Wrapped

    console = Console(width=21, record=True, color_system=None)
    console.print(Wrapped(Text(DENSE)))
    lines = console.export_text().splitlines()
    assert len(lines) > 3 and bad_lines([line.rstrip() for line in lines]) == []


def test_prose_keeps_the_style_of_the_whole_text():
    from rich.console import Console
    from rich.style import Style

    from callassist.tui.widgets.prose import Wrapped

    console = Console(width=20)
    segments = list(console.render(Wrapped(Text("开场：弄清对方是谁", style=Style(bold=True, underline=True)))))
    assert [s.style.bold for s in segments if s.text.strip()] == [True]

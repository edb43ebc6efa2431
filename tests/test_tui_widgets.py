"""The app's widgets on their own: transcript (follow, partials, search, marks), status line, talking points."""

from __future__ import annotations

from textual.app import App, ComposeResult

from callassist.tui.widgets.points import StagePoints, TalkingPoints
from callassist.tui.widgets.status import clock, meter
from callassist.tui.widgets.transcript import Entry, Transcript

LONG = "很长的一句话，" * 12


class Entries:
    """A stand-in for the transcript that keeps what events.apply adds."""

    def __init__(self):
        self.entries = []

    def add(self, entry):
        self.entries.append(entry)
        return len(self.entries) - 1


class One(App):
    def __init__(self, widget):
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


async def test_transcript_follows_the_end_even_after_long_lines():
    view = Transcript({"agent": "对方", "me": "我"})
    async with One(view).run_test(size=(50, 10)) as pilot:
        for i in range(8):
            view.add(Entry("utterance", f"{i} {LONG}", "agent", "12:00:00"))
            await pilot.pause()
            assert view.scroll_y == view.max_scroll_y
        view.scroll_home(animate=False)
        await pilot.pause()
        view.add(Entry("note", "after scrolling up"))
        await pilot.pause()
        assert view.scroll_y == 0  # the user scrolled up to read: do not pull them down


async def test_partials_are_replaced_in_place_and_removed_by_the_final():
    view = Transcript({"agent": "对方", "me": "我"})
    async with One(view).run_test(size=(60, 12)) as pilot:
        view.set_partial("agent", "你这个")
        view.set_partial("agent", "你这个钱到底")
        await pilot.pause()
        assert view.partials == {"agent": "你这个钱到底"}
        lines = view.line_count
        view.add(Entry("utterance", "你这个钱到底什么时候能还上", "agent", "12:00:01"))
        await pilot.pause()
        assert view.partials == {} and view.line_count == lines  # the partial's line became the final's


async def test_find_marks_and_bookmarks():
    view = Transcript({"agent": "A", "me": "M"})
    async with One(view).run_test(size=(60, 12)) as pilot:
        view.extend(
            [
                Entry("utterance", "hello there", "agent", seq=1),
                Entry("alert", "threat", seq=2),
                Entry("utterance", "Hello again", "me", seq=3),
                Entry("note", "remember", seq=4),
            ]
        )
        await pilot.pause()
        assert view.find("hello") == 0 and view.find("hello", 1) == 2 and view.find("hello", 3) == 0
        assert view.find("hello", 1, backwards=True) == 0
        assert view.next_mark(0) == 1 and view.next_mark(2) == 3 and view.next_mark(0, backwards=True) == 3
        e = view.entries[2]
        view.update_entry(2, Entry(e.kind, e.text, e.speaker, e.at, e.seq, bookmarked=True))
        assert view.next_mark(2) == 2
        view.move_cursor(3)
        assert view.cursor == 3


def test_meter_and_clock():
    assert meter(0.0) == " " * 8 and meter(1.0) == "█" * 8 and len(meter(0.37)) == 8
    assert clock(5) == "00:05" and clock(3725) == "1:02:05"


async def test_points_tick_and_stage():
    stages = [StagePoints("a", "Open", ("ask name", "ask company")), StagePoints("b", "Offer", ("say limit",))]
    points = TalkingPoints(stages)
    async with One(points).run_test(size=(40, 12)) as pilot:
        assert points.next_open() == 0
        points.tick("a", 0)
        assert points.next_open() == 1 and points.progress() == (1, 2)
        points.focus()
        await pilot.press("down", "space")
        assert points.progress() == (2, 2) and points.next_open() is None
        points.set_stage("b")
        assert points.stage.id == "b" and points.progress() == (0, 1)


def test_system_events_are_described_in_the_ui_language():
    from callassist.tui import events as ev
    from callassist.tui.strings import translator

    event = {
        "seq": 3,
        "type": "system",
        "at": "2026-11-20T14:03:12+08:00",
        "kind": "recognizer_started",
        "source": "mixed",
        "grammar": False,
        "message": "listening",
    }
    view = Entries()
    ev.apply(view, event, translator("zh"), lang="zh")
    ev.apply(view, event, translator("en"), lang="en")
    zh, en = (e.text for e in view.entries)
    assert zh.startswith("语音识别开始") and "音源" in zh and "recognizer_started" not in zh
    assert en.startswith("recognizer_started") and "source=mixed" in en


def test_an_interrupted_call_is_described_in_the_ui_language():
    """The line marking a killed call read "interrupted" (the stored type) on Chinese and English screens alike;
    a torn last line it records went unmentioned."""
    from callassist.tui import events as ev
    from callassist.tui.strings import translator

    event = {
        "seq": 5,
        "type": "interrupted",
        "at": "2026-11-24T03:30:40+08:00",
        "reason": "no closing line",
        "torn": None,
    }
    torn = dict(event, torn={"line": 37, "bytes": 33, "sha256": "c6a3"})
    view = Entries()
    for e in (event, torn):
        ev.apply(view, e, translator("zh"), lang="zh")
    ev.apply(view, torn, translator("en"), lang="en")
    zh, zh_torn, en = (e.text for e in view.entries)
    assert "interrupted" not in zh and "中断" in zh
    assert "最后一行未写完" in zh_torn and "最后一行" not in zh
    assert en.startswith("Call interrupted") and en.endswith(
        "next started (the last line was only partly written; its size and digest are recorded)"
    )


def test_agreed_terms_use_the_punctuation_of_the_ui_language():
    """An agreed term read "减免项目: 罚息, 违约金" (English colon and comma) on Chinese screens."""
    from callassist.tui.events import agreed_text
    from callassist.tui.strings import translator

    event = {"type": "agreed", "amount": 20000.0, "periods": 12, "waived": ["罚息", "违约金"], "text": "可以分12期"}
    zh = agreed_text(event, translator("zh"))
    assert "减免项目：罚息、违约金" in zh and ": " not in zh and ", " not in zh
    en = agreed_text(dict(event, waived=["late fees", "interest"]), translator("en"))
    assert "Waived: late fees, interest" in en

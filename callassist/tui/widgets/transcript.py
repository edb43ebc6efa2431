"""A scrolling transcript drawn with the Line API, so a two-hour call stays fast to draw and to scroll."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from callassist.tui.widgets.prose import wrap

KINDS = ("utterance", "note", "bookmark", "alert", "suggestion", "agreed", "stage", "system")
MARK_KINDS = frozenset({"bookmark", "alert", "note", "agreed"})


@dataclass
class Entry:
    """One line of the transcript: something said, or a marker (note, bookmark, alert, agreed term, ...)."""

    kind: str
    text: str
    speaker: str = ""
    at: str = ""
    seq: int | None = None
    bookmarked: bool = False


class Transcript(ScrollView, can_focus=True):
    """Speakers in their own colours, markers inline, and dim partial results that are replaced in place."""

    COMPONENT_CLASSES = {
        "transcript--time",
        "transcript--agent",
        "transcript--me",
        "transcript--unknown",
        "transcript--partial",
        "transcript--note",
        "transcript--bookmark",
        "transcript--alert",
        "transcript--suggestion",
        "transcript--agreed",
        "transcript--stage",
        "transcript--system",
        "transcript--cursor",
        "transcript--found",
    }

    DEFAULT_CSS = """
    Transcript { background: $surface; scrollbar-gutter: stable; scrollbar-size-vertical: 1; }
    Transcript > .transcript--time { color: $foreground-muted; }
    Transcript > .transcript--agent { color: $text-warning; text-style: bold; }
    Transcript > .transcript--me { color: $text-primary; text-style: bold; }
    Transcript > .transcript--unknown { color: $foreground-muted; text-style: bold; }
    Transcript > .transcript--partial { color: $foreground-muted; text-style: italic; }
    Transcript > .transcript--note { color: $text-secondary; }
    Transcript > .transcript--bookmark { color: $text-accent; text-style: bold; }
    Transcript > .transcript--alert { color: $text-error; text-style: bold; }
    Transcript > .transcript--suggestion { color: $text-success; }
    Transcript > .transcript--agreed { color: $text-success; text-style: bold; }
    Transcript > .transcript--stage { color: $foreground-muted; text-style: italic; }
    Transcript > .transcript--system { color: $foreground-muted; }
    Transcript > .transcript--cursor { background: $primary-muted; text-style: bold; }
    Transcript > .transcript--found { background: $warning-muted; }
    """

    def __init__(
        self,
        labels: dict[str, str] | None = None,
        *,
        times: bool = True,
        live: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.labels = labels or {}
        self.times = times
        self.live = live  # a call or a rehearsal: keeps to the newest line, across resizes too
        self.entries: list[Entry] = []
        self.partials: dict[str, str] = {}
        self.cursor: int | None = None
        self.found: str = ""
        self._width = 0
        self._height = 0
        self._starts: list[int] = []  # first wrapped line of each entry
        self._counts: list[int] = []  # wrapped lines of each entry
        self._cache: dict[int, list[Strip]] = {}
        self._partial_strips: list[Strip] = []
        self._following = False
        self._label_width = max((cell_len(v) for v in self.labels.values()), default=4)

    # ------------------------------------------------------------------ public API

    def set_labels(self, labels: dict[str, str]) -> None:
        """Change the speaker labels (for example when the UI language changes)."""
        self.labels = labels
        self._label_width = max((cell_len(v) for v in labels.values()), default=4)
        self._rewrap()

    def add(self, entry: Entry) -> int:
        """Append an entry; keep following the end if the view was at the end. Returns its index."""
        follow = self._at_end()
        if entry.kind == "utterance":
            self.partials.pop(entry.speaker, None)
            self._wrap_partials()
        self.entries.append(entry)
        i = len(self.entries) - 1
        self._place(i)
        self._update_size()
        if follow:
            self._follow()
        self.refresh()
        return i

    def extend(self, entries: list[Entry]) -> None:
        """Append many entries at once (opening a saved record)."""
        for e in entries:
            self.entries.append(e)
            self._place(len(self.entries) - 1)
        self._update_size()
        self.refresh()

    def clear(self) -> None:
        """Remove every entry."""
        self.entries.clear()
        self.partials.clear()
        self.cursor = None
        self._rewrap()
        self.scroll_home(animate=False)

    def set_partial(self, speaker: str, text: str) -> None:
        """Show (or replace) the not-yet-final words of a speaker at the end, dimmed; empty text removes them."""
        follow = self._at_end()
        if text:
            self.partials[speaker] = text
        else:
            self.partials.pop(speaker, None)
        self._wrap_partials()
        self._update_size()
        if follow:
            self._follow()
        self.refresh()

    def update_entry(self, index: int, entry: Entry) -> None:
        """Replace an entry (a speaker switched, a bookmark added) and redraw it; later entries only shift."""
        self.entries[index] = entry
        self._cache.pop(index, None)
        if not self._width:
            return
        delta = len(self._strips(index)) - self._counts[index]
        if delta:
            self._counts[index] += delta
            for k in range(index + 1, len(self._starts)):
                self._starts[k] += delta
            self._update_size()
        self.refresh()

    def last_index(self, kind: str = "utterance", speaker: str | None = None) -> int | None:
        """Index of the last entry of a kind (and speaker), if any."""
        for i in range(len(self.entries) - 1, -1, -1):
            e = self.entries[i]
            if e.kind == kind and (speaker is None or e.speaker == speaker):
                return i
        return None

    def index_of_seq(self, seq: int) -> int | None:
        """Index of the entry made from the journal event with this sequence number."""
        for i in range(len(self.entries) - 1, -1, -1):
            if self.entries[i].seq == seq:
                return i
        return None

    def move_cursor(self, index: int | None) -> None:
        """Highlight an entry and scroll it into view (review: bookmarks, alerts, search hits)."""
        old = self.cursor
        self.cursor = index
        for i in (old, index):
            if i is not None:
                self._cache.pop(i, None)
        if index is not None and 0 <= index < len(self.entries):
            top = self._starts[index]
            height = self.scrollable_content_region.height or 1
            if not (self.scroll_y <= top < self.scroll_y + height - self._counts[index] + 1):
                self.scroll_to(y=max(0, top - height // 3), animate=False, immediate=True)
        self.refresh()

    def highlight(self, needle: str) -> None:
        """Mark every occurrence of a search term."""
        self.found = needle
        self._cache.clear()
        self.refresh()

    def find(self, needle: str, start: int = 0, backwards: bool = False) -> int | None:
        """The next entry (wrapping around) whose text contains the needle, case-insensitively."""
        if not needle or not self.entries:
            return None
        n = len(self.entries)
        low = needle.casefold()
        order = range(start, start - n, -1) if backwards else range(start, start + n)
        for k in order:
            i = k % n
            if low in self.entries[i].text.casefold():
                return i
        return None

    def next_mark(self, start: int, backwards: bool = False, kinds: frozenset[str] = MARK_KINDS) -> int | None:
        """The next bookmark, alert, note or agreed term after (or before) an index, wrapping around."""
        n = len(self.entries)
        order = range(start, start - n, -1) if backwards else range(start, start + n)
        for k in order:
            i = k % n
            e = self.entries[i]
            if e.kind in kinds or e.bookmarked:
                return i
        return None

    @property
    def line_count(self) -> int:
        """Wrapped lines, partials included."""
        done = self._starts[-1] + self._counts[-1] if self._starts else 0
        return done + len(self._partial_strips)

    # ------------------------------------------------------------------ layout and drawing

    def _at_end(self) -> bool:
        return self._following or self.scroll_y >= self.max_scroll_y - 1

    def _follow(self) -> None:
        # The new height reaches the scrollbars on the next refresh; scrolling now would stop short.
        if not self._following:
            self._following = True
            self.call_after_refresh(self._scroll_to_end)

    def _scroll_to_end(self) -> None:
        self._following = False
        self.scroll_end(animate=False, x_axis=False, immediate=True)

    def _update_size(self) -> None:
        self.virtual_size = Size(self._width, self.line_count)

    def _place(self, i: int) -> None:
        start = self._starts[-1] + self._counts[-1] if self._starts else 0
        self._starts.append(start)
        # Before the first layout the width is unknown: count one line, wrap for real on resize.
        self._counts.append(len(self._strips(i)) if self._width else 1)

    def _rewrap(self) -> None:
        self._cache.clear()
        self._starts.clear()
        self._counts.clear()
        for i in range(len(self.entries)):
            self._place(i)
        self._wrap_partials()
        self._update_size()
        self.refresh()

    def on_resize(self) -> None:
        # Whether the view showed the last line is judged with the size it had: at the new size a transcript
        # that fitted (scroll_y 0) may overflow, and would otherwise stay on its first line and stop following.
        following = self.live and (self._following or self.scroll_y >= self.line_count - self._height - 1)
        region = self.scrollable_content_region
        self._height = region.height
        if region.width != self._width:
            self._width = region.width
            self._rewrap()
        if following:
            self._following = False
            self._follow()

    def notify_style_update(self) -> None:
        """Theme or CSS changed: drop cached strips."""
        super().notify_style_update()
        if self._width:
            self._rewrap()

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"transcript--{name}", partial=True)

    def _prefix(self, e: Entry) -> Text:
        t = Text()
        if self.times:
            t.append(f" {e.at:>8} " if e.at else " " * 10, self._style("time"))
        else:
            t.append(" ")
        if e.kind == "utterance":
            label = self.labels.get(e.speaker, e.speaker)
            pad = " " * max(0, self._label_width - cell_len(label))
            t.append(label + pad + " ", self._style(e.speaker if e.speaker in ("me", "agent") else "unknown"))
        else:
            glyph = {
                "note": "✎",
                "bookmark": "★",
                "alert": "⚠",
                "suggestion": "→",
                "agreed": "✓",
                "stage": "§",
                "system": "·",
            }.get(e.kind, "·")
            pad = " " * max(0, self._label_width - 1)
            t.append(glyph + pad + " ", self._style(e.kind if e.kind in KINDS else "system"))
        return t

    def _wrap(self, prefix: Text, body: Text, style: Style | None = None) -> list[Strip]:
        width = max(self._width, 20)
        indent = prefix.cell_len
        avail = max(8, width - indent)
        console = self.app.console
        lines = wrap(body, avail)
        strips: list[Strip] = []
        blank = Segment(" " * indent)
        for n, line in enumerate(lines):
            row = Text.assemble(prefix if n == 0 else Text(" " * indent), line)
            segs = list(row.render(console, end=""))
            strip = Strip(segs).extend_cell_length(width)
            if style is not None:
                strip = strip.apply_style(style)
            strips.append(strip)
        if not strips:
            strips.append(Strip([blank], indent).extend_cell_length(width))
        return strips

    def _strips(self, i: int) -> list[Strip]:
        cached = self._cache.get(i)
        if cached is not None:
            return cached
        e = self.entries[i]
        body = Text(e.text)
        if e.kind != "utterance":
            body.stylize(self._style(e.kind if e.kind in KINDS else "system"))
        if e.bookmarked:
            body = Text.assemble(Text("★ ", self._style("bookmark")), body)
        if self.found:
            body.highlight_words([self.found], self._style("found"), case_sensitive=False)
        style = self._style("cursor") if i == self.cursor else None
        strips = self._wrap(self._prefix(e), body, style)
        self._cache[i] = strips
        return strips

    def _wrap_partials(self) -> None:
        strips: list[Strip] = []
        if self._width:
            for speaker, text in self.partials.items():
                e = Entry("utterance", text, speaker=speaker, at="")
                strips.extend(self._wrap(self._prefix(e), Text(text + " …", self._style("partial"))))
        self._partial_strips = strips

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        line = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        done = self._starts[-1] + self._counts[-1] if self._starts else 0
        if line < done:
            i = bisect_right(self._starts, line) - 1
            strips = self._strips(i)
            k = line - self._starts[i]
            strip = strips[k] if k < len(strips) else Strip.blank(width, base)
        elif line - done < len(self._partial_strips):
            strip = self._partial_strips[line - done]
        else:
            return Strip.blank(width, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base)

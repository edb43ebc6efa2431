"""Rich text wrapped at callassist.linebreak's break points (禁则处理), for every pane that shows Chinese text.

Rich and Textual wrap CJK cell by cell, so a line can start with "，" or end with "（". `wrap` is the one place
that wraps instead: the transcript calls it directly; `Wrapped` carries it into Rich tables and Statics; `Prose`
is a Static that wraps the Text it is given that way."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Lines, Text
from textual.visual import VisualType
from textual.widgets import Static

from callassist.linebreak import break_offsets


def wrap(text: Text, width: int, tab_size: int = 8) -> Lines:
    """The text's lines at a width: its own newlines kept, trailing spaces dropped, styles carried along."""
    lines = Lines()
    for line in text.split(allow_blank=True):
        if "\t" in line.plain:
            line.expand_tabs(tab_size)
        pieces = line.divide(break_offsets(line.plain, width))
        for piece in pieces:
            piece.rstrip()
        lines.extend(pieces)
    return lines


class Wrapped:
    """A Rich renderable: a Text wrapped with `wrap` at whatever width it is given."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text.plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = wrap(self.text, options.max_width, self.text.tab_size or 8)
        # join turns each line's own style into a span: render alone would drop it.
        yield from Text("\n").join(lines).render(console, end="\n")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)


class Prose(Static):
    """A Static for paragraphs: Rich Text given to it is wrapped with `wrap`; anything else is shown as is."""

    def __init__(self, content: VisualType = "", **kwargs) -> None:
        super().__init__(_wrapped(content), **kwargs)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """Show new content (Text is wrapped the Chinese way)."""
        super().update(_wrapped(content), layout=layout)


def _wrapped(content: VisualType) -> VisualType:
    return Wrapped(content) if isinstance(content, Text) else content

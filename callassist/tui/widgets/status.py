"""The call's status line: recording, timer, listening state with an input level meter, and audio dropouts."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

BARS = " ▁▂▃▄▅▆▇█"


def meter(level: float, width: int = 8) -> str:
    """A level from 0 to 1 as a bar of block characters."""
    level = min(1.0, max(0.0, level))
    cells = level * width
    full = int(cells)
    out = "█" * full
    if full < width:
        out += BARS[int((cells - full) * (len(BARS) - 1))]
    return out.ljust(width)[:width]


def clock(seconds: float) -> str:
    """Elapsed seconds as H:MM:SS or MM:SS."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class StatusBar(Widget):
    """One line: ● REC 12:34 | listening ▂▃▅ | dropouts 0 | stage 2/7 — labels come from the screen."""

    COMPONENT_CLASSES = {"status--rec", "status--label", "status--meter", "status--warn"}

    DEFAULT_CSS = """
    StatusBar { height: 1; padding: 0 1; background: $panel; }
    StatusBar > .status--rec { color: $text-error; text-style: bold; }
    StatusBar > .status--label { color: $foreground; }
    StatusBar > .status--meter { color: $text-success; }
    StatusBar > .status--warn { color: $text-warning; text-style: bold; }
    """

    elapsed: reactive[float] = reactive(0.0)
    recording: reactive[bool] = reactive(False)
    listening: reactive[str] = reactive("")
    level: reactive[float] = reactive(0.0)
    show_meter: reactive[bool] = reactive(False)
    dropouts: reactive[int] = reactive(0)
    dropout_label: reactive[str] = reactive("")
    extra: reactive[str] = reactive("")
    rec_label: reactive[str] = reactive("REC")

    def render(self) -> Text:
        style = self.get_component_rich_style
        t = Text(no_wrap=True, overflow="ellipsis")
        if self.recording:
            t.append(f"● {self.rec_label} ", style("status--rec", partial=True))
        t.append(clock(self.elapsed), style("status--label", partial=True))
        if self.listening:
            t.append(" │ " + self.listening, style("status--label", partial=True))
        if self.show_meter:
            t.append(" " + meter(self.level), style("status--meter", partial=True))
        if self.dropout_label:
            warn = self.dropouts > 0
            t.append(
                f" │ {self.dropout_label} {self.dropouts}",
                style("status--warn" if warn else "status--label", partial=True),
            )
        if self.extra:
            t.append(" │ " + self.extra, style("status--label", partial=True))
        return t

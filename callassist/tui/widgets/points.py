"""Talking points by stage: the current stage opened and highlighted, points ticked off as they are covered."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from callassist.tui.widgets.prose import Wrapped


@dataclass(frozen=True)
class StagePoints:
    """A stage as the widget shows it: id, title and its points with placeholders already filled."""

    id: str
    title: str
    points: tuple[str, ...]


class TalkingPoints(Widget, can_focus=True):
    """The call's stages; the current one lists its points with ☐ / ☑; up and down move, space ticks."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Previous point", show=False, id="points.up"),
        Binding("down", "cursor(1)", "Next point", show=False, id="points.down"),
        Binding("space", "toggle", "Tick point", show=False, id="points.tick"),
    ]

    COMPONENT_CLASSES = {"points--stage", "points--current", "points--done", "points--todo", "points--cursor"}

    DEFAULT_CSS = """
    TalkingPoints { height: auto; padding: 0 1; }
    TalkingPoints > .points--stage { color: $foreground-muted; }
    TalkingPoints > .points--current { color: $text-primary; text-style: bold underline; }
    TalkingPoints > .points--done { color: $foreground-muted; text-style: strike; }
    TalkingPoints > .points--todo { color: $foreground; }
    TalkingPoints > .points--cursor { background: $primary-muted; }
    """

    current: reactive[int] = reactive(0)
    cursor: reactive[int] = reactive(0)

    class Ticked(Message):
        """The user ticked or unticked a point by key."""

        def __init__(self, stage: str, index: int, done: bool) -> None:
            super().__init__()
            self.stage, self.index, self.done = stage, index, done

    def __init__(self, stages: list[StagePoints], *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.stages = stages
        self.done: dict[str, set[int]] = {s.id: set() for s in stages}

    @property
    def stage(self) -> StagePoints | None:
        """The current stage."""
        return self.stages[self.current] if self.stages else None

    def set_stage(self, stage_id: str) -> None:
        """Open a stage by id."""
        for i, s in enumerate(self.stages):
            if s.id == stage_id:
                self.current = i
                self.cursor = 0
                return

    def tick(self, stage_id: str, index: int, done: bool = True) -> None:
        """Mark a point covered (or not)."""
        marks = self.done.setdefault(stage_id, set())
        if done:
            marks.add(index)
        else:
            marks.discard(index)
        self.refresh(layout=True)

    def next_open(self) -> int | None:
        """The first point of the current stage not ticked yet."""
        st = self.stage
        if st is None:
            return None
        for i in range(len(st.points)):
            if i not in self.done[st.id]:
                return i
        return None

    def progress(self) -> tuple[int, int]:
        """(ticked, total) over the current stage."""
        st = self.stage
        return (len(self.done[st.id]), len(st.points)) if st else (0, 0)

    def watch_current(self) -> None:
        self.refresh(layout=True)

    def watch_cursor(self) -> None:
        self.refresh()

    def action_cursor(self, step: int) -> None:
        st = self.stage
        if st and st.points:
            self.cursor = (self.cursor + step) % len(st.points)

    def action_toggle(self) -> None:
        st = self.stage
        if not st or not st.points:
            return
        done = self.cursor not in self.done[st.id]
        self.tick(st.id, self.cursor, done)
        self.post_message(self.Ticked(st.id, self.cursor, done))

    def render(self) -> Group:
        style = self.get_component_rich_style
        parts: list[Wrapped | Table] = []
        for i, st in enumerate(self.stages):
            marks = self.done[st.id]
            if i != self.current:
                count = f" {len(marks)}/{len(st.points)}" if st.points else ""
                parts.append(Wrapped(Text(f"{i + 1}. {st.title}{count}", style("points--stage", partial=True))))
                continue
            parts.append(Wrapped(Text(f"{i + 1}. {st.title}", style("points--current", partial=True))))
            # A grid keeps the box in its own column, so a long Chinese point wraps beside it, not under it.
            grid = Table.grid(padding=(0, 1, 0, 0), expand=True)
            grid.add_column(width=1, no_wrap=True)
            grid.add_column(ratio=1)
            for k, point in enumerate(st.points):
                done = k in marks
                line = Text(point, style("points--done" if done else "points--todo", partial=True))
                box = Text("☑" if done else "☐", style("points--todo", partial=True))
                if self.has_focus and k == self.cursor:
                    line.stylize(style("points--cursor", partial=True))
                grid.add_row(box, Wrapped(line))
            parts.append(grid)
        return Group(*parts)

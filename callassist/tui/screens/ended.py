"""After a call: where the record is, its final digest, and keys to export it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer

from callassist.errors import describe
from callassist.record.export import fmt_duration
from callassist.tui.screens.base import BaseScreen
from callassist.tui.screens.review import ExportMixin
from callassist.tui.widgets.prose import Prose

EXPORTS = Binding.Group("key.export")


class CallEndedScreen(ExportMixin, BaseScreen):
    """Shows the closed record (folder, digest, duration, audio digest) and exports it by key."""

    BINDINGS = [
        Binding("m", "export('md')", "Markdown", id="ended.md", group=EXPORTS),
        Binding("h", "export('html')", "HTML", id="ended.html", group=EXPORTS),
        Binding("j", "export('json')", "JSON", id="ended.json", group=EXPORTS),
        Binding("t", "export('txt')", "TXT", id="ended.txt", group=EXPORTS),
        Binding("d", "export('mediation')", "key.pack", id="ended.mediation", group=EXPORTS),
        Binding("v", "review", "key.review", id="ended.review"),
        Binding("escape,q,enter", "home", "key.back", id="ended.home"),
    ]

    def __init__(self, info: Any) -> None:
        super().__init__()
        self.info = info
        self.last_export: Path | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="ended-body"):
            yield Prose(id="ended-info", classes="panel")
            yield Prose(id="ended-exports", classes="panel")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        t, info = self.t, self.info
        box = self.query_one("#ended-info", Prose)
        box.border_title = t("ended.title")
        body = Text()
        rows = [
            (t("ended.folder"), str(info.folder)),
            (t("ended.digest"), info.final_digest),
            (t("ended.duration"), fmt_duration(info.duration or 0)),  # rounded, as the list and exports give it
        ]
        if info.audio_sha256:
            rows.append((t("ended.audio"), info.audio_sha256))
        for label, value in rows:
            body.append(f"{label}\n", style="dim")
            body.append(f"{value}\n", style="bold")
        body.append(t("ended.verify", folder=info.folder), style="dim")
        box.update(body)
        self.query_one("#ended-exports", Prose).update(Text(t("ended.export_help"), style="dim"))

    def action_export(self, fmt: str) -> None:
        """Review's export dialog on the format of the key: the same choice of masking before anything is written."""
        self.ask_export([self.info.folder], highlight=fmt)

    def exported(self, path: Path, problems: tuple[str, ...] = ()) -> None:
        self.query_one("#ended-exports", Prose).update(
            Text.assemble((self.t("ended.export_help") + "\n", "dim"), (self.t("ended.exported", path=path), "bold"))
        )
        super().exported(path, problems)

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.state == WorkerState.ERROR:
            self.notify(
                self.t("export.failed", error=describe(event.worker.error, self.services.lang == "zh")),
                severity="error",
                timeout=10,
            )

    def action_review(self) -> None:
        self.app.switch_screen(self.app.screen_of("record", self.info.folder))

    def action_home(self) -> None:
        self.dismiss()

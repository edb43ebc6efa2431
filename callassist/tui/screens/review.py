"""Review (placeholder)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from callassist.tui.screens.base import BaseScreen


class ReviewScreen(BaseScreen):
    """Records."""

    def compose(self) -> ComposeResult:
        yield Static(self.t("rev.unavailable"))
        yield Footer()


class RecordScreen(BaseScreen):
    """One record."""

    def __init__(self, folder) -> None:
        super().__init__()
        self.folder = folder

    def compose(self) -> ComposeResult:
        yield Static(str(self.folder))
        yield Footer()

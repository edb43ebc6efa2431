"""Rehearsal (placeholder until the rehearsal core lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from callassist.tui.screens.base import BaseScreen


class RehearsalScreen(BaseScreen):
    """Practise a call with a simulated agent."""

    def compose(self) -> ComposeResult:
        yield Static(self.t("reh.unavailable"))
        yield Footer()

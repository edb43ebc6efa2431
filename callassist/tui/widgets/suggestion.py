"""The suggestion card: the prepared answer with the user's numbers filled in, its score, why, and alternatives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll

from callassist.playbook import Intent, Playbook, fill
from callassist.tui.screens.base import tone
from callassist.tui.widgets.prose import Prose

if TYPE_CHECKING:
    from callassist.matcher import Match


class SuggestionCard(VerticalScroll):
    """Shows one match; `choose(n)` swaps in the n-th runner-up. Alerts get the `-alert` class and their rule."""

    DEFAULT_CSS = """
    SuggestionCard { height: auto; max-height: 12; border: round $success; padding: 0 1; }
    SuggestionCard.-alert { border: heavy $error; background: $error 10%; }
    SuggestionCard.-empty { border: round $panel-lighten-2; }
    SuggestionCard > Static { width: 1fr; }
    """

    def __init__(
        self,
        playbook: Playbook,
        values: Mapping[str, str],
        t: Callable[..., str],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.playbook = playbook
        self.values = values
        self.t = t
        self.match: Match | None = None
        self.shown: str | None = None
        self.alternatives: list[tuple[str, float]] = []

    def compose(self) -> ComposeResult:
        yield Prose(Text(self.t("call.waiting"), style="dim"), id="suggestion-body")

    def on_mount(self) -> None:
        self.border_title = self.t("call.suggestion")
        self.set_class(True, "-empty")
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._recolour())

    def _recolour(self) -> None:
        """The alert colours come from the theme: draw the card again after a theme change."""
        if self.match is not None and self.shown is not None:
            primary = self.shown == self.match.intent
            score = self.match.score if primary else dict(self.alternatives).get(self.shown, 0.0)
            self._render_intent(self.shown, score, primary=primary)

    def set_waiting(self, text: str) -> None:
        """A plain line while nothing is matched yet (loading, waiting for the agent)."""
        self.match = None
        self.shown = None
        self.set_class(False, "-alert")
        self.set_class(True, "-empty")
        self.query_one("#suggestion-body", Prose).update(Text(text, style="dim"))

    def show(self, match: Match) -> None:
        """Show the matcher's decision for the latest agent line."""
        self.match = match
        self.alternatives = [(c.intent, c.score) for c in match.candidates if c.intent != match.intent][:2]
        if match.intent is None:
            self.shown = None
            self.set_class(False, "-alert")
            self.set_class(True, "-empty")
            from callassist.matcher import why_none_text

            why = why_none_text(match, self.playbook.lang == "zh") or "-"
            body = Text(self.t("call.none", why=why), style="dim")
            body.append_text(self._also())
            self.query_one("#suggestion-body", Prose).update(body)
            return
        self._render_intent(match.intent, match.score, primary=True)

    def choose(self, n: int) -> bool:
        """Show runner-up n (1 or 2), or the matched intent again with 0. False if there is no such candidate."""
        if self.match is None:
            return False
        if n == 0:
            if self.shown != self.match.intent:
                self.show(self.match)  # the best one again, or "no suggestion" when nothing fitted the line
            return True
        if n > len(self.alternatives):
            return False
        intent, score = self.alternatives[n - 1]
        self._render_intent(intent, score, primary=False)
        return True

    def _intent(self, intent_id: str) -> Intent | None:
        try:
            return self.playbook.intent(intent_id)
        except KeyError:
            return None

    def _render_intent(self, intent_id: str, score: float, *, primary: bool) -> None:
        it = self._intent(intent_id)
        if it is None:
            return
        from callassist.matcher import level_name

        self.shown = intent_id
        t = self.t
        alert = it.is_alert
        self.set_class(alert, "-alert")
        self.set_class(False, "-empty")
        body = Text()
        bad = tone(self.app, "bad")
        head_style = f"bold {bad}" if alert else "bold"
        body.append(f"{'⚠ ' if alert else ''}{'' if primary else '↷ '}{it.title}", style=head_style)
        body.append(f"  {t('call.score')} {score:.2f}\n", style="dim")
        body.append(fill(it.answer, self.values) + "\n", style="bold")
        colon = t("colon")
        if alert:
            body.append(f"{t('call.alert')}{colon}{it.alert}\n", style=bad)
            if it.rule:
                body.append(f"{t('call.rule')}{colon}{it.rule}\n", style=bad)
        for f in it.follow_up[:2]:
            body.append(f"{t('bullet')}{fill(f, self.values)}\n")
        m = self.match
        if primary and m is not None and m.reason is not None:
            why = Text(f"{t('call.why')}{colon}“{m.reason.example}”", style="dim")
            if m.reason.terms:
                sep = "、" if self.playbook.lang == "zh" else ", "
                why.append(f"  {t('call.terms')}{colon}{sep.join(m.reason.terms[:5])}", style="dim")
            if m.reason.levels:
                zh = self.playbook.lang == "zh"
                levels = " · ".join(f"{level_name(k, zh)} {v:.2f}" for k, v in m.reason.levels.items())
                why.append(f"  ({levels})" if self.playbook.lang != "zh" else f"（{levels}）", style="dim")
            body.append_text(why)
        body.rstrip()
        body.append_text(self._also())
        body.rstrip()
        self.query_one("#suggestion-body", Prose).update(body)

    def _also(self) -> Text:
        if not self.alternatives:
            return Text()
        parts = []
        for n, (intent_id, score) in enumerate(self.alternatives, start=1):
            it = self._intent(intent_id)
            parts.append(f"[{n}] {it.title if it else intent_id} {score:.2f}")
        if self.match is not None and self.shown != self.match.intent:
            parts.append("[0] ←")
        return Text("\n" + f"{self.t('call.also')}{self.t('colon')}" + "  ".join(parts), style="dim italic")

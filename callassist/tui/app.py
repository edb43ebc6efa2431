"""The Textual app: it receives its services, shows screens, and keeps slow things (the matcher) off the UI thread."""

from __future__ import annotations

import os
import sys
from concurrent.futures import Future
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.worker import Worker, WorkerState

from callassist.errors import describe
from callassist.tui.screens.base import localized
from callassist.tui.services import Services, make_services

THEMES = ("textual-dark", "textual-light")


class MatcherReady(Message):
    """The matcher of a playbook finished loading (or failed: `error`)."""

    def __init__(self, key: str, error: str = "") -> None:
        super().__init__()
        self.key, self.error = key, error


class CallAssist(App[None]):
    """callassist's terminal app: home, call, rehearsal and review screens."""

    CSS_PATH = "app.tcss"
    TITLE = "callassist"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit")]

    def __init__(self, services: Services, *, theme: str | None = None) -> None:
        super().__init__()
        self.services = services
        self._start_theme = theme
        self._matchers: dict[str, Future] = {}
        self.speech_status: Any = None  # set by the home screen's probe (model and devices), None until then

    def on_mount(self) -> None:
        self.title = self.services.t("app.title")
        self.theme = self._start_theme or THEMES[0]
        # Screens and dialogs get the user's keys in their own binding lists (see screens/base.localized), so the
        # footer keeps its order; Textual's keymap carries them to the app's and the widgets' bindings.
        if self.services.keymap:
            self.set_keymap(self.services.keymap)
        self.matcher_future(self.services.playbook)
        self.push_screen(self.screen_of("home"))
        if _stdin_is_tty():
            self.set_interval(1.0, self._check_terminal)

    def _check_terminal(self) -> None:
        """Quit (closing any open record) when the terminal hangs up without a SIGHUP reaching us.

        Seen under `make run` in tmux: make keeps the hangup to itself, the app would otherwise spin on a dead
        terminal at full CPU.
        """
        if not _stdin_is_tty():
            self.exit(return_code=129)

    # -- screens ---------------------------------------------------------------------------------

    def screen_of(self, name: str, *args: Any, **kwargs: Any):
        """A new screen by name, its key descriptions in the UI language."""
        from callassist.tui.screens import call, ended, home, rehearsal, review

        classes = {
            "home": home.HomeScreen,
            "call": call.CallScreen,
            "ended": ended.CallEndedScreen,
            "rehearsal": rehearsal.RehearsalScreen,
            "review": review.ReviewScreen,
            "record": review.RecordScreen,
        }
        return localized(classes[name], self.services.lang, self.services.keymap)(*args, **kwargs)

    def dialog(self, cls: type, *args: Any, **kwargs: Any):
        """A dialog instance with its key descriptions in the UI language."""
        return localized(cls, self.services.lang, self.services.keymap)(*args, **kwargs)

    def set_language(self, lang: str) -> None:
        """Switch UI language and playbook, and show the home screen again."""
        self.services = self.services.with_language(lang)
        self.title = self.services.t("app.title")
        self.matcher_future(self.services.playbook)
        self.switch_screen(self.screen_of("home"))

    def set_playbook(self, path: str) -> None:
        """Use another playbook file; the UI language follows it. Errors become one line on screen."""
        from callassist.errors import CallassistError

        try:
            self.services = self.services.with_playbook(path)
        except CallassistError as e:
            self.notify(describe(e, self.services.lang == "zh"), severity="error", timeout=10)
            return
        self.title = self.services.t("app.title")
        self.matcher_future(self.services.playbook)
        self.switch_screen(self.screen_of("home"))

    def action_help_quit(self) -> None:
        """Ctrl+C (bound by Textual to say how to quit): the hint in the UI language."""
        t = self.services.t
        for active in self.active_bindings.values():
            if active.binding.action in ("quit", "app.quit"):
                key = self.get_key_display(active.binding)
                self.notify(t("app.quit_hint", keys=key), title=t("app.quit_title"))
                return

    def get_system_commands(self, screen):
        """The command palette's commands (theme, quit, keys, screenshot), named in the UI language."""
        from textual.app import SystemCommand

        from callassist.tui.strings import textual_text

        lang = self.services.lang
        for c in super().get_system_commands(screen):
            yield SystemCommand(textual_text(lang, c.title), textual_text(lang, c.help), c.callback, c.discover)

    def action_toggle_keys(self) -> None:
        """Show or hide the panel that lists every key of the screen."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_toggle_theme(self) -> None:
        """Dark ↔ light."""
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]

    # -- the matcher -----------------------------------------------------------------------------

    def matcher_future(self, playbook) -> Future:
        """The matcher of a playbook as a future: built once, in a thread, the first time it is asked for."""
        key = playbook.sha256 or playbook.id
        fut = self._matchers.get(key)
        if fut is None:
            fut = Future()
            self._matchers[key] = fut
            self._load_matcher(playbook, key, fut)
        return fut

    @work(thread=True, group="matcher", exit_on_error=False)
    def _load_matcher(self, playbook, key: str, fut: Future) -> None:
        try:
            matcher = self.services.make_matcher(playbook)
            # The first sentence loads the encoder's weights (about a second): pay it now, not on the
            # agent's first line.
            matcher.match(playbook.intents[0].examples[0])
            fut.set_result(matcher)
        except Exception as e:  # the future carries the error to whoever waits; the UI gets one line
            fut.set_exception(e)
            self.post_message(MatcherReady(key, error=describe(e, self.services.lang == "zh")))
            return
        self.post_message(MatcherReady(key))

    def on_matcher_ready(self, message: MatcherReady) -> None:
        if message.error:
            self.notify(message.error, severity="error", timeout=10)
        for screen in self.screen_stack:
            handler = getattr(screen, "matcher_ready", None)
            if handler is not None:
                handler(message.key)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place where a failed app-level worker becomes a line the user sees."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            err = event.worker.error
            self.notify(describe(err, self.services.lang == "zh"), severity="error", timeout=10)


def make_app(
    *,
    lang: str | None = None,
    playbook: str | None = None,
    transcripts: str | None = None,
    model: str | None = None,
    typed: bool = False,
    theme: str | None = None,
) -> CallAssist:
    """The app as the `callassist` command runs it."""
    services = make_services(lang=lang, playbook=playbook, transcripts=transcripts, model=model, typed=typed)
    return CallAssist(services, theme=theme)


def _stdin_is_tty() -> bool:
    """Whether standard input is still a live terminal (a hung-up one stops being one)."""
    try:
        return os.isatty(sys.__stdin__.fileno())
    except (AttributeError, ValueError, OSError):
        return False

"""Rehearsal: a simulated agent's lines one by one, the user's replies, feedback after each, a scored report."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from callassist.errors import describe
from callassist.tui.screens.base import BaseScreen, tone
from callassist.tui.screens.dialogs import ChoiceDialog
from callassist.tui.widgets.prose import Prose
from callassist.tui.widgets.transcript import Entry, Transcript

TAG_STYLES = {
    "covered": ("ok", ""),
    "pitfall": ("bad", "bold"),
    "alert": ("bad", ""),
    "answer": ("", "bold"),
    "tip": ("", "dim"),
    "title": ("", "bold"),
    "score": ("accent", "bold reverse"),
    "part": ("", ""),
    "missed": ("warn", ""),
}


def styled(lines: list[tuple[str, str]], app) -> Text:
    """The coach's (tag, text) lines as styled text in the theme's colours."""
    out = Text()
    for tag, line in lines:
        colour, extra = TAG_STYLES.get(tag, ("", ""))
        out.append(line + "\n", style=tone(app, colour, extra) if colour else extra)
    out.rstrip()
    return out


class RehearsalScreen(BaseScreen):
    """Pick a scenario, then reply to each agent line; the rehearsal is recorded like a call, marked rehearsal."""

    BINDINGS = [
        Binding("i", "type", "key.type", id="rehearsal.type"),
        Binding("h", "hint", "key.hint", id="rehearsal.hint"),
        Binding("k", "speak", "key.speak", id="rehearsal.speak"),
        Binding("x", "stop", "key.stop", id="rehearsal.stop"),
        Binding("r", "again", "key.again", id="rehearsal.again"),
        Binding("escape", "leave_input", "key.leave", id="rehearsal.leave_input"),
        Binding("escape", "leave", "key.back", id="rehearsal.back"),
    ]

    def __init__(self, scenario: str | None = None) -> None:
        super().__init__()
        self.scenario_id = scenario
        self.scenarios: list[Any] = []
        self.rehearsal: Any = None
        self.session: Any = None
        self.busy = False
        self.report: Any = None
        self.folder: Any = None

    def compose(self) -> ComposeResult:
        yield Prose(id="reh-head")
        with Horizontal(id="reh-body"):
            yield Transcript(self.labels(), times=False, id="reh-talk")
            with VerticalScroll(id="reh-feedback-pane"):
                yield Prose(id="reh-feedback")
        yield Input(placeholder=self.t("reh.reply"), id="reh-reply", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def labels(self) -> dict[str, str]:
        return {s: self.t(f"speaker.{s}") for s in ("agent", "me", "unknown")}

    def on_mount(self) -> None:
        self.query_one("#reh-feedback-pane").border_title = self.t("reh.feedback")
        self.query_one("#reh-talk").border_title = self.t("home.rehearse")
        self.load_scenarios()

    # -- choosing and starting ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="scenarios", exit_on_error=False)
    def load_scenarios(self) -> None:
        from callassist.rehearse import load_scenarios

        found = load_scenarios(self.services.playbook.lang, self.services.scenarios)
        self.app.call_from_thread(self.choose, found)

    def choose(self, scenarios: list[Any]) -> None:
        self.scenarios = scenarios
        t = self.t
        if not scenarios:
            self.query_one("#reh-feedback", Prose).update(Text(t("reh.none"), style=self.tone("warn")))
            return
        if self.scenario_id:
            self.begin(self.scenario_id)
            return
        choices = [(sc.id, f"{sc.title}") for sc in scenarios]

        def picked(choice: str | None) -> None:
            if choice is None:
                self.dismiss()
            else:
                self.begin(choice)

        self.app.push_screen(self.app.dialog(ChoiceDialog, t("reh.pick"), choices), picked)

    def begin(self, scenario_id: str) -> None:
        sc = next((s for s in self.scenarios if s.id == scenario_id), None)
        if sc is None:
            self.notify(scenario_id, severity="error")
            return
        self.rehearsal = None
        self.report = None
        self.set_class(False, "-finished")
        self.query_one("#reh-feedback-pane").border_title = self.t("reh.feedback")
        self.query_one(Transcript).clear()
        head = Text.assemble((sc.title, "bold"), "\n", (sc.description, "dim"))
        self.query_one("#reh-head", Prose).update(head)
        self.query_one("#reh-feedback", Prose).update(Text(self.t("call.loading"), style="dim"))
        self.busy = True
        self.refresh_bindings()  # no keys of a rehearsal until it has started
        self.start(sc)

    @work(thread=True, exclusive=True, group="rehearse", exit_on_error=False)
    def start(self, scenario: Any) -> None:
        """Open the record and the engine (the matcher may still be loading; the journal fsyncs): a thread."""
        from callassist.rehearse import Rehearsal, practice_values
        from callassist.session import CallSession

        services = self.services
        matcher = self.app.matcher_future(services.playbook).result()
        values = practice_values(scenario, services.profile)
        session = CallSession.start(
            services.transcripts,
            services.playbook,
            matcher=matcher,
            values=values,
            lender=values.get("lender", ""),
            direction=scenario.direction,
            mode="rehearsal",
            started_at=services.started_at,
        )
        rehearsal = Rehearsal(scenario, services.playbook, values, session, matcher=matcher)
        self.app.call_from_thread(self.started, rehearsal, session)

    def started(self, rehearsal: Any, session: Any) -> None:
        self.rehearsal, self.session = rehearsal, session
        self.busy = False
        self.query_one("#reh-feedback", Prose).update(Text(self.t("reh.reply"), style="dim"))
        self.show_agent_line()
        self.query_one("#reh-reply", Input).focus()
        self.refresh_bindings()  # i h k x

    def show_agent_line(self) -> None:
        line = self.rehearsal.current_line() if self.rehearsal else None
        if line:
            self.query_one(Transcript).add(Entry("utterance", line, "agent"))

    # -- replying ----------------------------------------------------------------------------------

    @on(Input.Submitted, "#reh-reply")
    def replied(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.busy or self.rehearsal is None or self.rehearsal.finished or not text:
            return
        event.input.clear()
        self.query_one(Transcript).add(Entry("utterance", text, "me"))
        self.busy = True
        self.reply(text)

    @work(thread=True, group="rehearse", exit_on_error=False)
    def reply(self, text: str) -> None:
        """The coach reads the reply and the record writes it: a thread."""
        fb = self.rehearsal.reply(text)
        report = folder = None
        if self.rehearsal.finished:
            report, folder = self._finish()
        self.app.call_from_thread(self.feedback, fb, report, folder)

    def _finish(self) -> tuple[Any, Any]:
        report = self.rehearsal.report()
        info = self.session.close()
        return report, info.folder

    def feedback(self, fb: Any, report: Any, folder: Any) -> None:
        from callassist.rehearse import feedback_lines

        self.busy = False
        body = styled(feedback_lines(fb, self.services.playbook.lang), self.app)
        if report is not None:
            self.show_report(report, folder)
            return
        self.query_one("#reh-feedback", Prose).update(body)
        self.query_one("#reh-feedback-pane", VerticalScroll).scroll_home(animate=False)
        self.show_agent_line()

    def show_report(self, report: Any, folder: Any) -> None:
        from callassist.rehearse import report_lines

        self.report, self.folder = report, folder
        body = styled(report_lines(report), self.app)
        body.append("\n" + self.t("reh.saved", folder=folder.name), style="dim")
        self.query_one("#reh-feedback", Prose).update(body)
        self.query_one("#reh-feedback-pane").border_title = self.t("reh.report")
        self.query_one(Transcript).add(Entry("system", self.t("reh.finished")))
        self.set_class(True, "-finished")
        self.query_one(Transcript).focus()
        # The report comes from a thread, after the key that asked for it: the footer is told (r, not i h x).
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.busy = False
            self.notify(describe(event.worker.error, self.services.lang == "zh"), severity="error", timeout=10)

    # -- keys --------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = isinstance(self.focused, Input)
        if action == "leave_input":
            return typing
        if action == "leave":
            return not typing
        running = self.rehearsal is not None and not self.rehearsal.finished
        if action in ("hint", "stop", "speak", "type"):
            return running
        if action == "again":
            return self.report is not None
        return True

    def action_type(self) -> None:
        self.query_one("#reh-reply", Input).focus()

    def action_hint(self) -> None:
        hint = self.rehearsal.hint() if self.rehearsal else None
        if hint is None:
            self.notify(self.t("call.none", why="-"), timeout=3)
            return
        self.query_one("#reh-feedback", Prose).update(
            Text.assemble((hint.title + "\n", "bold"), (self.t("reh.suggested") + self.t("colon"), "dim"), hint.answer)
        )

    def action_speak(self) -> None:
        line = self.rehearsal.current_line() if self.rehearsal else None
        if line:
            self.speak(line)

    @work(thread=True, exclusive=True, group="speak", exit_on_error=False)
    def speak(self, line: str) -> None:
        from callassist.rehearse import speak

        problem = speak(line, self.services.playbook.language)
        if problem:
            self.app.call_from_thread(self.notify, problem, severity="warning", timeout=6)

    def action_stop(self) -> None:
        if self.rehearsal is None or self.busy:
            return
        self.rehearsal.stop()
        self.busy = True
        self.stop_now()

    @work(thread=True, group="rehearse", exit_on_error=False)
    def stop_now(self) -> None:
        report, folder = self._finish()
        self.app.call_from_thread(self.stopped, report, folder)

    def stopped(self, report: Any, folder: Any) -> None:
        self.busy = False
        self.show_report(report, folder)

    def action_again(self) -> None:
        self.scenario_id = None
        self.choose(self.scenarios)

    def action_leave_input(self) -> None:
        self.query_one(Transcript).focus()

    def action_leave(self) -> None:
        self.dismiss()

    def on_unmount(self) -> None:
        """Leaving mid-rehearsal: the record is closed (scored as ended early) in a thread."""
        if self.rehearsal is not None and self.session is not None and not self.session.closed:
            import threading

            self.rehearsal.stop()
            threading.Thread(target=self._finish, name="rehearsal-close").start()

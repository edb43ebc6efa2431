"""The call screen: talking points, live transcript, the suggestion card, typed input, and the call's keys."""

from __future__ import annotations

import threading
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input

from callassist.errors import CallassistError, describe
from callassist.playbook import fill
from callassist.tui import events as ev
from callassist.tui.runner import Journaled, Matched, SessionClosed, SessionFailed, SessionRunner, SessionStarted
from callassist.tui.screens.base import BaseScreen
from callassist.tui.screens.dialogs import ConfirmDialog, TextDialog, agreed_dialog
from callassist.tui.widgets.points import StagePoints, TalkingPoints
from callassist.tui.widgets.status import StatusBar
from callassist.tui.widgets.suggestion import SuggestionCard
from callassist.tui.widgets.transcript import Transcript

ME_PREFIXES = ("我：", "我:", "me:", "Me:", "ME:")
CANDIDATES = Binding.Group("key.cands")
STAGES = Binding.Group("key.stages")


class PartialHeard(Message):
    """Words so far from the recognizer; a newer one for the same speaker replaces one still queued."""

    def __init__(self, speaker: str, text: str) -> None:
        super().__init__()
        self.speaker, self.text = speaker, text

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PartialHeard) and message.speaker == self.speaker


class LevelChanged(Message):
    """Input level (0–1); only the latest one queued matters."""

    def __init__(self, level: float) -> None:
        super().__init__()
        self.level = level

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LevelChanged)


class ListeningChanged(Message):
    """The recognizer's state: loading, listening, paused, resumed, dropout, stopped, failed."""

    def __init__(self, state: str, detail: str = "", dropouts: int | None = None) -> None:
        super().__init__()
        self.state, self.detail, self.dropouts = state, detail, dropouts


class ScreenSink:
    """What live audio calls from its threads (see callassist.audio.live): finals go straight to the session
    thread (never dropped), partials and levels become coalesced messages, states become messages, and the
    audio is written to the record's WAV file."""

    def __init__(self, screen: CallScreen, runner: SessionRunner, session: Any, channels: tuple[str, ...]) -> None:
        self.screen, self.runner, self.session, self.channels = screen, runner, session, channels
        self._writer: Any = None
        self._lock = threading.Lock()
        self._audio_failed = False

    def final(self, speaker: str, text: str, *, start=None, end=None, confidence=None) -> None:
        """A final utterance; start and end in seconds since the call started."""
        self.runner.submit("utterance", speaker, text, start=start, end=end, confidence=confidence)

    def partial(self, speaker: str, text: str) -> None:
        """Words so far: shown dim in the transcript and matched early."""
        self.screen.post_message(PartialHeard(speaker, text))
        self.runner.partial(speaker, text)

    def level(self, value: float) -> None:
        """The input level for the meter."""
        self.screen.post_message(LevelChanged(value))

    def state(self, state: str, detail: str = "", dropouts: int | None = None, record: dict | None = None) -> None:
        """A change in listening; `record` is also written to the journal as a system event."""
        self.screen.post_message(ListeningChanged(state, detail, dropouts))
        if record is not None:
            rec = dict(record)
            self.runner.submit("system", rec.pop("kind"), **rec)

    def audio(self, channel: str, pcm: bytes) -> None:
        """Captured audio of one source, appended to the record's audio file."""
        if self._audio_failed:
            return
        try:
            with self._lock:
                if self._writer is None:
                    self._writer = self.session.audio_writer(self.channels)
            self._writer.write(channel, pcm)
        except CallassistError as e:
            self._audio_failed = True  # reported once; recognition goes on without the file
            self.screen.post_message(ListeningChanged("audio-failed", str(e)))


class CallScreen(BaseScreen):
    """One call, live or typed. Everything the user does goes through the session thread and into the record."""

    BINDINGS = [
        Binding("i,slash", "type", "key.type", id="call.type"),
        Binding("n", "note", "key.note", id="call.note"),
        Binding("b", "bookmark", "key.bookmark", id="call.bookmark"),
        Binding("a", "agreed", "key.agreed", id="call.agreed"),
        Binding("s", "switch_speaker", "key.speaker", id="call.speaker"),
        Binding("p", "pause", "key.pause", id="call.pause"),
        Binding("m", "who_speaks", "key.who", id="call.who_speaks"),
        Binding("1", "candidate(1)", "key.cand1", id="call.candidate1", group=CANDIDATES),
        Binding("2", "candidate(2)", "key.cand2", id="call.candidate2", group=CANDIDATES),
        Binding("0", "candidate(0)", "key.cand0", show=False, id="call.candidate0"),
        Binding("t", "tick", "key.tick", id="call.tick"),
        Binding("left_square_bracket", "stage(-1)", "key.prev_stage", id="call.prev_stage", group=STAGES),
        Binding("right_square_bracket", "stage(1)", "key.next_stage", id="call.next_stage", group=STAGES),
        Binding("e", "end", "key.end", id="call.end"),
        Binding("escape", "leave_input", "key.leave", id="call.leave_input"),
    ]

    def __init__(self, setup: dict | None = None) -> None:
        super().__init__()
        self.setup = dict(setup or {})
        self.session: Any = None
        self.runner: SessionRunner | None = None
        self.listener: Any = None
        self.t0 = 0.0
        self.ended = False
        self.dropouts = 0
        self.listen_state = ""

    # -- layout ----------------------------------------------------------------------------------

    @property
    def values(self) -> dict[str, str]:
        """Placeholder values: the profile's, with the lender named when the call started."""
        values = dict(self.services.values)
        if self.setup.get("lender"):
            values["lender"] = self.setup["lender"]
        return values

    def compose(self) -> ComposeResult:
        t = self.t
        book = self.services.playbook
        values = self.values
        stages = [StagePoints(s.id, s.title, tuple(fill(p, values) for p in s.points)) for s in book.stages]
        yield StatusBar(id="status")
        with Horizontal(id="call-body"):
            with VerticalScroll(id="points-pane"):
                yield TalkingPoints(stages, id="points")
            with Vertical(id="call-right"):
                yield Transcript(self.speaker_labels(), id="transcript")
                yield SuggestionCard(book, values, t, id="suggestion")
        yield Input(placeholder=t("call.input"), id="typed", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def speaker_labels(self) -> dict[str, str]:
        t = self.t
        return {s: t(f"speaker.{s}") for s in ("agent", "me", "unknown")}

    def on_mount(self) -> None:
        t = self.t
        self.query_one("#points-pane").border_title = t("call.points")
        self.query_one("#transcript").border_title = t("call.transcript")
        status = self.query_one(StatusBar)
        status.rec_label = t("call.rec")
        status.dropout_label = ""
        self.t0 = self.services.clock()
        self.set_interval(1.0, self.tick_clock)
        self.update_stage_label()
        fut = self.app.matcher_future(self.services.playbook)
        if not fut.done():
            self.query_one(SuggestionCard).set_waiting(t("call.loading"))
        self.start_session()
        if not self.will_listen():
            self.post_message(ListeningChanged("typed"))
        self.query_one("#typed", Input).focus()

    def tick_clock(self) -> None:
        self.query_one(StatusBar).elapsed = self.services.clock() - self.t0

    def update_stage_label(self) -> None:
        points = self.query_one(TalkingPoints)
        if points.stage is not None:
            self.query_one(StatusBar).extra = f"{self.t('call.stage')} {points.current + 1}/{len(points.stages)}"

    # -- the session -----------------------------------------------------------------------------

    def start_session(self) -> None:
        services = self.services
        fut = self.app.matcher_future(services.playbook)
        setup = self.setup
        mode = "typed" if self.will_listen() is False else "live"

        def open_session():
            from callassist.session import DIRECTIONS, CallSession

            matcher = fut.result()  # on the session thread: waits for the matcher, never the UI
            numbers = [n.strip() for n in (setup.get("numbers") or "").split(",") if n.strip()]
            return CallSession.start(
                services.transcripts,
                services.playbook,
                matcher=matcher,
                values=self.values,
                lender=setup.get("lender") or services.profile.lender or "",
                direction=setup.get("direction") if setup.get("direction") in DIRECTIONS else "unknown",
                agent_name=setup.get("agent_name") or "",
                agent_id=setup.get("agent_id") or "",
                agent_company=setup.get("agent_company") or "",
                numbers=numbers,
                mode=mode,
                started_at=services.started_at,
            )

        self.runner = SessionRunner(self, open_session)
        self.run_worker(self.runner.run, thread=True, group="session", name="session", exit_on_error=False)

    def matcher_ready(self, key: str) -> None:
        """Called by the app when a matcher finished loading."""
        card = self.query_one(SuggestionCard)
        if card.match is None:
            card.set_waiting(self.t("call.waiting"))

    @on(SessionStarted)
    def session_started(self, message: SessionStarted) -> None:
        self.session = message.session
        status = self.query_one(StatusBar)
        status.recording = True
        first = self.services.playbook.stages[0].id if self.services.playbook.stages else None
        if first and self.runner is not None:
            self.runner.submit("stage", first)
        if self.will_listen():
            self.start_listening()
        else:
            self.post_message(ListeningChanged("typed"))

    @on(Journaled)
    def journaled(self, message: Journaled) -> None:
        event = message.event
        kind = event.get("type")
        view = self.query_one(Transcript)
        if kind != "stage":  # the points pane shows the stage; the record and the review keep the event
            ev.apply(view, event, self.t, rules=False, lang=self.services.lang)
        if kind == "utterance" and event.get("speaker") == "me":
            self.cover_points(event.get("text", ""))
        elif kind == "stage":
            self.query_one(TalkingPoints).set_stage(event.get("stage", ""))
            self.update_stage_label()

    @on(Matched)
    def matched(self, message: Matched) -> None:
        card = self.query_one(SuggestionCard)
        if message.partial and message.match.intent is None:
            return  # words so far that fit nothing: keep what is shown
        card.show(message.match)

    @on(SessionFailed)
    def session_failed(self, message: SessionFailed) -> None:
        error = message.error.message(self.services.lang == "zh")
        self.notify(self.t("call.error", error=error), severity="error", timeout=15)
        if message.fatal:  # the record could not be opened: say so where the suggestions go, and stay honest
            self.query_one(StatusBar).recording = False
            self.query_one(SuggestionCard).set_waiting(self.t("call.no_record", error=error))
            self.add_class("-failed")

    @on(SessionClosed)
    def session_closed(self, message: SessionClosed) -> None:
        self.ended = True
        self.app.switch_screen(self.app.screen_of("ended", message.info))

    def cover_points(self, text: str) -> None:
        """Tick the current stage's points that the user's own words covered (the rehearsal coach's reading)."""
        from callassist import coach
        from callassist.rehearse import SKIP_STAGES

        points = self.query_one(TalkingPoints)
        st = points.stage
        if st is None or st.id in SKIP_STAGES:  # homework before the call is not ticked by what is said
            return
        raw = next((s.points for s in self.services.playbook.stages if s.id == st.id), ())
        for i in coach.covered_points(raw, text, self.services.playbook.lang, self.values):
            points.tick(st.id, i)

    # -- live audio ------------------------------------------------------------------------------

    def will_listen(self) -> bool:
        """Listen unless --typed, or the home screen's probe found no model or no input device."""
        if self.services.typed:
            return False
        if self.services.listener is not None:
            return True
        status = getattr(self.app, "speech_status", None)
        return status is None or status.ready

    def start_listening(self) -> None:
        status = self.query_one(StatusBar)
        status.listening = self.t("call.loading_model")
        status.dropout_label = self.t("call.dropouts")
        status.show_meter = True
        self.run_worker(self._listen, thread=True, group="listen", name="listen", exit_on_error=False)

    def _listen(self) -> None:
        """Find and load the model and open the sources (slow, may fail): a thread worker. Without a model or
        an input device the call simply stays in typed mode."""
        from callassist.tui import speech

        assert self.runner is not None
        services = self.services
        if services.listener is None:
            status = getattr(self.app, "speech_status", None)
            if status is None:  # the home screen's probe has not answered yet: ask again here
                status = (services.probe or (lambda: speech.probe(services.model, services.playbook.lang)))()
                self.app.speech_status = status
            if not status.ready:
                self.post_message(ListeningChanged("typed"))
                return
        session = self.session
        factory = services.listener or speech.live_audio
        listener = factory(services, None, session)
        sink = ScreenSink(self, self.runner, session, tuple(src.name for src in listener.sources))
        listener.sink = sink
        self.listener = listener
        listener.start()

    @on(PartialHeard)
    def partial_heard(self, message: PartialHeard) -> None:
        self.query_one(Transcript).set_partial(message.speaker, message.text)

    @on(LevelChanged)
    def level_changed(self, message: LevelChanged) -> None:
        self.query_one(StatusBar).level = message.level

    @on(ListeningChanged)
    def listening_changed(self, message: ListeningChanged) -> None:
        t = self.t
        status = self.query_one(StatusBar)
        state = message.state
        if message.dropouts is not None:
            self.dropouts = message.dropouts
            status.dropouts = message.dropouts
        labels = {
            "listening": "call.listening",
            "resumed": "call.listening",
            "paused": "call.paused",
            "stopped": "call.stopped",
            "failed": "call.stopped",
            "loading": "call.loading_model",
        }
        self.refresh_bindings()
        if state in labels:
            self.listen_state = state
            status.listening = t(labels[state])
            self.set_class(state == "paused", "-paused")
        if state == "typed":
            status.listening = t("call.typed")
            status.show_meter = False
            status.dropout_label = ""
            self.set_class(True, "-typed")
        if state == "failed":
            status.show_meter = False
            self.notify(message.detail or t("call.stopped"), severity="warning", timeout=10)
        elif state == "audio-failed":
            self.notify(message.detail, severity="warning", timeout=10)

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.state != WorkerState.ERROR:
            return
        err = event.worker.error
        if event.worker.name == "listen":
            if self.listen_state != "failed":  # the listener may have said so already, with the same reason
                self.post_message(ListeningChanged("failed", describe(err, self.services.lang == "zh")))
            self.query_one(StatusBar).listening = self.t("call.typed")
        else:
            self.notify(describe(err, self.services.lang == "zh"), severity="error", timeout=15)

    # -- keys ------------------------------------------------------------------------------------

    @on(Input.Submitted, "#typed")
    def typed_line(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.input.clear()
        if not text or self.runner is None:
            return
        speaker = "agent"
        for p in ME_PREFIXES:
            if text.startswith(p):
                speaker, text = "me", text[len(p) :].strip()
                break
        if text:
            at = self.services.now() if self.services.now else None
            self.runner.submit("utterance", speaker, text, at=at)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape (back to the keys) is offered only while typing."""
        if action == "leave_input":
            return isinstance(self.focused, Input)
        if action in ("pause", "who_speaks"):
            listening = self.listener is not None
            return listening and (action == "pause" or len(self.listener.sources) == 1)
        return True

    def action_type(self) -> None:
        self.query_one("#typed", Input).focus()

    def action_leave_input(self) -> None:
        self.query_one(Transcript).focus()

    def action_note(self) -> None:
        def done(text: str | None) -> None:
            if text and self.runner:
                self.runner.submit("note", text)
                self.notify(self.t("call.noted"), timeout=2)

        self.app.push_screen(self.app.dialog(TextDialog, self.t("note.title"), self.t("note.placeholder")), done)

    def action_bookmark(self) -> None:
        view = self.query_one(Transcript)
        if view.last_index("utterance", "agent") is None and view.last_index("utterance", "unknown") is None:
            self.notify(self.t("call.no_agent_line"), severity="warning", timeout=3)
            return
        if self.runner:
            self.runner.submit("bookmark")
            self.notify(self.t("call.bookmarked"), timeout=2)

    def action_agreed(self) -> None:
        def done(values: dict | None) -> None:
            if not values or self.runner is None:
                return
            waived = [w.strip() for w in (values.get("waived") or "").replace("，", ",").split(",") if w.strip()]
            self.runner.submit(
                "agreed",
                amount=values.get("amount"),
                periods=values.get("periods"),
                per_period=values.get("per_period"),
                first_due=values.get("first_due"),
                waived=waived,
                text=values.get("text") or "",
            )
            self.notify(self.t("call.agreed_saved"), timeout=2)

        self.app.push_screen(agreed_dialog(self.services.lang), done)

    def action_switch_speaker(self) -> None:
        view = self.query_one(Transcript)
        i = view.last_index("utterance")
        if i is None or self.runner is None:
            self.notify(self.t("call.no_line"), severity="warning", timeout=3)
            return
        e = view.entries[i]
        new = "me" if e.speaker != "me" else "agent"
        self.runner.submit("set_speaker", e.seq, new)
        self.notify(self.t("call.speaker_now", who=self.t(f"speaker.{new}")), timeout=2)

    def action_pause(self) -> None:
        if self.listener is None:
            self.notify(self.t("call.no_audio"), timeout=3)
            return
        self.run_worker(self._pause_or_resume, thread=True, group="listen-ctl", exit_on_error=False)

    def _pause_or_resume(self) -> None:
        if self.listener.paused:
            self.listener.resume()
        else:
            self.listener.pause()

    def action_who_speaks(self) -> None:
        """One mixed stream (speakerphone): say who is talking from now on."""
        if self.listener is not None:
            self.run_worker(self._toggle_speaker, thread=True, group="listen-ctl", exit_on_error=False)

    def _toggle_speaker(self) -> None:
        who = self.listener.toggle_speaker()
        self.app.call_from_thread(self.notify, self.t("call.speaker_live", who=self.t(f"speaker.{who}")), timeout=2)

    def action_candidate(self, n: int) -> None:
        if not self.query_one(SuggestionCard).choose(n):
            self.notify(self.t("call.cand_none", n=n), timeout=2)

    def action_tick(self) -> None:
        points = self.query_one(TalkingPoints)
        st = points.stage
        i = points.next_open()
        if st is not None and i is not None:
            points.tick(st.id, i)

    def action_stage(self, step: int) -> None:
        points = self.query_one(TalkingPoints)
        if not points.stages or self.runner is None:
            return
        i = min(max(points.current + step, 0), len(points.stages) - 1)
        if i != points.current:
            points.set_stage(points.stages[i].id)
            self.update_stage_label()
            self.runner.submit("stage", points.stages[i].id)

    def action_end(self) -> None:
        # Text typed but never sent is not thrown away: the question shows it and it is kept as a note.
        unsent = self.query_one("#typed", Input).value.strip()
        question = self.t("call.end_confirm")
        if unsent:
            question += "\n" + self.t("call.unsent_note", text=unsent)

        def done(yes: bool | None) -> None:
            if yes:
                if unsent and self.runner is not None:
                    self.runner.submit("note", unsent)
                    self.query_one("#typed", Input).clear()
                self.end_call()

        self.app.push_screen(self.app.dialog(ConfirmDialog, question), done)

    def end_call(self) -> None:
        """Stop listening (the tail of the audio is decoded first), then close the record: both in a thread."""
        self.query_one(SuggestionCard).set_waiting(self.t("ended.closing"))
        self.run_worker(self._finish, thread=True, group="finish", name="finish", exit_on_error=False)

    def on_unmount(self) -> None:
        """Leaving without ending (the app quits): stop listening — what was captured is still recognised and
        recorded — then close the record, in a thread, so the record ends with a closing line."""
        if self.ended:
            return
        listener, runner = self.listener, self.runner
        self.listener = None

        def finish() -> None:
            if listener is not None:
                listener.stop()
            if runner is not None and not runner.closed:
                runner.close(reason="app closed")

        threading.Thread(target=finish, name="close-call", daemon=False).start()

    def _finish(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        if self.runner is not None and self.runner.session is not None and not self.runner.closed:
            self.runner.close()
        else:  # nothing was recorded: there is no record to show
            self.app.call_from_thread(self.dismiss)

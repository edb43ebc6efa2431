"""Live speech of a call: sources → recognizers → CallSession, audio into the record, status for the app.

The app builds a Listener with `Listener.open(session, ...)` (or from its own sources in tests), calls
start(), shows what `on_partial` and `on_status` report, and calls stop() before closing the session.
Every change of listening is written to the record as a system event; a lost device or a failed
recognizer ends listening for that source only, and typed input goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from callassist.audio import sources as S
from callassist.audio.errors import AudioError, ModelError
from callassist.audio.recognizer import Grammar, Recognizer, Status, Utterance, grammar_for_playbook
from callassist.errors import CallassistError

if TYPE_CHECKING:
    from callassist.audio.models import LoadedModel
    from callassist.session import CallSession

PartialHandler = Callable[[Utterance, Any], None]
FinalHandler = Callable[[Utterance, dict, Any], None]
StatusHandler = Callable[[Status], None]

# Status kinds → the record's system event kinds.
SYSTEM_KINDS = {
    "listening": "recognizer_started",
    "paused": "listening_paused",
    "resumed": "listening_resumed",
    "dropout": "audio_overflow",
    "failed": "recognizer_failed",
}


@dataclass(frozen=True)
class Probe:
    """Whether live speech can be used: the model found, input devices, and why not if not."""

    model: str = ""
    model_path: str = ""
    problem: str = ""
    devices: tuple[str, ...] = field(default_factory=tuple)
    device_problem: str = ""

    @property
    def ready(self) -> bool:
        """A model and at least one input device."""
        return bool(self.model) and not self.problem and bool(self.devices) and not self.device_problem


def probe(model: str | None = None, language: str | None = None) -> Probe:
    """Look for a model and input devices without loading anything heavy (run it off the UI thread)."""
    from callassist.audio.errors import import_vosk
    from callassist.audio.models import find_model

    name = path = problem = ""
    try:
        import_vosk()
        p = find_model(model, language=language)
        name, path = p.name, str(p)
    except ModelError as e:
        problem = str(e)
    devices: tuple[str, ...] = ()
    device_problem = ""
    try:
        devices = tuple(d.describe().strip() for d in S.list_input_devices())
        if not devices:
            device_problem = "no sound input device found"
    except AudioError as e:
        device_problem = str(e)
    return Probe(name, path, problem, devices, device_problem)


def sources_for(mic: int | str | None = None, agent: int | str | None = None) -> list[S.AudioSource]:
    """Your microphone and, when given, a second device for the agent; one device alone is a mixed stream
    labelled 'agent' until the user toggles it."""
    if agent is None:
        return [S.mixed(mic)]
    return [S.microphone(mic), S.agent_device(agent)]


class Listener:
    """Recognizes each source in its own thread and drives the call's session with what it hears."""

    def __init__(
        self,
        session: CallSession,
        model: LoadedModel,
        sources: Sequence[S.AudioSource],
        *,
        grammar: Grammar | list[str] | None = None,
        record_audio: bool = True,
        on_partial: PartialHandler | None = None,
        on_final: FinalHandler | None = None,
        on_status: StatusHandler | None = None,
    ):
        if not sources:
            raise ValueError("at least one audio source")
        self.session = session
        self.model = model
        self.sources = list(sources)
        self.grammar = grammar
        self.record_audio = record_audio
        self.on_partial = on_partial
        self.on_final = on_final
        self.on_status = on_status
        self.recognizers: list[Recognizer] = []
        self.problems: list[str] = []
        self._writer = None
        self._offsets: dict[str, float] = {}
        self._lock = threading.Lock()
        self.started_listening: float | None = None  # time.perf_counter() when every source was open

    @classmethod
    def open(
        cls,
        session: CallSession,
        model: LoadedModel,
        *,
        mic: int | str | None = None,
        agent: int | str | None = None,
        grammar: bool = False,
        **kwargs: Any,
    ) -> Listener:
        """A listener on the user's devices (see sources_for); grammar=True restricts recognition to the
        playbook's phrases (small models only)."""
        g = grammar_for_playbook(model, session.playbook) if grammar else None
        return cls(session, model, sources_for(mic, agent), grammar=g, **kwargs)

    # -- control ------------------------------------------------------------------------------------

    def start(self) -> Listener:
        """Open every source and start its recognizer; AudioError/ModelError (one line) if none can start.

        A source that fails while others start is reported through on_status and the record."""
        started: list[Recognizer] = []
        for src in self.sources:
            try:
                rec = Recognizer(
                    self.model,
                    src,
                    self._utterance,
                    self._status,
                    grammar=self.grammar,
                    on_audio=self._audio if self.record_audio else None,
                )
                src.start()
                self._offsets[src.name] = self._offset(src)
                rec.start()
                started.append(rec)
            except CallassistError as e:
                src.stop()
                self.problems.append(str(e))
                self._system("recognizer_failed", source=src.name, message=str(e))
                self._tell(Status("failed", src.name, str(e)))
        self.recognizers = started
        if not started:
            raise AudioError(self.problems[0] if self.problems else "no audio source could be started")
        self.started_listening = time.perf_counter()
        return self

    def pause(self) -> None:
        """Stop recognising (audio is still recorded); the current utterances are finished."""
        for r in self.recognizers:
            r.pause()

    def resume(self) -> None:
        """Recognise again."""
        for r in self.recognizers:
            r.resume()

    @property
    def paused(self) -> bool:
        """True while paused."""
        return bool(self.recognizers) and all(r.paused for r in self.recognizers)

    def toggle_speaker(self) -> str:
        """For one mixed stream: flip who is speaking now (me ↔ agent); returns the new label."""
        src = self.sources[0]
        new = src.toggle_speaker()
        self._system("speaker_toggled", source=src.name, speaker=new, at=round(src.captured_seconds, 3))
        return new

    def stop(self, timeout: float = 30.0) -> None:
        """Stop capture and wait until everything captured is recognised and recorded."""
        for r in self.recognizers:
            r.source.stop()
        for r in self.recognizers:
            r.join(timeout)

    @property
    def active(self) -> bool:
        """Whether any recognizer is still running."""
        return any(r.state in ("listening",) for r in self.recognizers)

    def stats(self) -> dict[str, dict]:
        """Per source: audio seconds, real-time factor, overflows, dropped blocks, state."""
        return {
            r.source.name: {
                "audio_seconds": round(r.audio_seconds, 2),
                "rtf": round(r.rtf, 3),
                "overflows": r.source.overflows,
                "dropped": r.source.dropped,
                "state": r.state,
                "error": r.error,
            }
            for r in self.recognizers
        }

    # -- plumbing -------------------------------------------------------------------------------------

    def _offset(self, src: S.AudioSource) -> float:
        """Seconds from the call's start to the source's audio time 0."""
        started = src.started_at if src.started_at is not None else time.time()
        return max(0.0, started - self.session.started_at.timestamp())

    def _at(self, src_name: str, t: float) -> float:
        return round(self._offsets.get(src_name, 0.0) + t, 3)

    def _audio(self, src: S.AudioSource, blk: S.Block) -> None:
        try:
            with self._lock:
                if self._writer is None:
                    self._writer = self.session.audio_writer(tuple(s.name for s in self.sources), S.RATE)
            self._writer.write(src.name, blk.data)
        except CallassistError as e:
            if self.record_audio:
                self.record_audio = False  # one report; recognition goes on without the audio file
                self.problems.append(str(e))
                self._tell(Status("failed", src.name, f"audio not recorded: {e}"))

    def _utterance(self, u: Utterance) -> None:
        try:
            if u.is_final:
                event, match = self.session.utterance(
                    u.speaker if u.speaker in ("me", "agent") else "unknown",
                    u.text,
                    start=self._at(u.source, u.t0),
                    end=self._at(u.source, u.t1),
                    confidence=u.confidence,
                )
                if self.on_final is not None:
                    self.on_final(u, event, match)
            else:
                match = self.session.partial(u.speaker, u.text)
                if self.on_partial is not None:
                    self.on_partial(u, match)
        except CallassistError as e:  # e.g. a full disk: the session keeps the event pending; listening goes on
            self.problems.append(str(e))
            self._tell(Status("record_error", u.source, str(e)))

    def _status(self, st: Status) -> None:
        if st.kind == "stopped":
            reason = st.detail.get("reason")
            if reason == "error":
                self._system("device_lost", source=st.source, message=st.message, **_numbers(st.detail))
            else:
                self._system("recognizer_stopped", source=st.source, reason=reason, **_numbers(st.detail))
        elif st.kind in SYSTEM_KINDS:
            detail = {k: v for k, v in st.detail.items() if k != "reason"}
            if st.kind == "listening":
                src = next((s for s in self.sources if s.name == st.source), None)
                if src is not None:
                    detail["device"] = src.describe()
                    detail["started"] = _iso(self.session.started_at, self._offsets.get(src.name, 0.0))
                detail["model"] = self.model.name
            self._system(SYSTEM_KINDS[st.kind], source=st.source, message=st.message, **detail)
        self._tell(st)

    def _system(self, kind: str, **detail: object) -> None:
        try:
            self.session.system(kind, **detail)
        except CallassistError as e:
            self.problems.append(str(e))

    def _tell(self, st: Status) -> None:
        if self.on_status is not None:
            self.on_status(st)


def _numbers(detail: dict) -> dict:
    return {k: v for k, v in detail.items() if k in ("at", "overflows", "dropped")}


def _iso(started: datetime, offset: float) -> str:
    from callassist.record.journal import iso

    return iso(started + timedelta(seconds=offset))

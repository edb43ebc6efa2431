"""Live speech of a call: sources → recognizers → a sink (the app's, or a CallSession), with status.

`LiveAudio(sink, model, sources)` runs one recognizer thread per source and reports to `sink`, an object
with these methods (called from the recognizer threads; the optional ones may be missing):

    final(speaker, text, *, start, end, confidence)   a final utterance; start/end in seconds since the call
                                                     started when `call_started` is given, else on the source's
                                                     audio clock
    partial(speaker, text)                           words so far (revised as speech goes on)
    state(state, detail="", dropouts=None, record=None)
                                                     loading | listening | paused | resumed | stopped | failed;
                                                     `record` is a system event for the journal ({"kind": ...})
    level(value)                     (optional)      input level 0..1 for a meter, once per 0.1 s block
    audio(channel, pcm)              (optional)      16 kHz mono int16 audio of one source, for the record

`Listener(session, model, sources)` is the same with a CallSession as the sink (CLI, tests, benchmarks).
A lost device or a failed recognizer ends listening for that source only; typed input goes on.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import numpy as np

from callassist.audio import sources as S
from callassist.audio.errors import AudioError, ModelError, ModelNotFound
from callassist.audio.recognizer import Grammar, Recognizer, Status, Utterance, grammar_for_playbook
from callassist.audio.status import Probe
from callassist.errors import CallassistError

if TYPE_CHECKING:
    from callassist.audio.models import LoadedModel
    from callassist.session import CallSession

# Recognizer status kinds → the record's system event kinds.
SYSTEM_KINDS = {
    "listening": "recognizer_started",
    "paused": "listening_paused",
    "resumed": "listening_resumed",
    "dropout": "audio_overflow",
    "failed": "recognizer_failed",
}


def probe(model: str | None = None, language: str | None = None) -> Probe:
    """Look for a model and input devices without loading anything heavy (run it off the UI thread)."""
    from callassist.audio.errors import import_vosk
    from callassist.audio.models import find_model, model_label

    name = path = problem = problem_zh = ""
    try:
        import_vosk()
        p = find_model(model, language=language)
        name, path = model_label(p), str(p)  # not just "model": the pip package's folder is called that
    except ModelNotFound:
        pass  # no model and no problem: the app says "no model yet, here is how to get one" in its own language
    except ModelError as e:
        problem, problem_zh = str(e), e.message(True)
    devices: tuple[str, ...] = ()
    device_problem = device_problem_zh = ""
    try:
        devices = tuple(d.describe().strip() for d in S.list_input_devices())
    except AudioError as e:
        device_problem, device_problem_zh = str(e), e.message(True)
    return Probe(
        name, path, problem, devices, device_problem, problem_zh=problem_zh, device_problem_zh=device_problem_zh
    )


def sources_for(mic: int | str | None = None, agent: int | str | None = None) -> list[S.AudioSource]:
    """Your microphone and, when given, a second device for the agent; one device alone is a mixed stream
    labelled 'agent' until the user toggles it."""
    if agent is None:
        return [S.mixed(mic)]
    return [S.microphone(mic), S.agent_device(agent)]


def level_of(pcm: bytes) -> float:
    """Loudness of a block for a meter: RMS in dBFS mapped from -60..0 dB to 0..1."""
    x = np.frombuffer(pcm, dtype="<i2")
    if not len(x):
        return 0.0
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) / 32768.0
    db = 20 * math.log10(rms) if rms > 0 else -120.0
    return min(1.0, max(0.0, (db + 60.0) / 60.0))


class LiveAudio:
    """Recognizes each source in its own thread and reports to a sink (see the module docstring)."""

    def __init__(
        self,
        sink: Any,
        model: LoadedModel | str | PurePath | None,
        sources: Sequence[S.AudioSource],
        *,
        grammar: Grammar | list[str] | None = None,
        playbook: Any = None,
        call_started: datetime | None = None,
        language: str | None = None,
        chinese: bool = False,
    ):
        """model: a loaded model, or a path, a name or None to find and load in start() (state 'loading').
        playbook: restrict recognition to its phrases (grammar mode) when no grammar is given.
        chinese: the sink's `detail` of a failure is in Chinese when known (the record's events stay English)."""
        if not sources:
            raise ValueError("at least one audio source")
        self.sink = sink
        self.model = None if model is None or isinstance(model, str | PurePath) else model
        self._model_arg = model
        self.language = language
        self.sources = list(sources)
        self.grammar = grammar
        self.playbook = playbook
        self.call_started = call_started
        self.recognizers: list[Recognizer] = []
        self.problems: list[str] = []
        self.problems_zh: list[str] = []
        """`problems` in Chinese (the English one where there is none)."""
        self.chinese = chinese
        self.started_listening: float | None = None  # time.perf_counter() when every source was open
        self._offsets: dict[str, float] = {}
        self._levels: dict[str, float] = {}
        self._dropouts = 0

    # -- control ------------------------------------------------------------------------------------

    def start(self) -> LiveAudio:
        """Load the model if needed, open every source and start its recognizer.

        Raises ModelError/AudioError (one line, also reported as state 'failed') if nothing can listen;
        a source that fails while others start is reported and left out."""
        if self.model is None:
            from callassist.audio.models import find_model, load_model

            self._state("loading", "loading the speech model")
            try:
                self.model = load_model(find_model(self._model_arg, language=self.language))
            except ModelError as e:
                record = {"kind": "recognizer_failed", "message": str(e)}
                self._state("failed", e.message(self.chinese), record=record)
                raise
        if self.grammar is None and self.playbook is not None:
            self.grammar = grammar_for_playbook(self.model, self.playbook)
        started: list[Recognizer] = []
        for src in self.sources:
            try:
                rec = Recognizer(self.model, src, self._utterance, self._status, grammar=self.grammar)
                rec.on_audio = self._audio
                src.start()
                self._offsets[src.name] = self._offset(src)
                rec.start()
                started.append(rec)
            except CallassistError as e:
                src.stop()
                self.problems.append(str(e))
                self.problems_zh.append(e.message(True))
                record = {"kind": "recognizer_failed", "source": src.name, "message": str(e)}
                self._state("failed", e.message(self.chinese), record=record)
        self.recognizers = started
        if not started:
            if self.problems:
                raise AudioError(self.problems[0], zh=self.problems_zh[0])
            raise AudioError("no audio source could be started", zh="没有一个音源能打开")
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
        record = {"kind": "speaker_toggled", "source": src.name, "speaker": new, "audio_at": self._at(src.name, 0.0)}
        self._state("speaker", new, record=record)
        return new

    def stop(self, timeout: float = 30.0) -> None:
        """Stop capture and wait until everything captured is recognised and reported."""
        for r in self.recognizers:
            r.source.stop()
        for r in self.recognizers:
            r.join(timeout)

    @property
    def active(self) -> bool:
        """Whether any recognizer is still running."""
        return any(r.state == "listening" for r in self.recognizers)

    def stats(self) -> dict[str, dict]:
        """Per source: audio seconds, real-time factor, overflows, dropped blocks, state, error."""
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
        """Seconds from the call's start to the source's audio time 0 (0 without a call start)."""
        if self.call_started is None:
            return 0.0
        started = src.started_at if src.started_at is not None else time.time()
        return max(0.0, started - self.call_started.timestamp())

    def _at(self, src_name: str, t: float) -> float:
        return round(self._offsets.get(src_name, 0.0) + t, 3)

    def _audio(self, src: S.AudioSource, blk: S.Block) -> None:
        level = getattr(self.sink, "level", None)
        if level is not None:  # once per 0.1 s block: the loudest source's latest level
            self._levels[src.name] = level_of(blk.data)
            level(max(self._levels.values()))
        audio = getattr(self.sink, "audio", None)
        if audio is not None:
            audio(src.name, blk.data)

    def _utterance(self, u: Utterance) -> None:
        speaker = u.speaker if u.speaker in (S.ME, S.AGENT) else "unknown"
        if u.is_final:
            self.sink.final(
                speaker, u.text, start=self._at(u.source, u.t0), end=self._at(u.source, u.t1), confidence=u.confidence
            )
        else:
            self.sink.partial(speaker, u.text)

    def _status(self, st: Status) -> None:
        # the recognizer's "at" is where in the audio it happened; an event's own "at" is its time of day
        detail = {("audio_at" if k == "at" else k): v for k, v in st.detail.items()}
        if st.kind == "stopped":
            reason = detail.pop("reason", None)
            numbers = {k: v for k, v in detail.items() if k in ("audio_at", "overflows", "dropped")}
            if reason == "error":
                record = {"kind": "device_lost", "source": st.source, "message": st.message, **numbers}
                self._state("failed", self._message(st), record=record)
            else:
                record = {"kind": "recognizer_stopped", "source": st.source, "reason": reason, **numbers}
                self._state("stopped", st.message, record=record)
            return
        if st.kind == "dropout":
            self._dropouts = sum(s.overflows + s.dropped for s in self.sources)
        record = {"kind": SYSTEM_KINDS.get(st.kind, st.kind), "source": st.source, "message": st.message, **detail}
        if st.kind == "listening":
            src = next((s for s in self.sources if s.name == st.source), None)
            if src is not None:
                record["device"] = src.describe()
                if self.call_started is not None:
                    record["started"] = _iso(self.call_started, self._offsets.get(src.name, 0.0))
            record["model"] = self.model.name if self.model is not None else ""
        self._state(st.kind, self._message(st), record=record)

    def _message(self, st: Status) -> str:
        """A status's message for the sink: in Chinese when asked and known."""
        return st.message_zh if self.chinese and st.message_zh else st.message

    def _state(self, state: str, detail: str = "", record: dict | None = None) -> None:
        dropouts = self._dropouts if state in ("dropout", "stopped", "failed") else None
        self.sink.state(state, detail, dropouts, record)


class SessionSink:
    """A sink that drives a CallSession directly (for the CLI, tests and benchmarks), with optional hooks."""

    def __init__(
        self,
        session: CallSession,
        *,
        record_audio: bool = True,
        channels: Sequence[str] = (S.ME, S.AGENT),
        on_partial: Callable[[str, str, Any], None] | None = None,
        on_final: Callable[[dict, Any], None] | None = None,
        on_state: Callable[[str, str], None] | None = None,
    ):
        self.session = session
        self.record_audio = record_audio
        self.channels = tuple(channels)
        self.on_partial = on_partial
        self.on_final = on_final
        self.on_state = on_state
        self.problems: list[str] = []
        self._writer = None
        self._lock = threading.Lock()
        if not record_audio:
            self.audio = None  # type: ignore[assignment]

    def final(self, speaker: str, text: str, *, start=None, end=None, confidence=None) -> None:
        try:
            event, match = self.session.utterance(speaker, text, start=start, end=end, confidence=confidence)
        except CallassistError as e:  # e.g. a full disk: the session keeps the event pending; listening goes on
            self.problems.append(str(e))
            return
        if self.on_final is not None:
            self.on_final(event, match)

    def partial(self, speaker: str, text: str) -> None:
        match = self.session.partial(speaker, text)
        if self.on_partial is not None:
            self.on_partial(speaker, text, match)

    def state(self, state: str, detail: str = "", dropouts: int | None = None, record: dict | None = None) -> None:
        if record is not None:
            rec = dict(record)
            try:
                self.session.system(rec.pop("kind"), **rec)
            except CallassistError as e:
                self.problems.append(str(e))
        if self.on_state is not None:
            self.on_state(state, detail)

    def audio(self, channel: str, pcm: bytes) -> None:
        try:
            with self._lock:
                if self._writer is None:
                    self._writer = self.session.audio_writer(self.channels, S.RATE)
            self._writer.write(channel, pcm)
        except CallassistError as e:
            self.problems.append(f"audio not recorded: {e}")
            self.audio = None  # type: ignore[assignment]  # one report; recognition goes on without the file


class Listener(LiveAudio):
    """LiveAudio that writes straight into a CallSession: utterances, matches, audio and system events."""

    def __init__(
        self,
        session: CallSession,
        model: LoadedModel,
        sources: Sequence[S.AudioSource],
        *,
        grammar: Grammar | list[str] | None = None,
        record_audio: bool = True,
        on_partial: Callable[[Utterance, Any], None] | None = None,
        on_final: Callable[[Utterance, dict, Any], None] | None = None,
        on_status: Callable[[Status], None] | None = None,
    ):
        self._hooks = (on_partial, on_final, on_status)
        self._tls = threading.local()  # the utterance being reported, per recognizer thread
        sink = SessionSink(
            session,
            record_audio=record_audio,
            channels=tuple(s.name for s in sources),
            on_partial=self._partial_hook,
            on_final=self._final_hook,
        )
        super().__init__(sink, model, sources, grammar=grammar, call_started=session.started_at)
        self.session = session

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

    def _utterance(self, u: Utterance) -> None:
        self._tls.current = u  # the hooks get the Utterance with its audio-clock times and words
        super()._utterance(u)

    def _partial_hook(self, speaker: str, text: str, match: Any) -> None:
        if self._hooks[0] is not None:
            self._hooks[0](self._tls.current, match)

    def _final_hook(self, event: dict, match: Any) -> None:
        if self._hooks[1] is not None:
            self._hooks[1](self._tls.current, event, match)

    def _status(self, st: Status) -> None:
        super()._status(st)
        if self._hooks[2] is not None:
            self._hooks[2](st)

    @property
    def problems_all(self) -> list[str]:
        """Problems met by the listener and its session sink."""
        return self.problems + self.sink.problems


def _iso(started: datetime, offset: float) -> str:
    from callassist.record.journal import iso

    return iso(started + timedelta(seconds=offset))

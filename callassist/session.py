"""CallSession: the one core object that owns a call — matching, and a durable record of every event.

The terminal app, `transcribe`, rehearsal, `import` and the tests all drive a call through this class. It has
no UI: it takes utterances and user commands, asks the matcher, writes each event to the journal (fsynced)
and only then tells subscribers. Methods may be called from several threads.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from callassist import __version__
from callassist.record import journal as J
from callassist.record.paths import RecordError, RecordWriteError, ensure_private_dir, new_record_dir

if TYPE_CHECKING:
    from callassist.matcher import Match, Matcher
    from callassist.playbook import Playbook
    from callassist.record.audio import WavWriter
    from callassist.record.recover import Recovery

MODES = ("live", "typed", "rehearsal", "import", "transcribe")
DIRECTIONS = ("outgoing", "incoming", "unknown")
AUDIO_FILE = "audio.wav"
# Placeholder values worth keeping in the record: they become the requests of a mediation pack.
KEPT_VALUES = ("name", "lender", "debt", "apr", "periods", "monthly", "affordable", "first_due", "hardship")
DERIVED_NOTE = (
    "The audio file, when there is one, is the original record of the call. Transcript lines are derived "
    "from it by speech recognition, or typed or imported by the user; they are not a substitute for it."
)

Subscriber = Callable[[dict], None]


@dataclass(frozen=True)
class ClosedInfo:
    """Where a finished record is and what proves it."""

    folder: Path
    final_digest: str
    duration: float | None
    audio_sha256: str | None
    events: int = 0


def _r(x: float | None, nd: int = 3) -> float | None:
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {x}")
    return round(x, nd)


def _time(at: datetime | str | None) -> str | None:
    if at is None:
        return None
    if isinstance(at, datetime):
        return J.iso(at)
    return J.iso(datetime.fromisoformat(at))


def _jsonable(detail: Mapping[str, object]) -> dict:
    """Details as plain JSON values (odd objects become their text)."""
    return json.loads(json.dumps(dict(detail), ensure_ascii=False, default=str))


class CallSession:
    """One call being recorded. Create it with `CallSession.start(...)`; finish with `close()` or `with`."""

    def __init__(
        self,
        journal: J.Journal,
        playbook: Playbook,
        matcher: Matcher,
        values: Mapping[str, str],
        header: dict,
        started_at: datetime,
        audio: WavWriter | None = None,
        recovered: Sequence[Recovery] = (),
    ):
        self.journal = journal
        self.folder = journal.path.parent
        self.playbook = playbook
        self.matcher = matcher
        self.values = dict(values)
        self.header = header
        self.started_at = started_at
        self.recovered = tuple(recovered)
        self.events: list[dict] = []
        self.current_stage: str | None = None
        self._audio = audio
        self._t0 = time.monotonic()
        self._lock = threading.RLock()
        self._subscribers: list[Subscriber] = []
        self._speakers: dict[int, str] = {}
        self._last_agent: int | None = None
        self._info: ClosedInfo | None = None
        self._late: list[dict] = []
        self._closing = False

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        transcripts_dir: str | Path,
        playbook: Playbook,
        *,
        matcher: Matcher | None = None,
        values: Mapping[str, str] | None = None,
        lender: str = "",
        direction: str = "outgoing",
        agent_name: str = "",
        agent_id: str = "",
        agent_company: str = "",
        numbers: Iterable[str] = (),
        mode: str = "typed",
        started_at: datetime | None = None,
        audio_channels: Sequence[str] | None = None,
        audio_rate: int = 16000,
        source: Mapping[str, object] | None = None,
        recover: bool = True,
    ) -> CallSession:
        """Open a new record under transcripts_dir and write its header.

        Calls left unfinished by an earlier crash are first marked interrupted (recover=False skips that).
        audio_channels (e.g. ("me", "agent")) also starts audio.wav with one channel per source.
        source describes an imported file (name, sha256) for `import` and `transcribe`.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
        root = ensure_private_dir(Path(transcripts_dir))
        recovered: list[Recovery] = []
        if recover:
            from callassist.record.recover import recover_all

            try:
                recovered = recover_all(root)
            except RecordError:
                recovered = []  # a record that cannot be marked now is tried again on the next start
        if matcher is None:
            from callassist.matcher import Matcher

            matcher = Matcher(playbook)
        started = (started_at if started_at.tzinfo else started_at.astimezone()) if started_at else J.now()
        values = dict(values or {})
        if lender and "lender" not in values:
            values["lender"] = lender
        folder = new_record_dir(root, started, lender, mode)
        audio: WavWriter | None = None
        audio_json = None
        try:
            if audio_channels:
                from callassist.record.audio import WavWriter

                audio = WavWriter(folder / AUDIO_FILE, tuple(audio_channels), audio_rate)
                audio_json = {
                    "file": AUDIO_FILE,
                    "channels": list(audio.channels),
                    "rate": audio.rate,
                    "sample_width": audio.sample_width,
                }
            header = {
                "app": f"callassist {__version__}",
                "platform": J.platform_info(),
                "call_id": uuid.uuid4().hex,
                "mode": mode,
                "started": J.iso(started),
                # The machine's zone name only describes a start time given in the machine's own offset.
                "time_zone": J.zone_name() if started.astimezone().utcoffset() == started.utcoffset() else "",
                "utc_offset": started.strftime("%z")[:3] + ":" + started.strftime("%z")[3:],
                "created": J.iso(J.now()),
                "playbook": {
                    "id": playbook.id,
                    "title": playbook.title,
                    "language": playbook.language,
                    "sha256": playbook.sha256,
                },
                "lender": lender,
                "direction": direction,
                "agent": {"name": agent_name, "id": agent_id, "company": agent_company},
                "numbers": [str(n) for n in numbers if str(n).strip()],
                "values": {k: str(values[k]) for k in KEPT_VALUES if values.get(k)},
                "audio": audio_json,
                "source": _jsonable(source) if source else None,
                "transcript": DERIVED_NOTE,
            }
            journal = J.Journal.create(folder, header)
        except BaseException:
            if audio is not None:  # no journal was written: the empty recording goes with the folder
                with contextlib.suppress(RecordError, OSError):
                    audio.close()
                with contextlib.suppress(OSError):
                    audio.path.unlink()
            _remove_if_empty(folder)
            raise
        return cls(journal, playbook, matcher, values, header, started, audio, recovered)

    # -- events ---------------------------------------------------------------------------------

    def _append(self, type_: str, fields: dict, at: str | None = None) -> tuple[dict, list[dict]]:
        """Write an event; returns it and every event now durable (earlier pending ones included)."""
        if at is None and self.header.get("mode") == "import" and type_ != "close":
            at = ""  # a line of an imported log without a time: its time is unknown, not now
        try:
            written = self.journal.append(type_, fields, at)
        except RecordWriteError as e:
            # Earlier pending events may have reached the disk before this one failed: they count.
            self.events.extend(e.written)
            self._late.extend(e.written)
            raise
        self.events.extend(written)
        return written[-1], written

    def _notify(self, written: Iterable[dict]) -> None:
        late, self._late = self._late, []
        for ev in [*late, *written]:
            for cb in list(self._subscribers):
                cb(ev)

    def _check_open(self) -> None:
        if self._info is not None or self._closing:
            raise RecordError(f"{self.folder}: the call is already closed")

    def utterance(
        self,
        speaker: str,
        text: str,
        *,
        start: float | None = None,
        end: float | None = None,
        confidence: float | None = None,
        at: datetime | str | None = None,
    ) -> tuple[dict, Match | None]:
        """Record a final utterance; for the agent's (or an unknown speaker's) words, match and record the
        suggestion and any alert. Returns the utterance event and the match (None for the user's own words)."""
        if speaker not in J.SPEAKERS:
            raise ValueError(f"speaker must be one of {', '.join(J.SPEAKERS)}, not {speaker!r}")
        text = text.strip()
        if not text:
            raise ValueError("an utterance needs some text")
        fields = {"speaker": speaker, "text": text, "start": _r(start), "end": _r(end), "confidence": _r(confidence)}
        notify: list[dict] = []
        failed: RecordWriteError | None = None
        try:
            with self._lock:
                self._check_open()
                when = _time(at)
                # The seq this line gets: events are written strictly in order, pending ones first.
                seq = self.journal.next_seq + self.journal.pending
                try:
                    event, written = self._append("utterance", fields, when)
                    notify += written
                except RecordWriteError as e:
                    failed = e
                    event = {"seq": seq, "type": "utterance", **fields, "pending": True}
                self._speakers[seq] = speaker
                match = None
                if speaker != "me":
                    # Help on the call comes first: match even when the disk refuses the line, and queue the
                    # suggestion behind it so the record catches up once there is room.
                    self._last_agent = seq
                    match = self.matcher.match(text)
                    written, err = self._record_match(seq, match, when)
                    notify += written
                    failed = failed or err
        finally:
            self._notify(notify)
        if failed is not None:
            failed.event, failed.match = event, match
            raise failed
        return event, match

    def _record_match(self, ref: int, match: Match, at: str | None) -> tuple[list[dict], RecordWriteError | None]:
        """Write the suggestion and the alerts of a match (the best intent's, then any other that scored high
        too); a write error is returned, with the events queued."""
        if match.intent is None:
            return [], None
        intent = self.playbook.intent(match.intent)
        events = [
            (
                "suggestion",
                {"ref": ref, "intent": intent.id, "title": intent.title, "score": round(float(match.score), 4)},
            )
        ]
        for alerting in (intent, *(self.playbook.intent(i) for i in match.also_alerts)):
            if alerting.alert:
                events.append(
                    (
                        "alert",
                        {"ref": ref, "intent": alerting.id, "alert": alerting.alert, "rule": alerting.rule or ""},
                    )
                )
        out: list[dict] = []
        failed = None
        for type_, fields in events:
            try:
                out += self._append(type_, fields, at)[1]
            except RecordWriteError as e:
                failed = failed or e
        return out, failed

    def partial(self, speaker: str, text: str) -> Match | None:
        """Match a partial (still changing) result early; nothing is recorded."""
        if speaker == "me" or not text.strip():
            return None
        return self.matcher.match(text)

    def _simple(self, type_: str, fields: dict, at: str | None = None) -> dict:
        notify: list[dict] = []
        try:
            with self._lock:
                self._check_open()
                event, notify = self._append(type_, fields, at)
        finally:
            self._notify(notify)
        return event

    def note(self, text: str) -> dict:
        """A note by the user."""
        text = text.strip()
        if not text:
            raise ValueError("a note needs some text")
        return self._simple("note", {"text": text})

    def bookmark(self, label: str = "") -> dict:
        """Bookmark the agent's last line (or the moment, if the agent has not spoken yet)."""
        return self._simple("bookmark", {"ref": self._last_agent, "label": label.strip()})

    def agreed(
        self,
        amount: float | None = None,
        periods: int | None = None,
        per_period: float | None = None,
        first_due: date | str | None = None,
        waived: Iterable[str] = (),
        text: str = "",
    ) -> dict:
        """A term both sides agreed on: total amount, number of periods, amount per period, first due date,
        items waived (罚息, 违约金, late fees), and the words of the agreement."""
        if periods is not None and (int(periods) != periods or periods < 1):
            raise ValueError("periods must be a whole number of 1 or more")
        for name, v in (("amount", amount), ("per_period", per_period)):
            if v is not None and (not math.isfinite(float(v)) or float(v) < 0):
                raise ValueError(f"{name} must be a positive amount")
        due = first_due.isoformat() if isinstance(first_due, date) else (first_due or None)
        fields = {
            "amount": _r(amount, 2),
            "periods": int(periods) if periods is not None else None,
            "per_period": _r(per_period, 2),
            "first_due": due,
            "waived": [w.strip() for w in waived if w and w.strip()],
            "text": text.strip(),
        }
        if not any(v for v in fields.values()):
            raise ValueError("an agreed term needs at least one value or some text")
        return self._simple("agreed", fields)

    def stage(self, stage_id: str) -> dict:
        """The call moved to a stage of the playbook."""
        titles = {s.id: s.title for s in self.playbook.stages}
        if stage_id not in titles:
            raise ValueError(f"no stage '{stage_id}' in playbook {self.playbook.id}")
        event = self._simple("stage", {"stage": stage_id, "title": titles[stage_id]})
        self.current_stage = stage_id
        return event

    def system(self, kind: str, *, when: datetime | str | None = None, **detail: object) -> dict:
        """Something the machinery did or suffered: recognizer_started/stopped, device_lost, audio_overflow,
        listening_paused/resumed, ...

        when is the event's time: None (live calls) means now; `transcribe` gives a time in the recording."""
        if not kind:
            raise ValueError("a system event needs a kind")
        return self._simple("system", {"kind": kind, **_jsonable(detail)}, _time(when))

    def set_speaker(self, event_seq: int, speaker: str) -> dict:
        """Correct who said an earlier line: a new event that references it (the line itself is unchanged).

        A line that becomes the agent's is matched, and its suggestion and alert are recorded too.
        """
        if speaker not in J.SPEAKERS:
            raise ValueError(f"speaker must be one of {', '.join(J.SPEAKERS)}, not {speaker!r}")
        notify: list[dict] = []
        try:
            with self._lock:
                self._check_open()
                if event_seq not in self._speakers:
                    raise ValueError(f"event {event_seq} is not an utterance of this call")
                was = self._speakers[event_seq]
                event, notify = self._append("speaker", {"ref": event_seq, "speaker": speaker, "was": was})
                self._speakers[event_seq] = speaker
                if speaker != "me" and was == "me":
                    if self._last_agent is None or event_seq > self._last_agent:
                        self._last_agent = event_seq
                    text = next(e["text"] for e in self.events if e.get("seq") == event_seq)
                    written, err = self._record_match(event_seq, self.matcher.match(text), None)
                    notify += written
                    if err is not None:
                        raise err
                elif speaker == "me" and self._last_agent == event_seq:
                    agents = [s for s, who in self._speakers.items() if who != "me"]
                    self._last_agent = max(agents) if agents else None
        finally:
            self._notify(notify)
        return event

    @property
    def last_agent_seq(self) -> int | None:
        """The sequence number of the agent's last line (what a bookmark points at)."""
        return self._last_agent

    # -- audio ------------------------------------------------------------------------------------

    def audio_writer(self, channels: Sequence[str] = ("me", "agent"), rate: int = 16000) -> WavWriter:
        """The call's WAV writer, started now if it was not started with the call (one channel per source)."""
        with self._lock:
            self._check_open()
            if self._audio is not None:
                return self._audio
            from callassist.record.audio import WavWriter

            writer = WavWriter(self.folder / AUDIO_FILE, tuple(channels), rate)
            fields = {"file": AUDIO_FILE, "channels": list(writer.channels), "rate": rate, "sample_width": 2}
            try:
                _, written = self._append("audio", fields)
            except BaseException:
                writer.close()
                raise
            self._audio = writer
        self._notify(written)
        return writer

    # -- subscribers, state -----------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call callback(event) after each event is on disk (from the thread that caused it); returns an
        unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def elapsed(self) -> float:
        """Seconds since the call started (monotonic clock)."""
        return time.monotonic() - self._t0

    @property
    def closed(self) -> bool:
        """Whether close() has finished."""
        return self._info is not None

    @property
    def pending(self) -> int:
        """Events waiting to be written (after a full disk)."""
        return self.journal.pending

    def retry(self) -> list[dict]:
        """Write events that failed before (e.g. after freeing disk space); raises if it still fails."""
        notify: list[dict] = []
        try:
            with self._lock:
                notify = self._flush()
        finally:
            self._notify(notify)
        return notify

    def _flush(self) -> list[dict]:
        try:
            written = self.journal.flush()
        except RecordWriteError as e:
            self.events.extend(e.written)
            self._late.extend(e.written)
            raise
        self.events.extend(written)
        return written

    # -- closing ----------------------------------------------------------------------------------

    def close(
        self,
        reason: str = "",
        *,
        duration: float | None = None,
        measured: bool = True,
        at: datetime | str | None = None,
    ) -> ClosedInfo:
        """Finish the audio (hashed), write the closing line with the duration, and release the record.

        If the disk is full the record stays open (and locked) and RecordWriteError is raised; close()
        can be called again. duration overrides the measured length (imports know it from the log); with
        measured=False and no duration the length is recorded as unknown (a log without times). at is the
        closing line's time: None (live calls) means now; an import gives the log's last time, or "" when the
        log has no times (written as null).
        """
        notify: list[dict] = []
        try:
            with self._lock:
                if self._info is not None:
                    return self._info
                if not self._closing:
                    audio_json = None
                    if self._audio is not None:
                        try:
                            audio_json = self._audio.close().to_json()
                        except RecordWriteError as e:
                            audio_json = {"file": AUDIO_FILE, "sha256": None, "error": str(e)}
                    dur = self.elapsed() if duration is None and measured else duration
                    fields = {
                        "duration": _r(dur),
                        "events": self.journal.next_seq + self.journal.pending,
                        "audio": audio_json,
                        "reason": reason or "ended",
                    }
                    when = "" if at == "" else _time(at)
                    self._closing = True  # from here on the closing line is queued: retries only flush
                    _, notify = self._append("close", fields, when)
                else:
                    notify = self._flush()
                event = next(e for e in reversed(self.events) if e["type"] == "close")
                self.journal.close_file()
                a = event.get("audio")
                sha = a.get("sha256") if isinstance(a, dict) else None
                self._info = ClosedInfo(self.folder, event["hash"], event["duration"], sha, event["seq"])
        finally:
            self._notify(notify)
        return self._info

    def __enter__(self) -> CallSession:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._info is None:
            self.close(f"error: {exc_type.__name__}" if exc_type else "")


def _remove_if_empty(folder: Path) -> None:
    """Take back a record folder that never got a journal."""
    try:
        for p in folder.iterdir():
            if p.name.startswith(".") and p.name.endswith(".new"):
                p.unlink()
        folder.rmdir()
    except OSError:
        return

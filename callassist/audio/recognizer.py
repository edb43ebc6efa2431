"""Vosk recognition of one audio source in a worker thread: partial and final utterances on the audio clock.

A Recognizer reads blocks from its source, feeds them to a vosk.KaldiRecognizer and reports:
- Utterance(kind="partial"|"final", speaker, t0, t1, confidence, text, words): times are seconds on the
  source's audio clock (not when the result arrived); add the source's start to get wall-clock times.
- Status(kind, ...): listening, paused, resumed, dropout, stopped, failed — for the app and the record.
Callbacks run in the worker thread; keep them short and thread-safe.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from callassist import text as T
from callassist.audio.errors import CallassistError, RecognizerError
from callassist.audio.models import UNK_TOKENS, LoadedModel
from callassist.audio.sources import RATE, AudioSource, Block

PARTIAL, FINAL = "partial", "final"
_RESYNC = 0.02  # seconds of disagreement between the audio clock and Vosk's clock that mean a gap
# A vosk.KaldiRecognizer grows for as long as it is fed (its decoding graph, built on the fly, and its feature
# pipeline stay in memory): after a final result, once one has been fed this many seconds of audio, it is
# replaced by a fresh one (the model is shared and stays loaded). See docs/audio.md, "Memory over a long call".
RENEW_SECONDS = 60.0


@dataclass(frozen=True)
class Word:
    """One recognised word with its times on the audio clock and Vosk's confidence (0–1)."""

    text: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Utterance:
    """What was heard: a partial (revised as speech goes on) or a final result for one stretch of speech."""

    kind: str
    speaker: str
    t0: float
    t1: float
    confidence: float | None
    text: str
    words: tuple[Word, ...] = ()
    source: str = ""
    heard_until: float = 0.0  # audio-clock position when this result came out (t1 plus Vosk's end-of-speech wait)

    @property
    def is_final(self) -> bool:
        """True for a final result."""
        return self.kind == FINAL


@dataclass(frozen=True)
class Status:
    """A change in listening the user should see and the record should keep."""

    kind: str  # listening | paused | resumed | dropout | stopped | failed
    source: str
    message: str
    detail: dict = field(default_factory=dict)
    message_zh: str | None = None
    """The message in Chinese, when there is one (for a failure or a lost device)."""


UtteranceHandler = Callable[[Utterance], None]
StatusHandler = Callable[[Status], None]
AudioHandler = Callable[[AudioSource, Block], None]


def _segment(token: str, vocab: frozenset[str], max_len: int = 12) -> tuple[list[str], str]:
    """Forward longest-match split of an unspaced token (Chinese, Korean) into vocabulary words."""
    out: list[str] = []
    missing = ""
    i = 0
    while i < len(token):
        for j in range(min(len(token), i + max_len), i, -1):
            if token[i:j] in vocab:
                out.append(token[i:j])
                i = j
                break
        else:
            missing += token[i]
            i += 1
    return out, missing


@dataclass(frozen=True)
class Grammar:
    """Phrases in the model's own words (what KaldiRecognizer accepts) and the words it does not know."""

    phrases: tuple[str, ...]
    missing: tuple[str, ...]

    def as_list(self) -> list[str]:
        """The JSON list Vosk takes."""
        return list(self.phrases)


def build_grammar(phrases: Iterable[str], vocabulary: frozenset[str], unk: str | None = None) -> Grammar:
    """Rewrite phrases into vocabulary words: spaced words kept if known, unspaced scripts split by longest
    match (Chinese 逾期利息 → 逾期 利息; Korean 반갑습니다 → 반갑 습니다); unknown pieces are left out."""
    out: dict[str, None] = {}
    missing: dict[str, None] = {}
    for p in phrases:
        words: list[str] = []
        for tok in T.clean(p).split():
            if tok in vocabulary:
                words.append(tok)
            elif tok.isascii():
                missing[tok] = None
            else:
                segs, miss = _segment(tok, vocabulary)
                words.extend(segs)
                if miss:
                    missing[miss] = None
        if words:
            out[" ".join(words)] = None
    if unk:
        out[unk] = None
    return Grammar(tuple(out), tuple(missing))


def playbook_phrases(playbook) -> list[str]:
    """What the agent may say, from a playbook: every intent's examples and keywords, and the chatter."""
    phrases: list[str] = []
    for it in playbook.intents:
        phrases.extend(it.examples)
        phrases.extend(it.keywords)
    phrases.extend(playbook.chatter)
    return phrases


def grammar_for_playbook(model: LoadedModel, playbook) -> Grammar:
    """The grammar that restricts recognition to a playbook's phrases (RecognizerError if the model cannot)."""
    if not model.supports_grammar:
        raise RecognizerError(
            f"model {model.name} cannot be restricted to phrases (it has a static graph; use a small model)",
            zh=f"模型 {model.name} 不能只识别话术里的短语（它是固定的解码图；请换用小模型）",
        )
    return build_grammar(playbook_phrases(playbook), model.vocabulary(), model.unk_token)


def _words(result: dict, offset: float) -> tuple[Word, ...]:
    return tuple(
        Word(w["word"], round(w["start"] + offset, 3), round(w["end"] + offset, 3), float(w.get("conf", 1.0)))
        for w in result.get("result", [])
        if w.get("word") not in UNK_TOKENS
    )


def _clean_text(text: str) -> str:
    return " ".join(t for t in text.split() if t not in UNK_TOKENS)


class Recognizer:
    """Decodes one source in its own thread; pause/resume; stop() drains what was captured first."""

    def __init__(
        self,
        model: LoadedModel,
        source: AudioSource,
        on_utterance: UtteranceHandler | None = None,
        on_status: StatusHandler | None = None,
        *,
        grammar: Grammar | list[str] | None = None,
        partials: bool = True,
        on_audio: AudioHandler | None = None,
        renew_after: float | None = RENEW_SECONDS,
    ):
        self.model = model
        self.on_audio = on_audio
        self.source = source
        self.on_utterance = on_utterance or (lambda u: None)
        self.on_status = on_status or (lambda s: None)
        self.grammar = grammar.as_list() if isinstance(grammar, Grammar) else grammar
        self.partials = partials
        self.renew_after = renew_after  # seconds of audio; None: one KaldiRecognizer for the whole stream
        self.renewals = 0  # KaldiRecognizers replaced by a fresh one so far
        self.state = "idle"
        self.error: str | None = None
        self.error_zh: str | None = None
        """`error` in Chinese, when there is one."""
        self.audio_seconds = 0.0  # audio decoded
        self.decode_seconds = 0.0  # wall time spent inside Vosk (not in the callbacks)
        self.blocks = 0
        self.position = 0.0  # audio-clock end of the last block read
        self._paused = threading.Event()
        self._abort = threading.Event()
        self._thread: threading.Thread | None = None
        self.pending_since: float | None = None  # audio-clock start of an utterance not yet final
        self._safe = 0.0  # audio before this time has been fully handled (apart from a pending utterance)
        self._reported = (0, 0)
        self._last_dropout = -1e9

    @property
    def rtf(self) -> float:
        """Real-time factor so far: decoding time / audio time."""
        return self.decode_seconds / self.audio_seconds if self.audio_seconds else 0.0

    @property
    def horizon(self) -> float:
        """No final still to come from this recognizer can start before this audio-clock time."""
        if self._thread is not None and not self._thread.is_alive():
            return float("inf")
        since = self.pending_since
        return min(since, self._safe) if since is not None else self._safe

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self._paused.is_set()

    def start(self) -> Recognizer:
        """Create the Vosk recognizer here (errors surface at once) and start the worker thread."""
        rec = self.model.recognizer(RATE, self.grammar)
        # handed over in a list the worker empties: a Thread keeps its args until the target returns, which
        # would keep this first KaldiRecognizer (and all it grew) alive after it has been renewed
        self._thread = threading.Thread(target=self._run, args=([rec],), name=f"vosk-{self.source.name}", daemon=True)
        self.state = "listening"
        self._thread.start()
        return self

    def pause(self) -> None:
        """Stop feeding audio to Vosk (it is still read and thrown away); the current utterance is finished."""
        if not self._paused.is_set():
            self._paused.set()
            self._status("paused", "listening paused")

    def resume(self) -> None:
        """Feed audio to Vosk again."""
        if self._paused.is_set():
            self._paused.clear()
            self._status("resumed", "listening again")

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the source and wait until everything it captured has been decoded (the tail is kept)."""
        self.source.stop()
        self.join(timeout)

    def abort(self) -> None:
        """Stop at once without decoding what is still queued."""
        self._abort.set()
        self.source.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to finish (end of file or after stop); True if it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _status(self, kind: str, message: str, message_zh: str | None = None, **detail: object) -> None:
        self.on_status(Status(kind, self.source.name, message, dict(detail), message_zh))

    def _check_dropouts(self, force: bool = False) -> None:
        """Report lost audio at most once a second (and once more at the end)."""
        now = (self.source.overflows, self.source.dropped)
        if now != self._reported and (force or time.monotonic() - self._last_dropout >= 1.0):
            self._reported = now
            self._last_dropout = time.monotonic()
            self._status(
                "dropout",
                f"{self.source.name}: audio was lost (overflows {now[0]}, blocks dropped {now[1]})",
                overflows=now[0],
                dropped=now[1],
                at=round(self.position, 3),
            )

    def _run(self, handover: list) -> None:
        rec = handover.pop()
        src = self.source
        self._status("listening", f"listening: {src.describe()}", grammar=self.grammar is not None)
        offset: float | None = None  # audio clock minus Vosk's clock (Vosk counts only what it was fed)
        fed = 0  # samples fed to the current KaldiRecognizer: Vosk's clock
        renew_at = None if self.renew_after is None else max(1, round(self.renew_after * RATE))
        pending = False  # audio fed since the last final
        utt_start = 0.0
        speaker = src.speaker
        last_partial = ""
        reason = "stopped"

        def emit_final(raw: str, heard: float) -> None:
            nonlocal pending, last_partial
            pending, last_partial = False, ""
            res = json.loads(raw)
            words = _words(res, offset or 0.0)
            text = _clean_text(res.get("text", ""))
            if text:
                t0 = words[0].start if words else round(utt_start, 3)
                t1 = words[-1].end if words else round(heard, 3)
                conf = round(sum(w.conf for w in words) / len(words), 3) if words else None
                self.on_utterance(Utterance(FINAL, speaker, t0, t1, conf, text, words, src.name, round(heard, 3)))
            self.pending_since = None  # only now: a merger reading `horizon` must already see this final

        def renew_due() -> bool:
            return renew_at is not None and fed >= renew_at

        def renew() -> None:
            """Right after a final, when nothing fed to it is still undecoded: a fresh KaldiRecognizer, whose
            clock starts at the next block (the offset is measured again there, so times stay continuous)."""
            nonlocal rec, fed, offset
            t = time.perf_counter()
            rec = None  # the old one is freed before the new one is made
            rec = self.model.recognizer(RATE, self.grammar)
            self.decode_seconds += time.perf_counter() - t
            fed, offset = 0, None
            self.renewals += 1

        try:
            while not self._abort.is_set():
                try:
                    blk = src.read(timeout=0.25)
                except TimeoutError:
                    continue
                if blk is None:
                    at_end = src.duration is not None and self.position >= src.duration - 0.2
                    reason = "error" if src.error else ("end" if at_end else "stopped")
                    break
                self._safe = blk.t0
                self.blocks += 1
                self.position = blk.t1
                if self.on_audio is not None:
                    self.on_audio(src, blk)
                self._check_dropouts()
                if self._paused.is_set():
                    if pending:
                        emit_final(rec.FinalResult(), blk.t0)
                        if renew_due():
                            renew()
                    continue
                now_speaker = src.speaker_at(blk.t0)
                if pending and now_speaker != speaker:
                    emit_final(rec.FinalResult(), blk.t0)
                    if renew_due():
                        renew()
                speaker = now_speaker
                vosk_t = fed / RATE
                if offset is None or abs(blk.t0 - (vosk_t + offset)) > _RESYNC:
                    offset = blk.t0 - vosk_t
                if not pending:
                    utt_start, pending = blk.t0, True
                    self.pending_since = utt_start
                t = time.perf_counter()
                done = rec.AcceptWaveform(blk.data)
                fed += blk.samples
                renewing = done and renew_due()
                if done:
                    # Result() leaves the last few frames in Vosk's pipeline for the next utterance;
                    # FinalResult() decodes them into this one, so a recognizer about to go loses nothing
                    raw = rec.FinalResult() if renewing else rec.Result()
                else:
                    raw = rec.PartialResult() if self.partials else ""
                self.decode_seconds += time.perf_counter() - t
                if done:
                    emit_final(raw, blk.t1)
                    if renewing:
                        renew()
                elif raw:
                    partial = _clean_text(json.loads(raw).get("partial", ""))
                    if partial and partial != last_partial:
                        last_partial = partial
                        t = round(blk.t1, 3)
                        u = Utterance(PARTIAL, speaker, round(utt_start, 3), t, None, partial, (), src.name, t)
                        self.on_utterance(u)
                self.audio_seconds += blk.samples / RATE
            if pending and not self._abort.is_set():
                emit_final(rec.FinalResult(), self.position)
        except CallassistError as e:
            self.error, self.error_zh, reason = str(e), e.zh, "failed"
        except Exception as e:  # Vosk raises bare exceptions from C++; the user gets one line, typed mode goes on
            self.error, self.error_zh, reason = f"speech recognition failed: {e}", f"语音识别出错：{e}", "failed"
        finally:
            self._check_dropouts(force=True)
            if reason == "failed":
                self.state = "failed"
                self._status(
                    "failed",
                    self.error or "recognition failed",
                    self.error_zh or (None if self.error else "识别失败"),
                    at=round(self.position, 3),
                )
            else:
                self.state = "stopped"
                msg = {
                    "end": f"{src.name}: end of the recording",
                    "stopped": f"{src.name}: listening stopped",
                    "error": f"listening stopped: {src.error}",
                }[reason]
                msg_zh = None
                if reason == "error":
                    self.error, self.error_zh = src.error, src.error_zh
                    msg_zh = f"停止收听：{src.error_zh or src.error}"
                self._status(
                    "stopped",
                    msg,
                    msg_zh,
                    reason=reason,
                    at=round(self.position, 3),
                    overflows=src.overflows,
                    dropped=src.dropped,
                )

"""`callassist transcribe`: a call recording becomes a normal record — recognised, matched, hash-chained.

Each side of a stereo recording (--agent-channel) gets its own recognizer thread; their final results are
merged in time order before they reach the session, so the record reads like the call.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callassist.audio.errors import RecognizerError
from callassist.audio.recognizer import Grammar, Recognizer, Status, Utterance
from callassist.audio.sources import AGENT, ME, WavSource, wav_info
from callassist.errors import CallassistError
from callassist.record import journal as J

if TYPE_CHECKING:
    from callassist.audio.models import LoadedModel
    from callassist.playbook import Playbook

Progress = Callable[[float, float], None]


@dataclass(frozen=True)
class Transcribed:
    """What a transcription produced."""

    folder: Path
    final_digest: str
    duration: float
    utterances: int
    suggestions: int
    alerts: int
    rtf: float
    notes: tuple[str, ...] = ()


def file_sha256(path: Path) -> str:
    """SHA-256 of the recording, kept in the record's header."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_sources(path: str | Path, agent_channel: int | None) -> tuple[list[WavSource], list[str]]:
    """One source per side: the agent's channel and yours; a mono file (or no channel given) is one source."""
    info = wav_info(path)
    notes: list[str] = []
    if agent_channel is None or info.channels == 1:
        if info.channels > 1:
            notes.append(
                f"{info.channels} channels mixed into one, all labelled agent; if each side has its own channel, "
                "use --agent-channel N"
            )
        return [WavSource(path, channel=None, speaker=AGENT, name=AGENT)], notes
    me_channel = 1 if agent_channel == 0 else 0
    if info.channels > 2:
        notes.append(f"{info.channels} channels: agent = channel {agent_channel + 1}, you = channel {me_channel + 1}")
    return [
        WavSource(path, channel=agent_channel, speaker=AGENT, name=AGENT),
        WavSource(path, channel=me_channel, speaker=ME, name=ME),
    ], notes


def transcribe_file(
    path: str | Path,
    *,
    model: LoadedModel,
    playbook: Playbook,
    transcripts: str | Path,
    agent_channel: int | None = None,
    values: Mapping[str, str] | None = None,
    lender: str = "",
    started_at: datetime | None = None,
    grammar: Grammar | list[str] | None = None,
    matcher: Any = None,
    progress: Progress | None = None,
    on_utterance: Callable[[Utterance], None] | None = None,
) -> Transcribed:
    """Recognise a recording and write it as a record; the session gets utterances in time order."""
    from callassist.session import CallSession

    path = Path(path)
    sources, notes = make_sources(path, agent_channel)
    info = sources[0].info
    started = started_at or (datetime.now().astimezone() - timedelta(seconds=info.duration))
    finals: list[Utterance] = []
    lock = threading.Lock()
    failures: list[Status] = []

    def collect(u: Utterance) -> None:
        if u.is_final:
            with lock:
                finals.append(u)

    def status(s: Status) -> None:
        if s.kind == "failed":
            failures.append(s)

    recognizers = [Recognizer(model, s, collect, status, grammar=grammar, partials=False) for s in sources]
    source_json = {
        "file": path.name,
        "sha256": file_sha256(path),
        "bytes": path.stat().st_size,
        "seconds": round(info.duration, 3),
        "rate": info.rate,
        "channels": info.channels,
        "agent_channel": agent_channel + 1 if agent_channel is not None else None,
    }
    session = CallSession.start(
        transcripts,
        playbook,
        matcher=matcher,
        values=values,
        lender=lender,
        mode="transcribe",
        started_at=started,
        source=source_json,
    )
    counts = {"utterance": 0, "suggestion": 0, "alert": 0}

    def count(ev: dict) -> None:
        if ev["type"] in counts:
            counts[ev["type"]] += 1

    session.subscribe(count)
    reason = ""
    # Every line is dated in the recording: the call's start plus its offset (not when this command runs).
    ended = started + timedelta(seconds=info.duration)
    try:
        session.system(
            "recognizer_started",
            when=started,
            transcribed=J.iso(J.now()),
            source=path.name,
            model=model.name,
            grammar=grammar is not None,
            sources=[s.describe() for s in sources],
        )
        for r in recognizers:
            r.start()

        def deliver(upto: float) -> None:
            with lock:
                ready = sorted((u for u in finals if u.t0 <= upto), key=lambda u: (u.t0, u.source))
                for u in ready:
                    finals.remove(u)
            for u in ready:
                # start/end are seconds into the recording, i.e. from the call's start in the header
                at = started + timedelta(seconds=min(max(u.t0, 0.0), info.duration))
                session.utterance(u.speaker, u.text, start=u.t0, end=u.t1, confidence=u.confidence, at=at)
                if on_utterance is not None:
                    on_utterance(u)

        while any(not r.join(0) for r in recognizers):
            deliver(min(r.horizon for r in recognizers))
            if progress is not None:
                progress(min(r.position for r in recognizers), info.duration)
            time.sleep(0.05)
        deliver(float("inf"))
        if progress is not None:
            progress(info.duration, info.duration)
        if failures:
            raise RecognizerError(failures[0].message, zh=failures[0].message_zh)
        audio = sum(r.audio_seconds for r in recognizers)
        rtf = sum(r.decode_seconds for r in recognizers) / audio if audio else 0.0
        session.system("recognizer_stopped", when=ended, source=path.name, reason="end", rtf=round(rtf, 3))
    except KeyboardInterrupt:
        reason = "interrupted by the user"
        raise
    except BaseException as e:
        reason = f"error: {e}"
        raise
    finally:
        for r in recognizers:
            r.abort()
        for s in sources:
            s.stop()
        closed = session.close(reason, duration=info.duration, at=ended)
    return Transcribed(
        folder=closed.folder,
        final_digest=closed.final_digest,
        duration=info.duration,
        utterances=counts["utterance"],
        suggestions=counts["suggestion"],
        alerts=counts["alert"],
        rtf=rtf,
        notes=tuple(notes),
    )


def parse_agent_channel(value: str | None, channels: int, path: str) -> int | None:
    """--agent-channel as a 0-based index (1/left, 2/right)."""
    if value is None:
        return None
    v = value.strip().lower()
    aliases = {"left": 1, "l": 1, "right": 2, "r": 2}
    if v in aliases:
        n = aliases[v]
    elif v.isdigit():
        n = int(v)
    else:
        raise CallassistError(
            f"--agent-channel {value}: give a channel number (1 = left, 2 = right)",
            zh=f"--agent-channel {value}：请写声道编号（1 = 左声道，2 = 右声道）",
        )
    if n < 1:
        raise CallassistError(
            "--agent-channel: channels are numbered from 1 (1 = left, 2 = right)",
            zh="--agent-channel：声道从 1 开始编号（1 = 左声道，2 = 右声道）",
        )
    if n > channels:
        raise CallassistError(
            f"{path}: has {channels} channel(s), no channel {n} (--agent-channel)",
            zh=f"{path}：只有 {channels} 个声道，没有第 {n} 声道（--agent-channel）",
        )
    return n - 1


def default_started(path: Path, duration: float):
    """The call's start: the file's modification time minus its length (recorders write the file last)."""
    mtime = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    return mtime - timedelta(seconds=duration)


def transcribe(args: argparse.Namespace) -> int:
    """The CLI command: check the file first, then load the model and playbook, then run with a progress bar."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from callassist import playbook as pb
    from callassist import profile as prof
    from callassist.audio import models as M
    from callassist.audio.recognizer import grammar_for_playbook
    from callassist.help_zh import prefers_chinese

    path = Path(args.file)
    info = wav_info(path)
    channel = parse_agent_channel(args.agent_channel, info.channels, str(path))
    book = pb.load(args.playbook, language=args.lang)
    if args.started:
        try:
            started = datetime.fromisoformat(args.started).astimezone()
        except ValueError:
            raise CallassistError(
                f"--started {args.started}: not an ISO 8601 time (2026-03-01T14:05)",
                zh=f"--started {args.started}：不是 ISO 8601 格式的时间（例如 2026-03-01T14:05）",
            ) from None
    else:
        started = default_started(path, info.duration)
    model_path = M.find_model(args.model, language=book.lang)
    err = Console(stderr=True, highlight=False)
    quiet = args.quiet or not sys.stderr.isatty()
    zh = prefers_chinese()
    if not quiet:  # names and words printed as written (markup=False): a folder may be called "[x]"
        err.print(f"{'正在加载模型' if zh else 'loading model'} {model_path.name} …", markup=False)
    model = M.load_model(model_path)
    grammar = grammar_for_playbook(model, book) if args.grammar else None
    if grammar is not None and grammar.missing and not quiet:
        missing = " ".join(grammar.missing[:12])
        err.print(
            f"注意：模型词表里没有这些词，未放进识别语法：{missing}"
            if zh
            else f"note: not in the model's vocabulary, left out of the grammar: {missing}",
            markup=False,
        )
    from callassist.record.paths import transcripts_root

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[pos]}"))
    with Progress(*columns, TimeRemainingColumn(), console=err, disable=quiet, transient=True) as bar:
        task = bar.add_task(escape(path.name), total=info.duration, pos="")

        def progress(pos: float, total: float) -> None:
            bar.update(task, completed=pos, pos=f"{_mmss(pos)} / {_mmss(total)}")

        result = transcribe_file(
            path,
            model=model,
            playbook=book,
            transcripts=transcripts_root(args.transcripts),
            agent_channel=channel,
            values=prof.values(prof.load()),
            lender=args.lender,
            started_at=started,
            grammar=grammar,
            progress=progress,
        )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(
        f"{path.name}: {_mmss(result.duration)} of audio, {result.utterances} utterances, "
        f"{result.suggestions} suggestions, {result.alerts} alerts (real-time factor {result.rtf:.2f})"
    )
    print(f"record: {result.folder}")
    print(f"final digest: {result.final_digest}")
    return 0


def _mmss(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"

"""Turn a written log of a call (`agent: ...` / `me: ...`, optionally `[14:03:12]` first) into a normal record.

The matcher runs on the agent's lines, so suggestions and alerts are in the record as they would have been
live. The log itself is copied into the record folder and its SHA-256 kept in the header.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from callassist.record.paths import FILE_MODE, RecordError, RecordWriteError, os_problem, os_problem_zh

SPEAKER_WORDS = {
    "agent": "agent",
    "them": "agent",
    "they": "agent",
    "collector": "agent",
    "caller": "agent",
    "rep": "agent",
    "对方": "agent",
    "客服": "agent",
    "催收": "agent",
    "me": "me",
    "i": "me",
    "我": "me",
    "本人": "me",
    "unknown": "unknown",
    "?": "unknown",
    "未知": "unknown",
    "note": "note",
    "备注": "note",
}
_STAMP = r"[\[(（【]\s*(?P<stamp>(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}(?::\d{2})?)\s*[\])）】]"
_LINE = re.compile(r"^\s*(?:" + _STAMP + r"\s*)?(?P<who>[^\s:：]{1,12}?)\s*[:：]\s*(?P<text>.*)$")
# A line that starts with a time: it names its speaker, or it is an error (never folded into the line above).
_STAMPED = re.compile(r"^\s*" + _STAMP)
# A continuation that looks like a speaker line with a speaker not in SPEAKER_WORDS ("老板: ..."): folded, with a
# warning. A word up to 10 characters not starting with a digit (not "14:05 ...") and not a link ("http://").
_SPEAKER_LIKE = re.compile(r"^(?P<who>[^\s:：\d][^\s:：]{0,9}?)\s*[:：](?!//)")


class LogImportError(RecordError):
    """A log that cannot be imported; the message names the file and line."""


@dataclass(frozen=True)
class LogLine:
    """One entry of the log."""

    lineno: int
    speaker: str  # me, agent, unknown or note
    text: str
    stamp: str | None


def parse_log(
    text: str, path: str = "LOGFILE", *, warnings: list[str] | None = None, lang: str = "en"
) -> list[LogLine]:
    """Entries of a log; a line without a known speaker continues the entry above it.

    A line starting with a time must name a known speaker (LogImportError otherwise). A continuation that looks
    like a speaker line ("老板: ...") is still folded in, and a warning naming its line is added to warnings
    (in lang, 'zh' or 'en')."""
    zh = lang == "zh"
    out: list[LogLine] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        speaker = _speaker(m.group("who")) if m else None
        if m and speaker:
            out.append(LogLine(n, speaker, m.group("text").strip(), m.group("stamp")))
        elif out and _STAMPED.match(line):
            raise _stamped_error(path, n, line, m.group("who") if m and m.group("stamp") else "")
        elif out:
            prev = out[-1]
            like = _SPEAKER_LIKE.match(line)
            if like and warnings is not None:
                word = like.group("who")
                warnings.append(
                    f"{path}:{n}：“{word}”不是已知的说话人，这一行作为续行并入了第 {prev.lineno} 行；"
                    "如果是另一个人说的，请把说话人写成 对方、我 或 未知"
                    if zh
                    else f"{path}:{n}: {word!r} is not a known speaker; the line was joined to line {prev.lineno} "
                    "as its continuation. If someone else said it, write agent, me or unknown as the speaker"
                )
            sep = "" if _cjk_edge(prev.text, line) else " "
            out[-1] = LogLine(prev.lineno, prev.speaker, (prev.text + sep + line).strip(), prev.stamp)
        else:
            raise LogImportError(
                f"{path}:{n}: expected a line like 'agent: ...' or 'me: ...' (optionally '[14:03:12] ' first), "
                f"got {line[:40]!r}",
                zh=f"{path}:{n}：这一行没有说话人：“{line[:40]}”；每条应写成 '对方：…' 或 '我：…'"
                "（前面可以加时间，如 '[14:03:12] '）",
            )
    out = [e for e in out if e.text]
    if not out:
        raise LogImportError(
            f"{path}: no lines like 'agent: ...' or 'me: ...' found",
            zh=f"{path}：没有找到 '对方：…' 或 '我：…'（'agent: ...'、'me: ...'）这样的行",
        )
    return out


def _speaker(word: str) -> str | None:
    """The speaker a word names (SPEAKER_WORDS), Traditional forms included (對方, 備註), or None."""
    from callassist.text import to_simplified

    word = word.strip().lower()
    return SPEAKER_WORDS.get(word) or SPEAKER_WORDS.get(to_simplified(word))


def _stamped_error(path: str, n: int, line: str, who: str) -> LogImportError:
    """A line with a time but no speaker callassist knows: which line and how to write it (English and Chinese)."""
    if who:
        return LogImportError(
            f"{path}:{n}: {who!r} is not a speaker callassist knows (agent, me, unknown, note, 对方, 我, …); "
            "write e.g. '[10:01:00] agent: ...'",
            zh=f"{path}:{n}：“{who}”不是已知的说话人；请写成例如 '[10:01:00] 对方：…'（对方、我、未知、备注）",
        )
    return LogImportError(
        f"{path}:{n}: a time with no speaker: {line[:40]!r}; write who spoke after the time, "
        "e.g. '[10:01:00] agent: ...'",
        zh=f"{path}:{n}：有时间但没有说话人：“{line[:40]}”；请在时间后写上说话人，例如 '[10:01:00] 对方：…'",
    )


def _cjk_edge(a: str, b: str) -> bool:
    from callassist.text import has_cjk

    return bool(a) and has_cjk(a[-1]) and has_cjk(b[:1])


def parse_started(value: str) -> datetime:
    """--started: an ISO time; without an offset it is local time."""
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise LogImportError(
            f"--started: {value!r} is not an ISO time (e.g. 2026-11-20T14:03 or 2026-11-20 14:03:00+08:00)",
            zh=f"--started：{value!r} 不是 ISO 格式的时间（例如 2026-11-20T14:03 或 2026-11-20 14:03:00+08:00）",
        ) from None
    return dt if dt.tzinfo else dt.astimezone()


def _stamp_time(stamp: str, day: datetime) -> datetime:
    if " " in stamp or "T" in stamp:
        dt = datetime.fromisoformat(stamp.replace(" ", "T"))
        return dt if dt.tzinfo else dt.replace(tzinfo=day.tzinfo)
    parts = [int(p) for p in stamp.split(":")]
    t = time(parts[0], parts[1], parts[2] if len(parts) > 2 else 0)
    return datetime.combine(day.date(), t, tzinfo=day.tzinfo)


def assign_times(entries: list[LogLine], started: datetime, path: str) -> list[datetime | None]:
    """Absolute times of the entries: stamps on the start date, rolling over midnight."""
    out: list[datetime | None] = []
    day = started
    last: datetime | None = None
    for e in entries:
        if not e.stamp:
            out.append(None)
            continue
        try:
            t = _stamp_time(e.stamp, day)
        except ValueError:
            raise LogImportError(
                f"{path}:{e.lineno}: {e.stamp!r} is not a time of day",
                zh=f"{path}:{e.lineno}：“{e.stamp}”不是有效的时刻",
            ) from None
        if last is not None and t < last - timedelta(hours=12) and not (" " in e.stamp or "T" in e.stamp):
            day = day + timedelta(days=1)  # the call went past midnight
            t = t + timedelta(days=1)
        out.append(t)
        last = t
    return out


def _backward_times(entries: list[LogLine], times: list[datetime | None], path: str, lang: str) -> list[str]:
    """A warning for each line whose time is earlier than the line before it: kept, in the log's order."""
    out: list[str] = []
    last: tuple[LogLine, datetime] | None = None
    for e, t in zip(entries, times, strict=True):
        if t is None:
            continue
        if last is not None and t < last[1]:
            prev = last[0]
            out.append(
                f"{path}:{e.lineno}：{e.stamp} 早于上一行（第 {prev.lineno} 行 {prev.stamp}）；各行仍按日志里的顺序保存"
                if lang == "zh"
                else f"{path}:{e.lineno}: {e.stamp} is earlier than the line before it (line {prev.lineno}, "
                f"{prev.stamp}); the lines are kept in the log's order"
            )
        last = (e, t)
    return out


@dataclass(frozen=True)
class Imported:
    """The new record."""

    folder: Path
    final_digest: str
    utterances: int
    suggestions: int
    alerts: int
    started_from: str  # "--started", "log", "file time"
    warnings: tuple[str, ...] = ()  # lines of the log that were read in a way the user may not expect


def import_log(
    logfile: str | Path,
    transcripts_dir: Path,
    *,
    lender: str = "",
    agent: str = "",
    started: str | None = None,
    direction: str = "unknown",
    playbook=None,
    matcher=None,
    lang: str = "en",
    progress: Callable[[int, int], None] | None = None,
) -> Imported:
    """Import a log file as a record (mode 'import'); returns where it went.

    direction is who placed the call, as in a live record's header: 'incoming' (they called), 'outgoing' (you
    called) or 'unknown'. lang ('zh' or 'en') is the language of the warnings in the result; errors carry both
    (LogImportError.zh). progress(done, total), when given, is called with 0 once the log is read and then after
    each entry is recorded (total: the log's entries, notes included; continuation lines are part of their entry)."""
    from callassist import playbook as pb
    from callassist import profile as prof
    from callassist.session import CallSession
    from callassist.text import has_cjk

    path = Path(logfile)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LogImportError(f"{path}: file not found", zh=f"{path}：文件不存在") from None
    except OSError as e:
        raise LogImportError(
            f"{path}: cannot read: {os_problem(e)}", zh=f"{path}：无法读取：{os_problem_zh(e)}"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")  # logs saved by Chinese Windows editors
        except UnicodeDecodeError as e:
            raise LogImportError(
                f"{path}: not UTF-8 or GB18030 text (byte {e.start})",
                zh=f"{path}：不是 UTF-8 或 GB18030 编码的文本（字节偏移 {e.start}）",
            ) from None
    warnings: list[str] = []
    entries = parse_log(text, str(path), warnings=warnings, lang=lang)
    if started:
        start, source = parse_started(started), "--started"
    else:
        first = next((e.stamp for e in entries if e.stamp and (" " in e.stamp or "T" in e.stamp)), None)
        if first:
            start, source = parse_started(first), "log"
        else:
            start, source = datetime.fromtimestamp(path.stat().st_mtime).astimezone(), "file time"
    times = assign_times(entries, start, str(path))
    stamped = [t for t in times if t is not None]
    date_only = bool(started) and len(started.strip()) == 10
    if (source == "file time" or date_only) and stamped:
        # Only times of day in the log: the call started at the first of them, on the file's date.
        start = stamped[0]
        times = assign_times(entries, start, str(path))
        stamped = [t for t in times if t is not None]
    warnings += _backward_times(entries, times, str(path), lang)
    if stamped and (source != "--started" or date_only):
        start = min(start, *stamped)  # a line earlier than the first (out of order): the call began no later
    elif source == "--started" and stamped and min(stamped) < start:
        # A start later than what the log says was said: the offsets would be negative and the length wrong.
        i = min(range(len(times)), key=lambda k: times[k] or datetime.max.replace(tzinfo=start.tzinfo))
        e = entries[i]
        day = start.date().isoformat()
        raise LogImportError(
            f"{path}:{e.lineno}: the log's earliest time {e.stamp} is before the start given with --started "
            f"({started}); give the time the call started (not after {e.stamp}) or the date only (--started {day})",
            zh=f"{path}:{e.lineno}：日志中最早的时间 {e.stamp} 早于 --started 给的开始时间 {started}；"
            f"请给通话真正开始的时间（不晚于 {e.stamp}），或只给日期（--started {day}）",
        )
    total = len(entries)
    if progress is not None:
        progress(0, total)  # before the matcher is loaded, which can take seconds on its first run
    if playbook is None:
        language = "zh-CN" if has_cjk(text) else "en-US"
        playbook = pb.load(language=language)
    values = prof.values(prof.load())
    source_info = {
        "file": path.name,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "bytes": len(raw),
        "copy": "source" + (path.suffix if path.suffix and len(path.suffix) <= 6 else ".txt"),
        "started_from": source,
    }
    session = CallSession.start(
        transcripts_dir,
        playbook,
        matcher=matcher,
        values=values,
        lender=lender,
        agent_name=agent,
        direction=direction,
        mode="import",
        started_at=start,
        source=source_info,
    )
    counts = {"utterance": 0, "suggestion": 0, "alert": 0}
    with session:
        _copy(raw, session.folder / source_info["copy"])
        for done, (e, t) in enumerate(zip(entries, times, strict=True), 1):
            if e.speaker == "note":
                session.note(e.text)
            else:
                offset = (t - start).total_seconds() if t is not None else None
                session.utterance(e.speaker, e.text, at=t, start=offset)
            if progress is not None:
                progress(done, total)
        for ev in session.events:
            if ev["type"] in counts:
                counts[ev["type"]] += 1
        end = max(stamped) if stamped else None
        # The call ended at the log's latest time (not when it was imported); unknown without times.
        info = session.close(
            "imported",
            duration=(end - start).total_seconds() if end is not None else None,
            measured=False,
            at=end or "",
        )
    return Imported(
        info.folder,
        info.final_digest,
        counts["utterance"],
        counts["suggestion"],
        counts["alert"],
        source,
        tuple(warnings),
    )


def _copy(data: bytes, dest: Path) -> None:
    """A private copy of the imported log beside the journal."""
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise RecordWriteError(
            f"{dest}: cannot copy the log into the record: {os_problem(e)}",
            zh=f"{dest}：无法把日志复制进通话记录：{os_problem_zh(e)}",
        ) from None

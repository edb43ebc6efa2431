"""Read a record and check it: the hash chain, the closing line, the audio digest. Never raises on a bad record."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from callassist.record.journal import (
    CLOSING_TYPES,
    FORMAT,
    GENESIS,
    VERSION,
    check_line,
    read_lines,
)
from callassist.record.paths import JOURNAL, journal_path, os_problem

VERIFIED, INTERRUPTED, OPEN, BROKEN = "verified", "interrupted", "open", "broken"

_MESSAGES = {
    "missing": ("no journal.jsonl in this folder", "此文件夹中没有 journal.jsonl"),
    "unreadable": ("cannot read the journal: {detail}", "无法读取记录文件：{detail}"),
    "empty": ("the journal is empty", "记录文件是空的"),
    "header": ("not a callassist journal header ({detail})", "不是 callassist 记录的文件头（{detail}）"),
    "version": (
        "journal format version {detail} is not supported by this callassist (it reads version {v}); update callassist",
        "记录格式版本 {detail} 不受本版 callassist 支持（支持版本 {v}），请升级 callassist",
    ),
    "format": (
        "not a complete journal line: it was cut, joined with another line or edited",
        "不是完整的记录行：被截断、与其他行合并或被编辑过",
    ),
    "hash": (
        "the line's content does not match its digest: the line was changed",
        "该行内容与其哈希值不符：该行被修改过",
    ),
    "json": ("the line is not valid JSON", "该行不是有效的 JSON"),
    "prev": (
        "the line does not follow the line before it: a line was removed, inserted or moved here",
        "该行与上一行不相衔接：此处有行被删除、插入或移动",
    ),
    "seq": ("sequence number {detail}", "序号错误：{detail}"),
    "after-close": ("there is data after the closing line", "结束行之后还有内容"),
    "torn": (
        "the last line is incomplete ({detail} bytes): it was being written when the call was cut off; "
        "everything before it is intact",
        "最后一行不完整（{detail} 字节）：通话中断时正在写入；此前的内容完整",
    ),
    "torn-declared": (
        "incomplete line left by an interrupted call ({detail} bytes), recorded as such in the next line",
        "通话中断时留下的不完整行（{detail} 字节），下一行已如实记录",
    ),
    "torn-bad": (
        "the damaged line does not match what the interrupted-call line says about it: it was changed",
        "该损坏行与中断记录行中的描述不符：已被修改",
    ),
    "no-close": (
        "no closing line: the call is still being recorded, or it was cut off and has not yet been marked "
        "interrupted (callassist does that the next time it starts, e.g. `callassist list`)",
        "没有结束行：通话仍在记录中，或已中断但尚未标记（下次启动 callassist 时会自动标记，例如运行 `callassist list`）",
    ),
    "audio-missing": ("the audio file {detail} is missing", "录音文件 {detail} 不见了"),
    "audio-unreadable": ("cannot read the audio file: {detail}", "无法读取录音文件：{detail}"),
    "audio-hash": (
        "the audio file {detail} does not match the SHA-256 in the closing line: it was changed",
        "录音文件 {detail} 与结束行中的 SHA-256 不符：已被修改",
    ),
}
WARNINGS = frozenset({"torn", "torn-declared", "no-close"})
_HEADER_DETAILS = {
    "format": ("the line is cut, joined with another line or edited", "这一行被截断、与其他行合并或被编辑过"),
    "json": ("the line is not valid JSON", "这一行不是有效的 JSON"),
    "type": ("it is a record line of another kind: the header is missing", "这是一条普通的记录行，文件头不见了"),
    "start": ("bad sequence number or previous digest", "序号或上一行摘要不对"),
    "incomplete": ("no complete first line", "没有完整的第一行"),
}
"""What is wrong with a damaged header line (the detail of a 'header' problem), in English and Chinese."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record: the line (1-based) where it is, a code, and a detail."""

    line: int | None
    code: str
    detail: str = ""

    @property
    def fatal(self) -> bool:
        """Whether the record cannot be trusted from this line on (warnings only inform)."""
        return self.code not in WARNINGS

    def message(self, lang: str = "en") -> str:
        """The problem in words, with its line."""
        en, zh = _MESSAGES.get(self.code, ("{detail}", "{detail}"))
        detail = self.detail
        if self.code == "header" and detail in _HEADER_DETAILS:
            detail = _HEADER_DETAILS[detail][lang == "zh"]
        text = (zh if lang == "zh" else en).format(detail=detail, v=VERSION)
        if self.line is None:
            return text
        return f"第 {self.line} 行：{text}" if lang == "zh" else f"line {self.line}: {text}"


@dataclass(frozen=True)
class AudioCheck:
    """What was found about the record's audio file."""

    file: str
    expected: str | None
    actual: str | None
    size: int | None
    checked: bool = False

    @property
    def exists(self) -> bool:
        """Whether the file was found."""
        return self.size is not None

    @property
    def ok(self) -> bool:
        """The file exists and, when it was hashed against a recorded digest, matches it."""
        return self.exists and (not self.checked or self.expected == self.actual)


@dataclass
class Record:
    """A record as read from disk: header, verified events, status and problems."""

    folder: Path
    header: dict | None = None
    events: list[dict] = field(default_factory=list)
    status: str = BROKEN
    problems: list[Problem] = field(default_factory=list)
    final_digest: str = ""
    lines: int = 0
    journal_sha256: str = ""
    journal_size: int = 0
    audio: AudioCheck | None = None

    @property
    def journal(self) -> Path:
        """The journal file."""
        return self.folder / JOURNAL

    @property
    def ok(self) -> bool:
        """Closed normally or marked interrupted, with an intact chain and audio."""
        return self.status in (VERIFIED, INTERRUPTED)

    @property
    def fatal(self) -> Problem | None:
        """The first problem that breaks the record, if any."""
        return next((p for p in self.problems if p.fatal), None)

    @property
    def closing(self) -> dict | None:
        """The close or interrupted line, if the chain reaches one."""
        if self.events and self.events[-1].get("type") in CLOSING_TYPES:
            return self.events[-1]
        return None

    @property
    def language(self) -> str:
        """'zh' or 'en', from the playbook the call used."""
        pb = (self.header or {}).get("playbook") or {}
        lang = str(pb.get("language") or "")
        return "en" if lang.lower().startswith("en") else "zh"

    @property
    def lender(self) -> str:
        """The lender or platform named at the start of the call."""
        return str((self.header or {}).get("lender") or "")

    @property
    def agent(self) -> dict:
        """The agent's name, staff number and company, as far as known."""
        return dict((self.header or {}).get("agent") or {})

    @property
    def started(self) -> datetime | None:
        """When the call started (aware datetime)."""
        return parse_time((self.header or {}).get("started"))

    @property
    def duration(self) -> float | None:
        """Length of the call in seconds: from the closing line (None there: not known), else from the last
        event's time (an interrupted record)."""
        c = self.closing
        if c is not None:
            return float(c["duration"]) if isinstance(c.get("duration"), int | float) else None
        start = self.started
        for ev in reversed(self.events):
            t = parse_time(ev.get("at"))
            if t is not None and start is not None:
                return max(0.0, (t - start).total_seconds())
        return None

    def count(self, type_: str) -> int:
        """How many events of a type."""
        return sum(1 for e in self.events if e.get("type") == type_)

    def utterances(self) -> list[dict]:
        """Utterance events with speaker corrections applied (the original lines are unchanged on disk)."""
        fixes = {e.get("ref"): e.get("speaker") for e in self.events if e.get("type") == "speaker"}
        out = []
        for e in self.events:
            if e.get("type") == "utterance":
                out.append({**e, "speaker": fixes[e["seq"]]} if e.get("seq") in fixes else e)
        return out

    def summary_line(self, lang: str = "en") -> str:
        """The status in one line for people."""
        fatal = self.fatal
        if fatal is not None:
            return fatal.message(lang)
        if self.status == OPEN:
            return Problem(None, "no-close").message(lang)
        return ""


def parse_time(value: object) -> datetime | None:
    """An ISO time from a record, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else dt.astimezone()


def _check_header(line: bytes) -> tuple[dict | None, Problem | None]:
    event, why = check_line(line)
    if event is None:
        # Tell an unknown version apart from damage, so the user knows to upgrade rather than worry.
        try:
            raw = json.loads(line)
        except ValueError:
            raw = None
        if isinstance(raw, dict) and raw.get("format") == FORMAT and raw.get("version") != VERSION:
            return None, Problem(1, "version", str(raw.get("version")))
        return None, Problem(1, "header" if why != "hash" else "hash", why)
    if event.get("type") != "header" or event.get("format") != FORMAT:
        return None, Problem(1, "header", "type")
    if event.get("version") != VERSION:
        return None, Problem(1, "version", str(event.get("version")))
    if event.get("seq") != 0 or event.get("prev") != GENESIS:
        return None, Problem(1, "header", "start")
    return event, None


def load(folder: str | Path, *, audio: bool = True, data: bytes | None = None) -> Record:
    """Read and check a record; problems are reported in the result, never raised.

    audio=False skips hashing the audio file (only its presence is checked): for listings.
    data checks these bytes as the folder's journal instead of reading the file.
    """
    jpath = journal_path(folder)
    rec = Record(folder=jpath.parent)
    if data is None:
        try:
            data = jpath.read_bytes()
        except FileNotFoundError:
            rec.problems.append(Problem(None, "missing"))
            return rec
        except OSError as e:
            rec.problems.append(Problem(None, "unreadable", os_problem(e)))
            return rec
    rec.journal_sha256 = hashlib.sha256(data).hexdigest()
    rec.journal_size = len(data)
    if not data:
        rec.problems.append(Problem(None, "empty"))
        return rec
    lines, tail = read_lines(data)
    if not lines:
        rec.problems.append(Problem(1, "header", "incomplete"))
        return rec
    header, problem = _check_header(lines[0])
    if problem is not None:
        rec.problems.append(problem)
        return rec
    rec.header = header
    assert header is not None
    prev = header["hash"]
    seq = 1
    events: list[dict] = []
    closed_at: int | None = None
    i = 1
    n = len(lines)
    fatal: Problem | None = None
    while i < n:
        lineno = i + 1
        if closed_at is not None:
            fatal = Problem(lineno, "after-close")
            break
        event, why = check_line(lines[i])
        if event is None:
            # A fragment left by a crash is allowed only when the next line declares it, digest and size.
            nxt, _ = check_line(lines[i + 1]) if i + 1 < n else (None, "")
            torn = nxt.get("torn") if nxt is not None and nxt.get("type") == "interrupted" else None
            if isinstance(torn, dict):
                frag = lines[i]
                if torn.get("bytes") == len(frag) and torn.get("sha256") == hashlib.sha256(frag).hexdigest():
                    rec.problems.append(Problem(lineno, "torn-declared", str(len(frag))))
                    i += 1
                    continue
                fatal = Problem(lineno, "torn-bad")
                break
            fatal = Problem(lineno, why)
            break
        if event.get("prev") != prev:
            fatal = Problem(lineno, "prev")
            break
        if event.get("seq") != seq:
            fatal = Problem(lineno, "seq", f"{event.get('seq')}, expected {seq}")
            break
        events.append(event)
        prev = event["hash"]
        seq += 1
        if event.get("type") in CLOSING_TYPES:
            closed_at = lineno
        i += 1
    rec.events = events
    rec.lines = 1 + len(events)
    rec.final_digest = prev
    if fatal is None and tail:
        if closed_at is not None:
            fatal = Problem(n + 1, "after-close")
        else:
            rec.problems.append(Problem(n + 1, "torn", str(len(tail))))
    if fatal is not None:
        rec.problems.append(fatal)
        rec.status = BROKEN
    elif closed_at is None:
        rec.problems.append(Problem(None, "no-close"))
        rec.status = OPEN
    else:
        rec.status = VERIFIED if events[-1]["type"] == "close" else INTERRUPTED
    _check_audio(rec, hash_it=audio)
    return rec


def _audio_file(rec: Record) -> tuple[str | None, str | None]:
    """The audio file the record names, and the digest it must have (None while the call is open)."""
    closing = rec.closing
    if closing is not None and isinstance(closing.get("audio"), dict):
        a = closing["audio"]
        return str(a.get("file") or ""), a.get("sha256")
    names = []
    h = (rec.header or {}).get("audio")
    if isinstance(h, dict) and h.get("file"):
        names.append(str(h["file"]))
    names += [str(e["file"]) for e in rec.events if e.get("type") == "audio" and e.get("file")]
    return (names[-1] if names else None), None


def _check_audio(rec: Record, *, hash_it: bool) -> None:
    name, expected = _audio_file(rec)
    if not name:
        return
    path = rec.folder / Path(name).name  # never outside the record's folder
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        rec.audio = AudioCheck(name, expected, None, None)
        rec.problems.append(Problem(None, "audio-missing", name))
        if rec.status != OPEN:
            rec.status = BROKEN
        return
    except OSError as e:
        rec.audio = AudioCheck(name, expected, None, None)
        rec.problems.append(Problem(None, "audio-unreadable", os_problem(e)))
        rec.status = BROKEN
        return
    actual = None
    if hash_it and expected:
        try:
            actual = file_sha256(path)
        except OSError as e:
            rec.audio = AudioCheck(name, expected, None, size)
            rec.problems.append(Problem(None, "audio-unreadable", os_problem(e)))
            rec.status = BROKEN
            return
        if actual != expected:
            rec.problems.append(Problem(None, "audio-hash", name))
            rec.status = BROKEN
    rec.audio = AudioCheck(name, expected, actual, size, checked=actual is not None)


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Unverified:
    """What a broken journal holds from the line where verification failed, read as found and not trusted.

    lines: (line number, the line's event when it is a JSON object, else its text)."""

    from_line: int
    header: dict | None
    lines: tuple[tuple[int, dict | None, str], ...]


RAW_LIMIT = 2000  # characters kept of a line that is not JSON


def unverified(rec: Record, data: bytes | None = None) -> Unverified | None:
    """The lines of a broken record from the first line that fails verification on, for people to read.

    None when the chain is intact (an audio problem has no line) or the journal cannot be read. The first line is
    returned as `header` when it is the one that failed and still reads as a header. Reads only; never raises."""
    fatal = rec.fatal
    if fatal is None or not fatal.line:
        return None
    if data is None:
        try:
            data = rec.journal.read_bytes()
        except OSError:
            return None
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    header = None
    lines: list[tuple[int, dict | None, str]] = []
    for number, raw in enumerate(parts[fatal.line - 1 :], fatal.line):
        try:
            event = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            event = None
        if not isinstance(event, dict):
            text = "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in raw.decode("utf-8", "replace"))
            lines.append((number, None, text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + "…"))
        elif number == 1 and event.get("type") == "header":
            header = event
        else:
            lines.append((number, event, ""))
    return Unverified(fatal.line, header, tuple(lines))

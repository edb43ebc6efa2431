"""The append-only journal: one JSON object per line, each chained to the one before by SHA-256.

A line is the compact JSON of the event with a `prev` field (the previous line's digest), and ends with
`,"hash":"<sha256>"}`. The digest is computed over the exact bytes of the line before `,"hash":"`, so any
changed, inserted or deleted byte shows up when the chain is checked (see verify.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from callassist import __version__
from callassist.record.paths import (
    FILE_MODE,
    JOURNAL,
    RecordError,
    RecordWriteError,
    fsync_dir,
    os_problem,
)

try:  # advisory lock that tells recovery "this call is still being written"
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FORMAT = "callassist-journal"
VERSION = 1
GENESIS = "0" * 64
HASH_KEY = b',"hash":"'
SUFFIX_LEN = len(HASH_KEY) + 64 + 2  # ,"hash":"<64 hex>"}
_HEX = re.compile(rb"[0-9a-f]{64}")

SPEAKERS = ("me", "agent", "unknown")
CLOSING_TYPES = ("close", "interrupted")


def now() -> datetime:
    """The current local time, aware of its UTC offset."""
    return datetime.now().astimezone()


def iso(dt: datetime) -> str:
    """ISO-8601 with milliseconds and the UTC offset: 2026-11-23T14:03:12.345+08:00."""
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return dt.isoformat(timespec="milliseconds")


def zone_name() -> str:
    """The IANA name of the local time zone (Asia/Shanghai) when it can be found, else its abbreviation."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if "/" in tz and not tz.startswith("/"):
        return tz
    for candidate in (tz, "/etc/localtime"):
        if candidate.startswith("/") or candidate == "/etc/localtime":
            with contextlib.suppress(OSError):
                target = os.path.realpath(candidate)
                if "zoneinfo/" in target:
                    return target.split("zoneinfo/", 1)[1]
    with contextlib.suppress(OSError):
        name = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        if name:
            return name
    return now().tzname() or ""


def platform_info() -> str:
    """The software the record was made with (evidence rules ask whether it ran normally)."""
    return f"callassist {__version__}; Python {platform.python_version()}; {platform.system()} {platform.release()}"


def _storable(value):
    """The value with lone surrogates in its strings (bytes a terminal or a pipe could not decode) as U+FFFD,
    which UTF-8 can hold."""
    if isinstance(value, str):
        from callassist.text import valid_text

        return valid_text(value)
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def encode(body: dict, prev: str) -> tuple[bytes, str]:
    """The bytes of one journal line (with its newline) and its digest."""
    data = json.dumps({**body, "prev": prev}, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    prefix = data.encode("utf-8")[:-1]  # drop the closing brace; the hash field goes last
    digest = hashlib.sha256(prefix).hexdigest()
    return prefix + HASH_KEY + digest.encode("ascii") + b'"}\n', digest


def check_line(line: bytes) -> tuple[dict | None, str]:
    """Check one line's own digest (without its newline): (event, "") or (None, why it is not valid)."""
    if len(line) < SUFFIX_LEN + 2 or line[-SUFFIX_LEN : -SUFFIX_LEN + len(HASH_KEY)] != HASH_KEY:
        return None, "format"
    if line[-2:] != b'"}':
        return None, "format"
    digest = line[-66:-2]
    if not _HEX.fullmatch(digest):
        return None, "format"
    if hashlib.sha256(line[:-SUFFIX_LEN]).hexdigest().encode("ascii") != digest:
        return None, "hash"
    try:
        event = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None, "json"
    if not isinstance(event, dict) or event.get("hash") != digest.decode("ascii"):
        return None, "json"
    return event, ""


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (os.write may write fewer); a module function so tests can inject OS errors."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _sync(fd: int) -> None:
    """Flush the file's data and size to the disk."""
    os.fsync(fd)


def try_lock(fd: int) -> bool:
    """Take the journal's exclusive lock without waiting; False if another writer holds it."""
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True  # a file system without locks: recovery then relies on the closing line only
    return True


class Journal:
    """Appends events to one record's journal; each append is on disk before it returns. Thread-safe."""

    def __init__(self, path: Path, fd: int, last_hash: str, next_seq: int, size: int):
        self.path = path
        self._fd: int | None = fd
        self.last_hash = last_hash
        self.next_seq = next_seq
        self._size = size
        self._lock = threading.Lock()
        self._pending: list[dict] = []
        self._damaged = ""
        self.closed_by: str | None = None

    # -- creating and opening ------------------------------------------------------------------

    @classmethod
    def create(cls, folder: Path, header: dict) -> Journal:
        """Write the header line to a new journal in an existing folder and keep the file open and locked.

        The header goes to a temporary name first and is renamed once it is on disk, so a journal never
        exists without a whole header; the lock is taken before the rename so recovery never mistakes a
        call that is starting for an interrupted one.
        """
        path = folder / JOURNAL
        tmp = folder / f".{JOURNAL}.new"
        body = _storable({"seq": 0, "type": "header", "format": FORMAT, "version": VERSION, **header})
        line, digest = encode(body, GENESIS)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, FILE_MODE)
        except OSError as e:
            raise RecordWriteError(f"{tmp}: cannot create the journal: {os_problem(e)}") from None
        try:
            try_lock(fd)
            _write_all(fd, line)
            _sync(fd)
            os.replace(tmp, path)
            fsync_dir(folder)
        except OSError as e:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise RecordWriteError(f"{path}: cannot write the journal: {os_problem(e)}") from None
        return cls(path, fd, digest, 1, len(line))

    @classmethod
    def reopen(cls, path: Path, last_hash: str, next_seq: int, tail: bytes = b"") -> Journal:
        """Open an existing journal to append (used by recovery, which has checked it); raises if locked."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except OSError as e:
            raise RecordWriteError(f"{path}: cannot open the journal to append: {os_problem(e)}") from None
        if not try_lock(fd):
            os.close(fd)
            raise RecordError(f"{path}: the call is still being recorded by another callassist")
        size = os.fstat(fd).st_size
        return cls(path, fd, last_hash, next_seq, size)

    # -- appending ----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether events can still be appended."""
        return self._fd is not None

    @property
    def pending(self) -> int:
        """Events that could not be written yet (disk full); they are retried on the next append."""
        return len(self._pending)

    def append(self, type_: str, fields: dict, at: str | None = None) -> list[dict]:
        """Write one event (and any that failed earlier) durably; returns the events now on disk, oldest first.

        at is the event's ISO time: None means now, "" means unknown (written as null).

        On an OS error the event stays pending, the file is cut back to its last whole line, and a
        RecordWriteError says what happened; nothing already written is touched.
        """
        with self._lock:
            if self._fd is None:
                raise RecordError(f"{self.path}: the record is already closed")
            # at=None: now; at="": not known (an imported line without a time) and written as null.
            body = _storable({"type": type_, "at": iso(now()) if at is None else (at or None), **fields})
            try:
                encode(body, self.last_hash)  # a line that cannot be written must never block the lines after it
            except (TypeError, ValueError) as e:
                raise RecordError(
                    f"{self.path}: a {type_} event cannot be recorded: {e}",
                    zh=f"{self.path}：无法记录这条 {type_}：{e}",
                ) from None
            self._pending.append(body)
            return self._flush_locked()

    def flush(self) -> list[dict]:
        """Retry events that could not be written before."""
        with self._lock:
            return self._flush_locked() if self._fd is not None else []

    def _flush_locked(self) -> list[dict]:
        written: list[dict] = []
        while self._pending:
            if self._damaged:
                err = RecordWriteError(self._damaged)
                err.written = written
                raise err
            body = self._pending[0]
            event = {"seq": self.next_seq, **body}
            prev = self.last_hash
            line, digest = encode(event, prev)
            assert self._fd is not None
            try:
                _write_all(self._fd, line)
                _sync(self._fd)
            except OSError as e:
                self._undo_partial(e)
                n = len(self._pending)
                err = RecordWriteError(
                    self._damaged
                    or f"{self.path}: cannot write to the record: {os_problem(e)}. "
                    f"The {self.next_seq} lines already written are safe; {n} new event{'s' if n != 1 else ''} "
                    "will be written as soon as there is room."
                )
                err.written = written  # events that did reach the disk before this one failed
                raise err from None
            self._pending.pop(0)
            self._size += len(line)
            self.last_hash = digest
            self.next_seq += 1
            written.append({**event, "prev": prev, "hash": digest})
        return written

    def _undo_partial(self, err: OSError) -> None:
        """Cut off bytes of a line that was only partly written, so the file still ends with a whole line."""
        assert self._fd is not None
        try:
            if os.fstat(self._fd).st_size != self._size:
                os.ftruncate(self._fd, self._size)
        except OSError as e:
            self._damaged = (
                f"{self.path}: a line was only partly written ({os_problem(err)}) and could not be cut back "
                f"({os_problem(e)}). The {self.next_seq} whole lines before it are safe; the record will be "
                "marked interrupted the next time callassist starts."
            )

    def close_file(self) -> None:
        """Release the lock and the file (the events must already be written)."""
        with self._lock:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                self._fd = None


def read_lines(data: bytes) -> tuple[list[bytes], bytes]:
    """Whole lines (without newlines) and the trailing bytes after the last newline."""
    parts = data.split(b"\n")
    return parts[:-1], parts[-1]


def iter_events(lines: Iterable[bytes]) -> Iterable[dict]:
    """Parse lines without checking the chain (for quick looks; verify.load checks everything)."""
    for line in lines:
        try:
            yield json.loads(line)
        except ValueError:
            continue

"""Find calls that were cut off (no closing line) and mark them interrupted by appending one line.

Nothing is rewritten: a torn last line stays in the file, and the appended `interrupted` line records its
size and SHA-256 so verification can tell it from tampering. A call whose journal is still locked by a
running callassist is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from callassist.record import journal as J
from callassist.record.paths import JOURNAL, os_problem, record_dirs
from callassist.record.verify import OPEN, Record, file_sha256, load, parse_time

REASON = "no closing line was found when callassist next started (the program was killed, crashed or lost power)"


@dataclass(frozen=True)
class Recovery:
    """What happened to one unfinished record."""

    folder: Path
    action: str  # "marked", "running" (still being written), "broken", "done", "failed" (could not write)
    record: Record | None = None
    message: str = ""


def looks_finished(journal: Path, chunk: int = 8192) -> bool:
    """A quick look at the end of a journal: does it end with a whole closing line? (No chain check.)"""
    try:
        with open(journal, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return False
            want = chunk
            while True:
                start = max(0, size - want)
                f.seek(start)
                tail = f.read(size - start)
                if not tail.endswith(b"\n"):
                    return False
                body = tail[:-1]
                cut = body.rfind(b"\n")
                if cut >= 0 or start == 0:
                    last = body[cut + 1 :]
                    break
                want *= 4
    except OSError:
        return False
    try:
        event = json.loads(last)
    except ValueError:
        return False
    return isinstance(event, dict) and event.get("type") in J.CLOSING_TYPES


def unfinished(root: Path) -> list[Path]:
    """Record folders under root whose journal does not end with a closing line."""
    return [d for d in record_dirs(root) if not looks_finished(d / JOURNAL)]


def recover(folder: Path) -> Recovery:
    """Mark one unfinished call interrupted, if no one is writing it and its chain is intact."""
    path = folder / JOURNAL
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    except OSError as e:
        return Recovery(folder, "failed", None, f"{path}: cannot open to mark it interrupted: {os_problem(e)}")
    try:
        if not J.try_lock(fd):
            return Recovery(folder, "running", None, f"{folder}: the call is still being recorded")
        rec = load(folder, audio=False)
        if rec.status != OPEN:
            action = "broken" if rec.fatal else "done"
            return Recovery(folder, action, rec, rec.summary_line())
        data = path.read_bytes()
        _, tail = J.read_lines(data)
        prev, seq, events = rec.final_digest, rec.lines, list(rec.events)
        prefix = b""
        torn = None
        if tail:
            event, _ = J.check_line(tail)
            if event is not None and event.get("prev") == prev and event.get("seq") == seq:
                # The line was whole; only its newline is missing. Keep it as the event it is.
                prefix, prev, seq = b"\n", event["hash"], seq + 1
                events.append(event)
            else:
                prefix = b"\n"
                torn = {
                    "line": rec.lines + 1,
                    "bytes": len(tail),
                    "sha256": hashlib.sha256(tail).hexdigest(),
                }
        body = {"seq": seq, "type": "interrupted", "at": J.iso(J.now()), **_details(rec, events, torn)}
        line, _ = J.encode(body, prev)
        try:
            J._write_all(fd, prefix + line)
            J._sync(fd)
        except OSError as e:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, len(data))
            # Reported, not raised: listing and starting a call go on; the next start tries again.
            return Recovery(folder, "failed", rec, f"{path}: cannot mark the call interrupted: {os_problem(e)}")
        return Recovery(folder, "marked", load(folder, audio=False))
    finally:
        os.close(fd)


def _details(rec: Record, events: list[dict], torn: dict | None) -> dict:
    last = events[-1] if events else rec.header or {}
    started = rec.started
    last_at = parse_time(last.get("at"))
    duration = (last_at - started).total_seconds() if started and last_at else None
    out: dict = {
        "reason": REASON,
        "last_seq": last.get("seq", 0),
        "last_at": last.get("at"),
        "duration": round(duration, 3) if duration is not None else None,
        "torn": torn,
    }
    name = rec.audio.file if rec.audio is not None else None
    if name:
        apath = rec.folder / Path(name).name
        try:
            out["audio"] = {
                "file": name,
                "sha256": file_sha256(apath),
                "bytes": apath.stat().st_size,
                "note": "hashed as found after the interruption; its header may count up to a second less audio",
            }
        except OSError:
            out["audio"] = None
    return out


def recover_all(root: Path) -> list[Recovery]:
    """Mark every unfinished, unlocked call under root interrupted; returns what was done to each."""
    return [recover(d) for d in unfinished(root)]

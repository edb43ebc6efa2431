"""Keep C libraries' messages off the screen the app draws on.

ALSA, PortAudio and Kaldi print straight to file descriptor 2 ("ALSA lib pcm.c: underrun occurred", a lost device),
and the app draws its screen through that same terminal: a stray line smears the display in the middle of a call.
While the app runs, descriptor 2 goes to a log file instead, and Python's own stderr, which Textual draws through
and reports errors on, keeps writing to the terminal through a copy of the original descriptor.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_KEEP = 1 << 20  # bytes of log kept across runs


@contextmanager
def native_stderr_to(log: Path) -> Iterator[Path | None]:
    """Send what native code writes to fd 2 into `log` for the duration; yields the log, or None when unchanged."""
    if not _is_tty(2):
        yield None
        return
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        if log.exists() and log.stat().st_size > _KEEP:  # keep the log small: the latest runs are what matter
            tail = log.read_bytes()[-_KEEP // 2 :]
            log.write_bytes(tail[tail.find(b"\n") + 1 :])
        log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError:
        yield None  # no log file: native messages stay on the terminal, as before
        return
    sys.stderr.flush()
    term = os.fdopen(os.dup(2), "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="replace")
    saved = sys.stderr, sys.__stderr__
    sys.stderr = sys.__stderr__ = term
    os.dup2(log_fd, 2)
    os.close(log_fd)
    try:
        yield log
    finally:
        term.flush()
        os.dup2(term.fileno(), 2)
        sys.stderr, sys.__stderr__ = saved
        term.close()


def _is_tty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False

"""While the app runs, native code's writes to fd 2 go to a log; Python's stderr (Textual's screen) stays on the tty."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap

import pytest


def _run_on_a_tty(code: str) -> str:
    """Run code with fd 2 on a pseudo-terminal; return what reached the terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=slave, stdout=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(master)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_native_writes_go_to_the_log_and_python_stays_on_the_terminal(tmp_path):
    log = tmp_path / "cache" / "native.log"
    code = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        from callassist.tui.native_stderr import native_stderr_to
        with native_stderr_to(Path({str(log)!r})) as used:
            assert used is not None
            os.write(2, b"ALSA lib pcm.c: underrun occurred\\n")
            print("drawn by python", file=sys.stderr)
            print("also the original", file=sys.__stderr__)
        os.write(2, b"after: native again on the terminal\\n")
        """
    )
    screen = _run_on_a_tty(code)
    assert "drawn by python" in screen and "also the original" in screen
    assert "ALSA lib" not in screen
    assert "after: native again" in screen
    assert log.read_text() == "ALSA lib pcm.c: underrun occurred\n"
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_without_a_terminal_nothing_changes(tmp_path):
    from callassist.tui.native_stderr import native_stderr_to

    if os.isatty(2):
        pytest.skip("fd 2 is a terminal here (pytest -s)")
    with native_stderr_to(tmp_path / "x.log") as used:
        assert used is None
    assert not (tmp_path / "x.log").exists()


def test_a_big_log_is_cut_to_its_latest_part(tmp_path):
    from callassist.tui import native_stderr

    log = tmp_path / "native.log"
    log.write_bytes(b"old line\n" * 200_000)  # 1.8 MB
    code = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from callassist.tui.native_stderr import native_stderr_to
        with native_stderr_to(Path({str(log)!r})):
            os.write(2, b"newest\\n")
        """
    )
    _run_on_a_tty(code)
    data = log.read_bytes()
    assert len(data) <= native_stderr._KEEP and data.endswith(b"old line\nnewest\n")

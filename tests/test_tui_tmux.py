"""End to end: the real `callassist` command in tmux — keys in, the screen read back with capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.tui_support import EMBEDDINGS

EXE = Path(sys.executable).parent / "callassist"


class Tmux:
    """One tmux server on a private socket, one window running a command."""

    def __init__(self, sock: Path, name: str = "e2e"):
        self.sock, self.name = str(sock), name

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.sock, *args], check=True, capture_output=True, text=True).stdout

    def start(self, command: list[str], env: dict[str, str], size: tuple[int, int] = (100, 30)) -> None:
        assignments = [f"{k}={v}" for k, v in env.items()]
        self.run(
            "new-session", "-d", "-s", self.name, "-x", str(size[0]), "-y", str(size[1]), "env", *assignments, *command
        )

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def wait(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen was:\n{shown}")
            time.sleep(0.1)

    def alive(self) -> bool:
        return (
            subprocess.run(["tmux", "-S", self.sock, "has-session", "-t", self.name], capture_output=True).returncode
            == 0
        )

    def kill(self) -> None:
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True)


@pytest.fixture
def tmux(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is missing: run `make debs` as root")
    if not EXE.exists():
        pytest.skip(f"{EXE} is not installed: pip install -e .")
    t = Tmux(tmp_path / "tmux.sock")
    yield t
    t.kill()


def test_bare_callassist_runs_a_typed_call_in_tmux(tmux, isolated_dirs):
    from callassist import record

    records = isolated_dirs / "transcripts"
    env = {
        "CALLASSIST_CONFIG_DIR": os.environ["CALLASSIST_CONFIG_DIR"],
        "CALLASSIST_DATA_DIR": os.environ["CALLASSIST_DATA_DIR"],
        "CALLASSIST_TRANSCRIPTS": str(records),
        "CALLASSIST_CACHE_DIR": str(EMBEDDINGS),  # the playbook's embeddings, shared with the Pilot tests
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }
    tmux.start([str(EXE)], env)
    tmux.wait("开始通话")  # the home screen, in Chinese by default
    tmux.keys("c")
    tmux.wait("通话信息")
    tmux.keys("Enter")
    tmux.wait("记录中")
    tmux.keys("再不还我们就打电话给你爸妈", literal=True)
    tmux.keys("Enter")
    shown = tmux.wait("匹配度")
    assert "⚠" in shown and "对方" in shown
    tmux.wait("打字模式")  # no model here: the call stays typed
    tmux.keys("Escape")
    tmux.wait("n 备注")  # out of the input: the footer lists the call's keys
    time.sleep(0.2)  # or Escape and n arrive together and read as alt+n
    tmux.keys("n")
    tmux.wait("写下备注")
    tmux.keys("对方威胁联系家人", literal=True)
    tmux.keys("Enter")
    tmux.wait("✎")
    tmux.keys("e")
    tmux.wait("结束通话并关闭记录")
    tmux.keys("y")
    shown = tmux.wait("最终摘要")
    tmux.keys("m")
    tmux.wait("遮盖身份证号")  # the export dialog, on Markdown, with its masking choice
    tmux.keys("Enter")
    tmux.wait("已导出")
    tmux.keys("Escape")
    tmux.wait("模拟练习")
    tmux.keys("q")
    deadline = time.monotonic() + 15
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not tmux.alive(), "q on the home screen quits"
    (folder,) = [p for p in records.iterdir() if p.is_dir()]
    assert folder.name in shown.replace("\n", "") or folder.name[:15] in shown
    rec = record.load(folder)
    assert rec.status == record.VERIFIED
    assert [e["text"] for e in rec.events if e["type"] == "note"] == ["对方威胁联系家人"]
    assert (folder / "export.md").exists()

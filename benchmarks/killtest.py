"""Kill test: a writer process appends bursts of events and is SIGKILLed at a random moment.

Afterwards every event the writer reported as written must be in the journal with the same digest, the chain
must verify up to any torn line, and recovery must mark the call interrupted. Used by tests/test_record_kill.py
(a few runs) and benchmarks/record.py (50 runs).

    python -m benchmarks.killtest child ROOT SEED    # the writer (prints "ready FOLDER", then "SEQ HASH" lines)
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _playbook():
    from callassist.playbook import Intent, Playbook, Stage

    intent = Intent("threat", "threat", ("我们要起诉你",), "请依法办事。", alert="以起诉施压", rule="test rule")
    return Playbook("kill", "kill test", "zh-CN", (Stage("open", "开场", ("你好",)),), (intent,))


class _Matcher:
    """Matches every third agent line so suggestion and alert events are in the bursts too."""

    def __init__(self) -> None:
        self.n = 0

    def match(self, text: str):
        from callassist.matcher import Match

        self.n += 1
        if self.n % 3 == 0:
            return Match(text, "threat", 0.9, ())
        return Match(text, None, 0.1, ())


def child(root: str, seed: int) -> None:
    """Append bursts until killed; report each event once it is durable."""
    from callassist.session import CallSession

    rng = random.Random(seed)
    session = CallSession.start(root, _playbook(), matcher=_Matcher(), lender="压力测试", recover=False)
    out = sys.stdout
    session.subscribe(lambda ev: out.write(f"{ev['seq']} {ev['hash']}\n"))
    out.write(f"ready {session.folder}\n")
    out.flush()
    n = 0
    while True:
        for _ in range(rng.randint(1, 40)):
            n += 1
            kind = rng.random()
            if kind < 0.7:
                session.utterance(
                    rng.choice(("agent", "me")), f"第{n}句：我们要谈谈分期还款的事情，" * rng.randint(1, 6)
                )
            elif kind < 0.8:
                session.note(f"备注 {n}")
            elif kind < 0.9:
                session.bookmark(f"书签 {n}")
            else:
                session.system("audio_overflow", blocks=n)
            out.flush()
        time.sleep(rng.random() * 0.004)


@dataclass(frozen=True)
class KillResult:
    """One run: how many events were reported, found, lost; status before and after recovery."""

    reported: int
    lost: int
    status: str
    recovered_status: str
    problems: tuple[str, ...]


def run_once(root: Path, seed: int) -> KillResult:
    """Start a writer, kill it at a random moment, check the record."""
    from callassist.record.recover import recover
    from callassist.record.verify import load

    rng = random.Random(seed)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.killtest", "child", str(root), str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().decode()
    if not first.startswith("ready "):
        proc.kill()
        raise RuntimeError(f"writer did not start: {first!r} {proc.stderr.read().decode()[-2000:]}")
    folder = Path(first[6:].strip())
    time.sleep(rng.uniform(0.005, 0.25))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    reported = {}
    for line in out.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            reported[int(parts[0])] = parts[1]
    rec = load(folder)
    found = {e["seq"]: e["hash"] for e in rec.events}
    lost = sum(1 for seq, h in reported.items() if found.get(seq) != h)
    status = rec.status
    problems = tuple(p.code for p in rec.problems)
    recovery = recover(folder)
    after = load(folder)
    return KillResult(len(reported), lost, status, after.status if recovery.action == "marked" else "-", problems)


def run(n: int, root: Path, *, workers: int = 4, seed: int = 1) -> list[KillResult]:
    """n kill runs, a few at a time."""
    root.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda i: run_once(root, seed * 1000 + i), range(n)))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            results = run(int(sys.argv[1]) if len(sys.argv) > 1 else 10, Path(tmp))
        print(
            f"{len(results)} runs, {sum(r.reported for r in results)} events reported, "
            f"{sum(r.lost for r in results)} lost; statuses after recovery: "
            f"{sorted({r.recovered_status for r in results})}"
        )

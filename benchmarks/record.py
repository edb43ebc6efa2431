"""Speed and safety figures of the record: append latency with fsync, kill test, load+verify, search, rebuild.

python -m benchmarks.record            # all figures (about a minute)
python -m benchmarks.record --quick    # fewer runs and calls
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.killtest import _Matcher, _playbook
from benchmarks.killtest import run as kill_run
from callassist.record import journal as J
from callassist.record.index import Index
from callassist.record.verify import load
from callassist.session import CallSession

AGENT = [
    "你这个钱到底什么时候能还上",
    "我们这边已经准备起诉了",
    "再不还我们就打电话给你爸妈",
    "你可以先还一部分最低还款",
    "我们没有停息挂账这项业务",
    "你把钱转到我个人微信上",
    "逾期会影响你的征信",
    "今天下午五点前必须还清",
    "你的情况我可以帮你申请一下",
    "请问你现在的收入情况怎么样",
]
ME = [
    "我最近失业了，收入不稳定",
    "我想申请分期还款，每个月能还一千左右",
    "请问你的姓名和工号是多少",
    "能不能减免一部分罚息",
    "请把方案发书面给我",
    "我愿意还款，但是一次还不上",
]
TZ = timezone(timedelta(hours=8))


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


@contextlib.contextmanager
def no_fsync() -> Iterator[None]:
    """Generate test data fast: the bytes written are the same, only the waits for the disk are skipped."""
    real = J._sync
    J._sync = lambda fd: None
    try:
        yield
    finally:
        J._sync = real


def make_call(root: Path, rng: random.Random, events: int, started: datetime, lender: str) -> Path:
    """A closed record with a realistic mix of utterances, matches, notes and system events."""
    s = CallSession.start(root, _playbook(), matcher=_Matcher(), lender=lender, started_at=started, recover=False)
    n = 0
    while n < events - 1:
        r = rng.random()
        if r < 0.85:
            agent = rng.random() < 0.55
            text = rng.choice(AGENT if agent else ME) + f"，第{n}句"
            s.utterance("agent" if agent else "me", text, start=n * 0.9, end=n * 0.9 + 0.8, confidence=0.83)
        elif r < 0.93:
            s.note(f"备注 {n}：对方态度{rng.choice(['强硬', '缓和', '一般'])}")
        else:
            s.system("audio_overflow", source="agent", blocks=n)
        n = len(s.events)
    s.close()
    return s.folder


def bench_append(tmp: Path, n: int) -> dict:
    """Latency of one append including write and fsync."""
    s = CallSession.start(tmp / "append", _playbook(), matcher=_Matcher(), recover=False)
    times = []
    for i in range(n):
        fields = {
            "speaker": "agent",
            "text": AGENT[i % len(AGENT)] + f"，第{i}句",
            "start": i * 1.0,
            "end": None,
            "confidence": 0.8,
        }
        t = time.perf_counter()
        s.journal.append("utterance", fields)
        times.append((time.perf_counter() - t) * 1000)
    s.close()
    return {"n": n, "p50": statistics.median(times), "p99": pct(times, 99), "max": max(times)}


def bench_load(tmp: Path, events: int) -> dict:
    """Load and verify a long call (40,000 events is about ten hours)."""
    with no_fsync():
        folder = make_call(tmp / "long", random.Random(1), events, datetime(2026, 11, 20, 9, 0, tzinfo=TZ), "借呗")
    size = (folder / "journal.jsonl").stat().st_size
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        rec = load(folder)
        runs.append(time.perf_counter() - t)
    assert rec.status == "verified" and len(rec.events) == events, rec.problems
    return {"events": events, "mb": size / 1e6, "best": min(runs), "worst": max(runs)}


def bench_search(tmp: Path, calls: int) -> dict:
    """Build the index of many calls, then time searches (each includes the staleness check of every journal)."""
    root = tmp / "many"
    rng = random.Random(2)
    lenders = ["借呗", "微粒贷", "京东金条", "花呗", "美团月付", "Acme Recovery"]
    with no_fsync():
        t = time.perf_counter()
        base = datetime(2025, 1, 1, 9, 0, tzinfo=TZ)
        for i in range(calls):
            make_call(root, rng, rng.randint(20, 80), base + timedelta(hours=7 * i), rng.choice(lenders))
        generated = time.perf_counter() - t
    lines = sum(1 for d in root.iterdir() if d.is_dir() for _ in open(d / "journal.jsonl", "rb"))
    with Index(root) as idx:
        t = time.perf_counter()
        idx.refresh()
        build = time.perf_counter() - t
        t = time.perf_counter()
        idx.rebuild()
        rebuild = time.perf_counter() - t
    queries = ["起诉", "征信", "停息挂账", "个人微信", "减免一部分罚息", "工号", "第42句", "态度强硬", "不存在的句子"]
    timings: dict[str, float] = {}
    hits: dict[str, int] = {}
    for q in queries:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            with Index(root) as idx:  # what `callassist search` does: open, refresh (nothing stale), query
                idx.refresh()
                found = idx.search(q)
            best = min(best, time.perf_counter() - t)
        timings[q] = best * 1000
        hits[q] = len(found)
    return {
        "calls": calls,
        "lines": lines,
        "generated": generated,
        "build": build,
        "rebuild": rebuild,
        "search_ms": timings,
        "hits": hits,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer runs and calls")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="callassist-bench-") as d:
        tmp = Path(d)
        a = bench_append(tmp, 500 if args.quick else 2000)
        print(
            f"append (write+fsync), {a['n']} events: p50 {a['p50']:.2f} ms, p99 {a['p99']:.2f} ms, "
            f"max {a['max']:.2f} ms  (target p99 <= 5 ms)"
        )
        runs = 10 if args.quick else 50
        t = time.perf_counter()
        results = kill_run(runs, tmp / "kill", workers=4, seed=7)
        lost = sum(r.lost for r in results)
        ok = sum(1 for r in results if r.recovered_status == "interrupted" and r.status == "open")
        print(
            f"kill test: {runs} runs, {sum(r.reported for r in results)} events reported written, {lost} lost, "
            f"{ok}/{runs} intact and marked interrupted ({time.perf_counter() - t:.1f} s)  (target 0 lost)"
        )
        lo = bench_load(tmp, 40_000)
        print(
            f"load + verify {lo['events']:,} events ({lo['mb']:.1f} MB): best {lo['best']:.3f} s, "
            f"worst {lo['worst']:.3f} s  (target <= 1 s)"
        )
        s = bench_search(tmp, 200 if args.quick else 1000)
        worst = max(s["search_ms"].values())
        print(
            f"search over {s['calls']} calls ({s['lines']:,} journal lines): "
            f"median {statistics.median(s['search_ms'].values()):.1f} ms, worst {worst:.1f} ms  (target <= 100 ms)"
        )
        for q, ms in s["search_ms"].items():
            pad = 16 - sum(2 if ord(c) > 0x2E80 else 1 for c in q)
            print(f"    {q}{' ' * pad}{ms:6.1f} ms  {s['hits'][q]} hits")
        print(
            f"index: first build {s['build']:.2f} s, rebuild {s['rebuild']:.2f} s  (target <= 10 s); "
            f"generating the calls took {s['generated']:.1f} s"
        )


if __name__ == "__main__":
    main()

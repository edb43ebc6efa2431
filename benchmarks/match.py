"""Matcher quality and speed on the held-out sets in tests/data (python -m benchmarks.match)."""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from callassist import playbook as pb
from callassist.matcher import Matcher, Settings
from callassist.playbook import Intent

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SETS = {
    "zh clean": ("zh-CN", "match_zh.tsv"),
    "zh asr": ("zh-CN", "match_zh_asr.tsv"),
    "zh traditional": ("zh-CN", "match_zh_trad.tsv"),
    "en": ("en-US", "match_en.tsv"),
}


def read_set(name: str) -> list[tuple[str | None, str]]:
    """(intent or None, text) rows of a held-out file."""
    with open(DATA / name, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(None if r["intent"] == "-" else r["intent"], r["text"]) for r in rows]


def split(rows: list, which: str) -> list:
    """'dev' = even lines (used to tune the few settings), 'test' = odd lines, 'all' = both."""
    if which == "all":
        return rows
    return rows[0::2] if which == "dev" else rows[1::2]


def borrower_rows() -> set[int]:
    """Row numbers (in match_zh.tsv and its aligned variants) of the must-match-nothing lines that are the
    borrower's own words rather than small talk; listed by their clean text in match_zh_borrower.txt."""
    own = set((DATA / "match_zh_borrower.txt").read_text(encoding="utf-8").split("\n")) - {""}
    return {i for i, (label, text) in enumerate(read_set("match_zh.tsv")) if label is None and text in own}


def evaluate(m: Matcher, rows: list[tuple[str | None, str]], borrower: list[bool] | None = None) -> dict[str, float]:
    """top-1 on lines with an intent, top-3, and the false-match rate on lines that should match nothing
    (with `borrower`, a flag per row: also the false matches on the borrower's own lines, counted apart)."""
    pos = neg = hit = hit3 = false = own_n = own_false = 0
    for i, (label, text) in enumerate(rows):
        r = m.match(text)
        if label is None:
            neg += 1
            false += r.intent is not None
            if borrower is not None and borrower[i]:
                own_n += 1
                own_false += r.intent is not None
        else:
            pos += 1
            hit += r.intent == label
            hit3 += label in [c.intent for c in r.candidates[:3]]
    return {
        "n": pos,
        "none_n": neg,
        "top1": hit / max(pos, 1),
        "top3": hit3 / max(pos, 1),
        "false": false / max(neg, 1),
        "own_n": own_n,
        "own_false": own_false,
        "talk_n": neg - own_n,
        "talk_false": false - own_false,
    }


def errors(m: Matcher, rows: list[tuple[str | None, str]], limit: int = 40) -> None:
    """Print the misses (for looking at, not for tuning on the test half)."""
    shown = 0
    for label, text in rows:
        r = m.match(text)
        if r.intent != label and shown < limit:
            shown += 1
            top = ", ".join(f"{c.intent} {c.score:.2f}" for c in r.candidates[:3])
            print(f"  want {label or '-':22} got {r.intent or '-':22} | {text}  [{top}]")


def per_utterance(book: pb.Playbook, lines: list[str], passes: int = 1, word_table: bool = True) -> list[list[float]]:
    """Milliseconds per line for a matcher as a call starts it: a fresh encoder (no sentence or word seen yet)
    with the playbook's words prepared and, unless `word_table` is off, the prepared rows of callassist.token_table
    (built first if missing); every line timed as new. Later passes time the same lines again, every word now seen
    (sentences are still forgotten): what the first words cost."""
    from callassist.encoder import Encoder

    m = Matcher(book, encoder=Encoder(word_table=word_table))
    m.encoder.ready()
    out: list[list[float]] = []
    for _ in range(passes):
        times = []
        for text in lines:
            m.encoder.forget()  # Traditional lines would otherwise hit their Simplified twins
            t0 = time.perf_counter()
            m.match(text)
            times.append((time.perf_counter() - t0) * 1000)
        out.append(times)
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def big_playbook(base: pb.Playbook, n_intents: int, seed: int = 0) -> pb.Playbook:
    """A generated playbook of n intents, each with 6 examples recombined from the real ones."""
    rnd = random.Random(seed)
    pool = [ex for it in base.intents for ex in it.examples]
    intents = []
    for i in range(n_intents):
        exs = []
        for _ in range(6):
            a, b = rnd.choice(pool), rnd.choice(pool)
            exs.append(a[: max(2, len(a) // 2)] + b[len(b) // 2 :] + str(i))
        intents.append(Intent(f"gen-{i}", f"generated {i}", tuple(exs), "answer"))
    return replace(base, intents=tuple(intents))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--split", default="all", choices=["all", "dev", "test"])
    ap.add_argument("--errors", action="store_true", help="print misses")
    ap.add_argument("--no-speed", action="store_true", help="quality only")
    ap.add_argument("--threshold", type=float, help="override the decision threshold")
    args = ap.parse_args()
    settings = Settings() if args.threshold is None else replace(Settings(), threshold=args.threshold)

    matchers: dict[str, Matcher] = {}
    own_rows = borrower_rows()
    by_kind: list[str] = []
    print(f"quality ({args.split} lines)")
    print(f"{'set':16} {'lines':>6} {'top-1':>7} {'top-3':>7} {'none':>6} {'false':>7}")
    for name, (lang, file) in SETS.items():
        if not (DATA / file).exists():
            print(f"{name:16} missing {file}")
            continue
        if lang not in matchers:
            matchers[lang] = Matcher(pb.load(language=lang, user_overrides=False), settings=settings)
        all_rows = read_set(file)
        rows = split(all_rows, args.split)
        own = split([lang == "zh-CN" and i in own_rows for i in range(len(all_rows))], args.split)
        r = evaluate(matchers[lang], rows, own)
        print(f"{name:16} {r['n']:6d} {r['top1']:7.3f} {r['top3']:7.3f} {r['none_n']:6d} {r['false']:7.3f}")
        if r["own_n"]:
            by_kind.append(
                f"  {name:14} small talk {r['talk_false']}/{r['talk_n']}, the borrower's own lines "
                f"{r['own_false']}/{r['own_n']}"
            )
        if args.errors:
            errors(matchers[lang], rows)
    if by_kind:
        print("false matches by kind (lines matched / lines):", *by_kind, sep="\n")
    if args.no_speed:
        return 0

    print("\nspeed")
    zh_lines = [t for name, (lang, file) in SETS.items() if lang == "zh-CN" for _, t in read_set(file)]
    book = pb.load(language="zh-CN", user_overrides=False)
    passes = [per_utterance(book, zh_lines, passes=2) for _ in range(3)]
    bare = [per_utterance(book, zh_lines, word_table=False) for _ in range(3)]
    labels = (
        "3 fresh runs",
        "the same lines again, every word seen",
        "3 fresh runs without the word table, as on the very first start",
    )
    for k, label in enumerate(labels):
        runs = [p[k] for p in passes] if k < 2 else [p[0] for p in bare]
        p50s, p99s = sorted(statistics.median(r) for r in runs), sorted(pct(r, 0.99) for r in runs)
        print(
            f"per utterance, default zh-CN playbook ({len(zh_lines)} lines, {label}): "
            f"p50 {p50s[1]:.2f} ms, p99 {p99s[1]:.2f} ms (median run; p99 {p99s[0]:.2f}-{p99s[-1]:.2f})"
        )

    t0 = time.perf_counter()
    book = pb.load(language="zh-CN", user_overrides=False)
    t1 = time.perf_counter()
    Matcher(book, encoder=matchers["zh-CN"].encoder)
    t2 = time.perf_counter()
    print(
        f"load default playbook: parse {1000 * (t1 - t0):.0f} ms + index {1000 * (t2 - t1):.0f} ms (embeddings cached)"
    )

    big = big_playbook(book, 5000)
    t0 = time.perf_counter()
    bm = Matcher(big, encoder=matchers["zh-CN"].encoder)
    print(f"5,000-intent playbook built in {time.perf_counter() - t0:.1f} s (30,000 examples)")
    bm.encoder.ready()
    times = []
    for _, text in read_set("match_zh.tsv")[:300]:
        bm.encoder.forget()
        t0 = time.perf_counter()
        bm.match(text)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"per utterance, 5,000 intents: p50 {statistics.median(times):.2f} ms, p99 {pct(times, 0.99):.2f} ms")

    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "callassist", "match", "再不还钱就去你单位找你领导"],
            check=True,
            capture_output=True,
        )
        walls.append(time.perf_counter() - t0)
    print(f"`callassist match` one line, cold process: best {min(walls):.2f} s, worst {max(walls):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

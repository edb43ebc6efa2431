"""The `callassist` command: subcommands parse their arguments here and import what they need lazily."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from callassist import __version__
from callassist.errors import CallassistError
from callassist.help_zh import ChineseArgumentParser, prefers_chinese

Handler = Callable[[argparse.Namespace], int]


def _cmd_match(args: argparse.Namespace) -> int:
    from callassist import playbook as pb
    from callassist.text import valid_text

    book = pb.load(args.playbook, language=args.lang)
    matcher = _build_matcher(book, use_meaning=not args.no_meaning, many=args.jsonl)
    if args.jsonl:
        out = sys.stdout
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            text = valid_text(line.rstrip("\r\n"))
            out.write(json.dumps(matcher.match(text).to_json(), ensure_ascii=False) + "\n")
            out.flush()
        return 0
    if not args.text:
        raise CallassistError("match: give the text to match, or --jsonl to read lines from stdin")
    from callassist import profile as prof
    from callassist.render import print_match

    print_match(matcher.match(valid_text(" ".join(args.text))), book, prof.values(prof.load()))
    return 0


def _build_matcher(book, use_meaning: bool = True, many: bool = True):
    """The matcher, with a spinner on a terminal: the first run with a new playbook fits it (several seconds).

    `many`: more than one line will be matched, so preparing the playbook's words in the background pays off."""
    from callassist.matcher import Matcher

    if not sys.stderr.isatty():
        return Matcher(book, use_meaning=use_meaning, warm=many)
    from rich.console import Console

    label = "正在加载话术（首次使用会建立索引，需要几秒）…" if book.lang == "zh" else "Loading the playbook…"
    with Console(stderr=True).status(label):
        return Matcher(book, use_meaning=use_meaning, warm=many)


def _cmd_prepare(args: argparse.Namespace) -> int:
    """Build now what the first start would otherwise build (`make` runs this once after installing): the sentence
    encoder's unpacked weights, the word table and each bundled playbook's vectors and fitted scorer."""
    import time

    from callassist import locations, token_table, usem3_cache
    from callassist import playbook as pb
    from callassist.matcher import Matcher

    zh = prefers_chinese()
    t0 = time.perf_counter()
    for lang in ("zh-CN", "en-US"):
        book = pb.load(language=lang)  # with the user's own additions: their vectors are what a call needs
        label = f"正在准备 {lang} 话术和语义模型…" if zh else f"Preparing the {lang} playbook and the sentence encoder…"
        if sys.stderr.isatty():
            from rich.console import Console

            with Console(stderr=True).status(label):
                Matcher(book).encoder.ready()
        else:
            Matcher(book).encoder.ready()
    table = token_table.paths(usem3_cache.folder())[0].exists()
    where, took = locations.cache_dir(), time.perf_counter() - t0
    if zh:
        print(f"缓存已准备好（{took:.1f} 秒）：{where}")
        if not table:
            print("词表没有建立（磁盘剩余不足约 1.2 GB，或缓存文件夹无法写入）：匹配照常，只是新词稍慢。")
    else:
        print(f"caches ready ({took:.1f} s): {where}")
        if not table:
            print("the word table was not built (less than about 1.2 GB free, or the cache folder cannot be written):")
            print("matching works as usual, new words are a little slower.")
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from callassist.help_zh import locale_language
    from callassist.plan import make_plan
    from callassist.render import print_plan

    figures = make_plan(args.debt, args.apr, args.periods, args.income, args.cap)
    print_plan(figures, lang=args.lang or locale_language())
    return 0


def _cmd_profile(args: argparse.Namespace) -> int:
    import os
    import shlex
    import subprocess

    from callassist import locations
    from callassist import profile as prof
    from callassist.render import print_profile

    path = locations.profile_path()
    sets, unsets = list(args.set or []), list(args.unset or [])
    assignments = sets + unsets
    if assignments:
        current = prof.updated_file(path, sets, unsets)  # checked before anything is written
        prof.save(current, path)
    if args.edit:
        if not path.exists():
            prof.save(prof.Profile(), path)
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        subprocess.call([*shlex.split(editor), str(path)])
    if args.edit or not assignments:
        current = prof.load(path)
    print_profile(current, path, chinese=prefers_chinese())
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from callassist.render import demo

    demo()
    return 0


def _add_optional_commands(sub: argparse._SubParsersAction) -> None:
    """Subcommands that live beside the modules they drive (record, audio, app, rehearsal)."""
    import importlib

    for mod in (
        "callassist.record.commands",
        "callassist.audio.commands",
        "callassist.tui.commands",
        "callassist.rehearse_cli",
    ):
        importlib.import_module(mod).add_commands(sub)


def build_parser() -> argparse.ArgumentParser:
    """All subcommands and their options; the help and argparse's error line are in Chinese when the locale is
    (help_zh.py)."""
    chinese = prefers_chinese()
    p = (ChineseArgumentParser if chinese else argparse.ArgumentParser)(
        prog="callassist",
        description="Talking points, prepared answers, alerts and a tamper-evident record for repayment calls.",
    )
    p.add_argument("--version", action="version", version=f"callassist {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    m = sub.add_parser("match", help="match what the agent said to a prepared answer")
    m.add_argument("text", nargs="*", help="the agent's words")
    m.add_argument("--playbook", metavar="PATH", help="playbook TOML (default: bundled zh-CN)")
    m.add_argument("--lang", help="bundled playbook language when no --playbook (zh-CN, en-US)")
    m.add_argument("--jsonl", action="store_true", help="read one utterance per line on stdin, write JSON lines")
    m.add_argument("--no-meaning", action="store_true", help="skip the sentence encoder (lexical levels only)")
    m.set_defaults(func=_cmd_match)

    pl = sub.add_parser("plan", help="repayment figures for a debt, a rate and a number of periods")
    pl.add_argument("--debt", type=float, required=True, help="amount owed")
    pl.add_argument("--apr", type=float, required=True, help="annual rate in percent (0 = interest stopped)")
    pl.add_argument("--periods", type=int, required=True, help="number of monthly periods")
    pl.add_argument("--income", type=float, help="net monthly income")
    pl.add_argument("--cap", type=float, default=0.3, help="share of income for this debt (default 0.3)")
    pl.add_argument(
        "--lang", choices=["zh", "en"], help="output language (default: en for an English locale, else zh)"
    )  # errors: locale unless given
    pl.set_defaults(func=_cmd_plan)

    pr = sub.add_parser("profile", help="show or edit your numbers (they fill the playbook's placeholders)")
    pr.add_argument("--set", action="append", metavar="KEY=VALUE", help="set a value (repeatable)")
    pr.add_argument("--unset", action="append", metavar="KEY", help="clear a value (repeatable)")
    pr.add_argument("--edit", action="store_true", help="open the profile in $EDITOR")
    pr.set_defaults(func=_cmd_profile)

    _add_optional_commands(sub)

    pp = sub.add_parser("prepare", help="build the caches a first start would build (make runs it once)")
    pp.set_defaults(func=_cmd_prepare)

    d = sub.add_parser("demo", help="a short tour of the playbook, the matcher and the planner")
    d.set_defaults(func=_cmd_demo)
    if chinese:
        from callassist.help_zh import translate

        translate(p)
    return p


def _chinese_errors(args: argparse.Namespace) -> bool:
    """Error messages are Chinese when the locale is, or for `plan` when --lang says which language."""
    if getattr(args, "command", None) == "plan" and args.lang:
        return args.lang == "zh"
    return prefers_chinese()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["app", *argv]  # `callassist --lang en`: the app's options without its name (it is the default)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        args = parser.parse_args(["app"])
    try:
        return args.func(args)
    except CallassistError as e:
        print(f"callassist: {e.message(_chinese_errors(args))}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

"""`callassist rehearse`: a plain-terminal rehearsal that reads replies from stdin (works piped, too)."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from callassist.errors import CallassistError

STYLES = {
    "covered": "green",
    "pitfall": "bold red",
    "alert": "red",
    "answer": "cyan",
    "tip": "dim",
    "title": "bold",
    "score": "bold",
    "part": "",
    "missed": "yellow",
}


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `rehearse`."""
    r = sub.add_parser(
        "rehearse",
        help="practise a call with a simulated agent in the plain terminal (replies from stdin)",
        description="Practice a call: the simulated agent speaks, you type a reply (one line), the coach gives "
        "feedback; at the end a score, saved as a record marked rehearsal. Type /hint to see the prepared "
        "answer, /quit to stop.",
    )
    r.add_argument("--scenario", metavar="ID", help="scenario to play (see --list)")
    r.add_argument("--list", action="store_true", help="list the scenarios and exit")
    r.add_argument(
        "--playbook", metavar="PATH", help="playbook TOML (default: the bundled one of the scenario's language)"
    )
    r.add_argument("--lang", help="only scenarios of this language (zh, en) for --list or the menu")
    r.add_argument("--speak", action="store_true", help="speak the agent's lines with espeak-ng when it is installed")
    r.add_argument("--transcripts", metavar="DIR", help="where the rehearsal record is saved")
    r.add_argument("--no-record", action="store_true", help="do not save a record")
    r.set_defaults(func=run)


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _print_lines(console, lines: list[tuple[str, str]]) -> None:
    from rich.markup import escape

    for tag, text in lines:
        style = STYLES.get(tag, "")
        console.print(f"[{style}]{escape(text)}[/]" if style else escape(text))


def _choose(scenarios: list, console, stdin: TextIO) -> object:
    """Ask for a scenario by number (only when stdin is a terminal); the prompt is in the UI's language."""
    from rich.markup import escape

    from callassist.help_zh import prefers_chinese

    for i, sc in enumerate(scenarios, 1):
        console.print(f"  {i}. {escape(sc.title)}  [dim]({escape(sc.id)})[/]")
    console.print("编号：" if prefers_chinese() else "number: ", end="")
    answer = stdin.readline().strip()
    if answer.isdigit() and 1 <= int(answer) <= len(scenarios):
        return scenarios[int(answer) - 1]
    raise CallassistError(f"rehearse: no scenario number {answer!r}", zh=f"rehearse：没有编号为 {answer!r} 的场景")


def run(args: argparse.Namespace) -> int:
    """Play one scenario against stdin; print feedback and the report."""
    from callassist import playbook as pb
    from callassist import profile as prof
    from callassist import rehearse as R

    console = _console()
    stdin = sys.stdin
    book = pb.load(args.playbook) if args.playbook else None
    lang = args.lang or (book.language if book else None)
    scenarios = R.load_scenarios(lang)
    if args.list:
        for sc in scenarios:
            print(f"{sc.id}\t{sc.language}\t{sc.title}")
        return 0
    if args.scenario:
        scenario = R.find_scenario(args.scenario, scenarios)
    elif not scenarios:
        raise CallassistError(
            "rehearse: no scenarios" + (f" for language {lang}" if lang else ""),
            zh="rehearse：没有" + (f"语言为 {lang} 的" if lang else "") + "场景",
        )
    elif stdin.isatty():
        scenario = _choose(scenarios, console, stdin)  # type: ignore[assignment]
    else:
        raise CallassistError(
            "rehearse: give --scenario ID when replies come from a pipe (see --list)",
            zh="rehearse：回答来自管道时请用 --scenario ID 指定场景（见 --list）",
        )
    if book is None:
        book = pb.load(language=scenario.playbook, origin=scenario.path or None)

    values = R.practice_values(scenario, prof.load())
    from callassist.matcher import Matcher

    matcher = Matcher(book)
    session = None
    if not args.no_record:
        session = R.open_session(scenario, book, values, transcripts=args.transcripts, matcher=matcher)
    zh = book.lang == "zh"
    try:
        rehearsal = R.Rehearsal(scenario, book, values, session, matcher=matcher)
        _play(rehearsal, console, stdin, speak=args.speak)
        _print_lines(console, R.report_lines(rehearsal.report()))
    finally:
        if session is not None:
            info = session.close("rehearsal ended")
            console.print(("练习记录：" if zh else "Rehearsal record: ") + str(info.folder))
    return 0


def _play(rehearsal, console, stdin: TextIO, *, speak: bool) -> None:
    from rich.markup import escape

    from callassist import rehearse as R
    from callassist.text import valid_text

    sc = rehearsal.scenario
    zh = rehearsal.lang == "zh"
    interactive = stdin.isatty()
    console.rule(f"[bold]{escape(sc.title)}[/]")
    if sc.description:
        console.print(escape(sc.description))
    v = {k: escape(str(x)) for k, x in rehearsal.values.items()}  # the user's own numbers and words
    if zh:
        console.print(
            f"[dim]练习数字：欠款 {v.get('debt', '?')} 元，每月最多 {v.get('affordable', '?')} 元。/hint 看建议回答，/quit 结束。[/]"
        )
    else:
        console.print(
            f"[dim]Numbers: balance ${v.get('debt', '?')}, at most ${v.get('affordable', '?')} a month. /hint for the prepared answer, /quit to stop.[/]"
        )
    who, me = ("对方", "你") if zh else ("Agent", "You")
    spoke_warning = False
    while not rehearsal.finished:
        line = rehearsal.current_line()
        console.print(f"\n[bold magenta]{who}:[/] {escape(line or '')}")
        if speak and line:
            problem = R.speak(line, rehearsal.lang)
            if problem and not spoke_warning:
                console.print(f"[yellow]{escape(problem)}[/]")
                spoke_warning = True
        while True:
            if interactive:
                console.print(f"[bold]{me}:[/] ", end="")
            raw = stdin.readline()
            if not raw:
                rehearsal.stop()
                return
            text = valid_text(raw.strip())  # bytes that were not UTF-8 as U+FFFD, as they are recorded
            if text == "/quit":
                rehearsal.stop()
                return
            if text == "/hint":
                if not interactive:
                    console.print(f"[bold]{me}:[/] /hint")
                s = rehearsal.hint()
                if s is None:
                    console.print("[dim](没有准备好的回答)[/]" if zh else "[dim](no prepared answer)[/]")
                else:
                    console.print(f"[cyan]{escape(s.answer)}[/]")
                continue
            break
        if not interactive:
            console.print(f"[bold]{me}:[/] {escape(text)}")
        fb = rehearsal.reply(text)
        _print_lines(console, R.feedback_lines(fb, rehearsal.lang))

"""Subcommands for records: verify, import, export, list, search (added to `callassist` by cli.py)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from callassist.record.paths import RecordError, write_private


def ui_lang() -> str:
    """'zh' when the user's locale is Chinese, else 'en' (for list and search)."""
    from callassist.help_zh import prefers_chinese

    return "zh" if prefers_chinese() else "en"


def _root(args: argparse.Namespace) -> Path:
    from callassist.record.paths import transcripts_root

    return transcripts_root(getattr(args, "transcripts", None))


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


# -- verify -------------------------------------------------------------------------------------


VERIFY_WORDS = {
    "zh": {"verified": "通过", "interrupted": "通过（已中断）", "open": "未结束", "broken": "已损坏"},
    "en": {"verified": "OK", "interrupted": "OK (interrupted)", "open": "NOT CLOSED", "broken": "BROKEN"},
}
"""The first word of verify's result for a record, in the UI's language."""


def _cmd_verify(args: argparse.Namespace) -> int:
    from callassist.record.export import fmt_duration, status_both, status_text
    from callassist.record.paths import resolve_record
    from callassist.record.verify import BROKEN, OPEN, load

    root = _root(args)
    ui = ui_lang()
    worst = 0
    for arg in args.calldir:
        rec = load(resolve_record(arg, root))
        # Chinese when the UI is; otherwise the record's language, as before (the UI's when the header is lost).
        lang = "zh" if ui == "zh" else (rec.language if rec.header else ui)
        zh = lang == "zh"
        word = VERIFY_WORDS[ui][rec.status]
        c = "：" if zh else ": "
        _out(f"{word}  {rec.folder}")
        # Without a header the record's language is unknown: say it in both.
        _out(f"  {status_text(rec, lang) if rec.header else status_both(rec)}")
        for p in rec.problems:
            if not p.fatal and p.code != "no-close":
                _out(f"  {'注意' if zh else 'note'}{c}{p.message(lang)}")
        if rec.header is not None:
            dur = fmt_duration(rec.duration) or "-"
            _out(
                f"  {'行数' if zh else 'lines'}{c}{rec.lines} · {'时长' if zh else 'duration'}{c}{dur} · "
                f"{'事件' if zh else 'events'}{c}{len(rec.events)}"
            )
            label = "最终摘要" if zh else "final digest"
            if rec.status in (BROKEN, OPEN):
                label = "校验到的最后一行摘要" if zh else "digest of the last good line"
            _out(f"  {label}{c}{rec.final_digest}")
        if rec.audio is not None:
            a = rec.audio
            if not a.exists:
                state = "缺失" if zh else "MISSING"
            elif a.checked:
                state = ("一致" if zh else "matches") if a.ok else ("不一致" if zh else "DOES NOT MATCH")
            else:
                state = "录音未结束，无可比对的摘要" if zh else "no digest to compare yet (call not closed)"
            _out(f"  {'录音' if zh else 'audio'} {a.file}{c}{a.actual or a.expected or ''} {state}".rstrip())
        if rec.status in (BROKEN, OPEN):
            worst = 1
    return worst


# -- import -------------------------------------------------------------------------------------


PROGRESS_MIN_LINES = 2000
"""import shows a progress bar for a log with more entries than this (each is matched and written to disk: about a
millisecond; a 20,000-line log takes tens of seconds)."""


@contextmanager
def _import_progress(zh: bool) -> Iterator[Callable[[int, int], None] | None]:
    """import_log's progress callback: a bar on stderr (lines done of all, elapsed, remaining) for a log over
    PROGRESS_MIN_LINES; None when stderr is not a terminal, so scripts see the same output as before."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("句" if zh else "lines"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    bar = Progress(*columns, console=Console(stderr=True, highlight=False), transient=True)
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if total <= PROGRESS_MIN_LINES:
            return  # quick: no bar
        if task is None:
            bar.start()
            task = bar.add_task("正在导入" if zh else "importing", total=total)
        bar.update(task, completed=done)

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


def _cmd_import(args: argparse.Namespace) -> int:
    from callassist.record.importer import import_log

    lang = ui_lang()
    zh = lang == "zh"
    with _import_progress(zh) as progress:
        result = import_log(
            args.logfile,
            _root(args),
            lender=args.lender or "",
            agent=args.agent or "",
            started=args.started,
            direction=args.direction,
            lang=lang,
            progress=progress,
        )
    for warning in result.warnings:
        _err(("注意：" if zh else "warning: ") + warning)
    if result.started_from == "file time":
        _err(
            "注意：日志里没有日期，按文件修改日期计（可用 --started 指定）"
            if zh
            else "note: the log has no date; the file's date was used (give --started to set it)"
        )
    _err(
        f"已导入 {result.utterances} 句，{result.suggestions} 条建议，{result.alerts} 条警示"
        if zh
        else f"imported {result.utterances} lines, {result.suggestions} suggestions, {result.alerts} alerts"
    )
    _out(str(result.folder))
    return 0


# -- export -------------------------------------------------------------------------------------


def _refuse_record_file(path: Path) -> None:
    """Refuse an output path that is one of a record's own files (its journal, audio or copied log), followed
    through symbolic links: an export written there would replace the record it was made from."""
    from callassist.record.paths import JOURNAL

    target = path.resolve()
    own = target.suffix.lower() == ".wav" or target.name.startswith("source.")  # a record's only beside a journal
    if target.name == JOURNAL or (own and target.exists() and (target.parent / JOURNAL).exists()):
        raise RecordError(
            f"{path}: is a file of a call record; the export would replace it. Give another file with -o",
            zh=f"{path}：这是通话记录里的文件，导出会覆盖它；请用 -o 指定另一个文件",
        )


def _cmd_export(args: argparse.Namespace) -> int:
    from callassist.record.doc import render
    from callassist.record.export import chain_broken, export, failure_text, refusal
    from callassist.record.paths import resolve_record
    from callassist.record.verify import BROKEN, OPEN, load

    root = _root(args)
    out = Path(args.output) if args.output else None
    if out is not None:
        _refuse_record_file(out)
    # A record named more than once (its folder and its journal, overlapping globs) is read and counted once.
    folders: dict[Path, Path] = {}
    for d in args.calldir:
        folder = resolve_record(d, root)
        folders.setdefault(folder.resolve(), folder)
    records = [load(folder) for folder in folders.values()]
    for rec in records:
        if rec.header is None and not rec.journal_size:  # no journal to read at all
            raise RecordError(
                f"{rec.journal}: cannot be exported: {rec.summary_line()}",
                zh=f"{rec.journal}：无法导出：{rec.summary_line('zh')}",
            )
        if chain_broken(rec) and not args.allow_broken:
            raise RecordError(refusal(rec))
    for rec in records:
        if rec.status in (BROKEN, OPEN):  # in the record's language; in both when its header is damaged
            langs = [rec.language] if rec.header is not None else ["zh", "en"]
            _err(
                " / ".join(
                    f"注意：{rec.folder}：{failure_text(rec, 'zh')}"
                    if lang == "zh"
                    else f"warning: {rec.folder}: {failure_text(rec, 'en')}"
                    for lang in langs
                )
            )
    if args.format == "mediation":
        from callassist.record.mediation import mediation_doc

        html = out is not None and out.suffix.lower() in (".html", ".htm")
        text = render(mediation_doc(records, args.lang, redacted=args.redact), "html" if html else "md")
    else:
        text = export(records, args.format, args.lang, redacted=args.redact, unverified=args.allow_broken)
    if out is None:
        _out(text)
    else:
        write_private(out, text)
        _err(f"已写入 {out}" if ui_lang() == "zh" else f"wrote {out}")
    return 0


# -- list and search ----------------------------------------------------------------------------


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _table(rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [c + " " * (widths[i] - _width(c)) for i, c in enumerate(r)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _short_time(iso_text: str) -> str:
    from callassist.record.verify import parse_time

    t = parse_time(iso_text)
    return t.strftime("%Y-%m-%d %H:%M") if t else "?"


STATUS = {
    "zh": {"verified": "已校验", "interrupted": "已中断", "open": "未结束", "broken": "已损坏"},
    "en": {"verified": "verified", "interrupted": "interrupted", "open": "open", "broken": "BROKEN"},
}


def _cmd_list(args: argparse.Namespace) -> int:
    from callassist.record.doc import visible
    from callassist.record.export import fmt_duration
    from callassist.record.index import Index

    root = _root(args)
    lang = ui_lang()
    zh = lang == "zh"
    with Index(root) as idx:
        done = idx.refresh()
        records = idx.records()
    for folder in done.recovered:
        _err(f"已标记为中断：{visible(str(folder))}" if zh else f"marked interrupted: {visible(str(folder))}")
    if not records:
        _err(f"{root} 中还没有通话记录" if zh else f"no call records in {root}")
        return 0
    head = (
        ["日期", "对方", "时长", "事件", "警示", "状态", "文件夹"]
        if zh
        else ["date", "lender", "duration", "events", "alerts", "status", "folder"]
    )
    rows = [head]
    for r in records:
        status = STATUS[lang].get(r.status, r.status)
        if r.mode == "rehearsal":
            status += "（演练）" if zh else " (rehearsal)"
        rows.append(
            [
                _short_time(r.started),
                visible(r.lender) or "-",
                fmt_duration(r.duration) or "-",
                str(r.events),
                str(r.alerts),
                status,
                visible(r.folder.name),
            ]
        )
    _out(_table(rows))
    broken = [r for r in records if r.status == "broken"]
    for r in broken:
        name = visible(r.folder.name)
        _err(f"{name}：{r.problem_zh or r.problem}" if zh else f"{name}: {r.problem}")
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from callassist.record.doc import visible
    from callassist.record.index import Index
    from callassist.record.verify import parse_time

    text = " ".join(args.text).strip()
    if not text:
        raise RecordError("search: give the text to look for", zh="search：请给出要查找的内容")
    root = _root(args)
    lang = ui_lang()
    zh = lang == "zh"
    limit = args.limit
    if limit < 0:
        raise RecordError(
            f"--limit: {limit} is not a number of lines (0 shows all)",
            zh=f"--limit：{limit} 不是有效的条数（0 表示全部）",
        )
    with Index(root) as idx:
        idx.refresh()
        hits = idx.search(text, limit)
        total = idx.count(text) if limit and len(hits) >= limit else len(hits)
    if not hits:
        _err(f"没有找到“{text}”" if zh else f"no lines with '{text}'")
        return 1
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    labels = {"me": "我" if zh else "me", "agent": "对方" if zh else "agent", "unknown": "?"}
    kinds = {
        "note": "备注" if zh else "note",
        "bookmark": "书签" if zh else "bookmark",
        "agreed": "约定" if zh else "agreed",
    }
    for h in hits:
        t = parse_time(h.at) or parse_time(h.started)
        when = t.strftime("%Y-%m-%d %H:%M:%S") if t else "?"
        who = labels.get(h.speaker, h.speaker) if h.kind == "utterance" else kinds.get(h.kind, h.kind)
        line = visible(h.text)
        if color:
            i = line.lower().find(text.lower())
            if i >= 0:
                line = line[:i] + "\x1b[1;33m" + line[i : i + len(text)] + "\x1b[0m" + line[i + len(text) :]
        # A line from a record whose chain is broken may have been changed: said on the line itself.
        damaged = f" {STATUS[lang]['broken']}" if h.status == "broken" else ""
        _out(f"{when}  {visible(h.lender) or '-'}  {who}: {line}  [{visible(h.folder.name)} #{h.seq}{damaged}]")
    if total > len(hits):
        _err(
            f"只显示了 {total} 条中的 {len(hits)} 条（最新的通话在前）；用 --limit N 显示更多，--limit 0 显示全部"
            if zh
            else f"showed {len(hits)} of {total} lines (newest calls first); --limit N shows more, --limit 0 shows all"
        )
    return 0


# -- wiring -------------------------------------------------------------------------------------


def _transcripts_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--transcripts",
        metavar="DIR",
        help="records folder (default: $CALLASSIST_TRANSCRIPTS, then 'transcripts' in config.toml, then ./transcripts)",
    )


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add verify, import, export, list and search to the `callassist` parser."""
    v = sub.add_parser("verify", help="check a record's hash chain, closing line and audio digest (exit 1 if not)")
    v.add_argument("calldir", nargs="+", metavar="CALLDIR", help="record folder (or its journal.jsonl)")
    _transcripts_option(v)
    v.set_defaults(func=_cmd_verify)

    i = sub.add_parser("import", help="turn a written log ('agent: ...' / 'me: ...') into a record")
    i.add_argument("logfile", metavar="LOGFILE", help="text file: lines like '[14:03:12] agent: ...' or 'me: ...'")
    i.add_argument("--lender", metavar="NAME", help="the lender or platform")
    i.add_argument("--agent", metavar="NAME", help="the agent's name")
    i.add_argument("--started", metavar="ISO-TIME", help="when the call started, e.g. 2026-11-20T14:03")
    i.add_argument(
        "--direction",
        choices=["outgoing", "incoming", "unknown"],  # session.DIRECTIONS, the values of a record's header
        default="unknown",
        help="who placed the call: incoming (they called you), outgoing (you called them) or unknown (the default)",
    )
    _transcripts_option(i)
    i.set_defaults(func=_cmd_import)

    e = sub.add_parser("export", help="a record for people (md, html, json, txt) or a mediation / complaint pack")
    e.add_argument("calldir", nargs="+", metavar="CALLDIR", help="record folder(s); several for a mediation pack")
    e.add_argument(
        "--format",
        choices=["md", "html", "json", "txt", "mediation"],
        default="md",
        help="output format (default md); mediation writes HTML when -o ends in .html",
    )
    e.add_argument(
        "--redact", action="store_true", help="mask ID, bank card and phone numbers and e-mails (in the export only)"
    )
    e.add_argument("--lang", choices=["zh", "en"], help="language of the export (default: the playbook's)")
    e.add_argument(
        "--allow-broken",
        action="store_true",
        help="export a record that fails verification anyway: the failure is stamped at the top and the lines "
        "that do not verify are listed apart (the record itself is not changed)",
    )
    e.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    _transcripts_option(e)
    e.set_defaults(func=_cmd_export)

    ls = sub.add_parser("list", help="the saved calls: date, lender, duration, events, alerts, status")
    _transcripts_option(ls)
    ls.set_defaults(func=_cmd_list)

    s = sub.add_parser("search", help="find lines in all records (Chinese substrings included)")
    s.add_argument(
        "text", nargs="+", metavar="TEXT", help="what to look for: the words as one phrase; spaces in Chinese ignored"
    )
    s.add_argument(
        "--limit", type=int, default=200, metavar="N", help="show at most N lines (default 200; 0 shows all)"
    )
    _transcripts_option(s)
    s.set_defaults(func=_cmd_search)

"""`callassist import`: a written log becomes a normal record, matched as if live."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from datetime import datetime

import pytest

from callassist import playbook as pb
from callassist.matcher import Matcher
from callassist.record import load
from callassist.record.importer import LogImportError, assign_times, import_log, parse_log, parse_started
from tests.locale_support import set_locale
from tests.record_helpers import CST

LOG = """\
[14:03:12] agent: 你好，这里是借呗，我姓王
[14:03:20] me: 你好，我想协商一下分期还款
[14:03:41] 对方：再不还我们就打电话给你爸妈
还有你的同事
[14:04:02] 我: 请不要联系我的家人，我的手机是 13812345678
note: 对方语气很凶
[14:05:10] agent: 你把钱转到我个人微信上
"""


@pytest.fixture(scope="module")
def zh():
    book = pb.load(language="zh-CN", user_overrides=False)
    return book, Matcher(book)


def test_parse_log_speakers_times_continuations():
    entries = parse_log(LOG)
    assert [(e.speaker, e.stamp) for e in entries] == [
        ("agent", "14:03:12"),
        ("me", "14:03:20"),
        ("agent", "14:03:41"),
        ("me", "14:04:02"),
        ("note", None),
        ("agent", "14:05:10"),
    ]
    assert entries[2].text == "再不还我们就打电话给你爸妈还有你的同事" and entries[2].lineno == 3
    en = parse_log("Agent: we will sue you\n  today\nMe: please send it in writing\n(09:15) them: ok")
    assert [e.text for e in en] == ["we will sue you today", "please send it in writing", "ok"]
    assert en[2].stamp == "09:15" and en[2].speaker == "agent"


def test_parse_log_errors_name_the_line():
    with pytest.raises(LogImportError, match=r"call.txt:2: expected a line like 'agent: \.\.\.'"):
        parse_log("# a comment\nhello there\nagent: hi", "call.txt")
    with pytest.raises(LogImportError, match="no lines"):
        parse_log("\n\n# nothing\n", "empty.txt")


def test_times_roll_over_midnight():
    entries = parse_log("[23:59:50] agent: a\n[00:00:10] me: b")
    start = datetime(2026, 11, 20, 23, 59, 50, tzinfo=CST)
    a, b = assign_times(entries, start, "x")
    assert (b - a).total_seconds() == 20 and b.day == 21


def test_started_must_be_iso():
    assert parse_started("2026-11-20T14:03").hour == 14
    with pytest.raises(LogImportError, match="--started"):
        parse_started("yesterday")


def test_import_makes_a_verified_record_with_alerts(tmp_path, zh):
    book, matcher = zh
    log = tmp_path / "call.txt"
    log.write_text(LOG, encoding="utf-8")
    result = import_log(
        log, tmp_path / "tr", lender="借呗", agent="王", started="2026-11-20", playbook=book, matcher=matcher
    )
    rec = load(result.folder)
    assert rec.status == "verified"
    h = rec.header
    assert h["mode"] == "import" and h["lender"] == "借呗" and h["agent"]["name"] == "王"
    assert h["started"].startswith("2026-11-20T14:03:12") and h["direction"] == "unknown"
    assert h["source"]["sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()
    assert (result.folder / "source.txt").read_bytes() == log.read_bytes()
    assert oct(os.stat(result.folder / "source.txt").st_mode & 0o777) == "0o600"
    utts = [e for e in rec.events if e["type"] == "utterance"]
    assert [u["speaker"] for u in utts] == ["agent", "me", "agent", "me", "agent"]
    assert utts[2]["at"].startswith("2026-11-20T14:03:41") and utts[2]["start"] == 29.0
    alerts = {e["intent"] for e in rec.events if e["type"] == "alert"}
    assert "threat-family" in alerts and result.alerts == len([e for e in rec.events if e["type"] == "alert"])
    note = next(e for e in rec.events if e["type"] == "note")
    assert note["text"] == "对方语气很凶" and note["at"] is None
    assert rec.closing["duration"] == 118.0


def test_import_without_date_uses_file_date(tmp_path, zh):
    book, matcher = zh
    log = tmp_path / "call.txt"
    log.write_text("[09:00:00] agent: 你好\n[09:00:30] me: 你好\n", encoding="utf-8")
    ts = datetime(2026, 3, 4, 12, 0).timestamp()
    os.utime(log, (ts, ts))
    result = import_log(log, tmp_path / "tr", playbook=book, matcher=matcher)
    assert result.started_from == "file time"
    assert load(result.folder).header["started"].startswith("2026-03-04T09:00:00")


def test_import_gb18030_log(tmp_path, zh):
    book, matcher = zh
    log = tmp_path / "old.txt"
    log.write_bytes("agent: 你好\nme: 你好\n".encode("gb18030"))
    result = import_log(log, tmp_path / "tr", started="2026-01-02T10:00", playbook=book, matcher=matcher)
    assert [e["text"] for e in load(result.folder).events if e["type"] == "utterance"] == ["你好", "你好"]


def test_import_without_times_records_the_length_as_unknown(tmp_path, zh):
    from callassist.record.export import fmt_duration

    book, matcher = zh
    log = tmp_path / "old.txt"
    log.write_text("agent: 你好\nme: 你好\n", encoding="utf-8")
    result = import_log(log, tmp_path / "tr", started="2026-01-02T10:00", playbook=book, matcher=matcher)
    rec = load(result.folder)
    assert rec.status == "verified"
    assert rec.closing["duration"] is None  # not the milliseconds the import itself took
    assert fmt_duration(rec.duration) == ""


def test_import_missing_file_is_one_line(tmp_path):
    with pytest.raises(LogImportError, match="nope.txt: file not found"):
        import_log(tmp_path / "nope.txt", tmp_path / "tr")


def test_import_cli_prints_the_folder(tmp_path):
    log = tmp_path / "call.txt"
    log.write_text("[10:00:00] agent: we will sue you tomorrow\n[10:00:05] me: please send that in writing\n")
    env = dict(os.environ, CALLASSIST_TRANSCRIPTS=str(tmp_path / "tr"), LANG="en_US.UTF-8")
    p = subprocess.run(
        [sys.executable, "-m", "callassist", "import", str(log), "--lender", "Acme", "--started", "2026-11-20T10:00"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert p.returncode == 0, p.stderr
    folder = p.stdout.strip()
    assert folder.startswith(str(tmp_path / "tr")) and "imported 2 lines" in p.stderr
    assert load(folder).status == "verified" and load(folder).language == "en"
    bad = subprocess.run(
        [sys.executable, "-m", "callassist", "import", str(log), "--started", "soon"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--started" in bad.stderr


def test_started_after_the_logs_times_is_refused(tmp_path, zh):
    book, matcher = zh
    log = tmp_path / "call.txt"
    log.write_text("[14:03:12] agent: 你好\n[14:05:00] me: 你好\n[14:07:30] agent: 再见\n", encoding="utf-8")
    with pytest.raises(LogImportError) as e:
        import_log(log, tmp_path / "tr", started="2026-11-22T15:00", playbook=book, matcher=matcher)
    msg = str(e.value)
    assert "\n" not in msg and str(log) in msg and "14:03:12" in msg and "2026-11-22T15:00" in msg
    assert e.value.zh.startswith(f"{log}:1：日志中最早的时间 14:03:12") and "2026-11-22T15:00" in e.value.zh
    assert not (tmp_path / "tr").exists() or not any((tmp_path / "tr").iterdir())  # no wrong record was made
    # A start at or before the first time, or a date only, still works.
    for started in ("2026-11-22T14:03:12", "2026-11-22T14:00", "2026-11-22"):
        rec = load(import_log(log, tmp_path / "tr", started=started, playbook=book, matcher=matcher).folder)
        utts = [u for u in rec.events if u["type"] == "utterance"]
        assert all(u["start"] >= 0 for u in utts) and rec.closing["duration"] > 0, started


@pytest.mark.parametrize(("lang", "want"), [("en_US.UTF-8", "earliest time"), ("zh_CN.UTF-8", "最早的时间")])
def test_import_cli_started_after_the_log(tmp_path, lang, want):
    log = tmp_path / "call.txt"
    log.write_text("[14:03:12] agent: 你好\n[14:07:30] me: 再见\n", encoding="utf-8")
    env = dict(os.environ, CALLASSIST_TRANSCRIPTS=str(tmp_path / "tr"), LANG=lang, LC_ALL="", LC_MESSAGES="")
    p = subprocess.run(
        [sys.executable, "-m", "callassist", "import", str(log), "--started", "2026-11-22T15:00"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and want in p.stderr and str(log) in p.stderr


def test_imported_close_has_the_logs_last_time_not_the_import_time(tmp_path, zh):
    from callassist.record.export import export

    book, matcher = zh
    log = tmp_path / "call.txt"
    log.write_text(LOG, encoding="utf-8")
    rec = load(import_log(log, tmp_path / "tr", started="2026-11-20", playbook=book, matcher=matcher).folder)
    assert rec.status == "verified"
    assert rec.closing["at"].startswith("2026-11-20T14:05:10") and rec.closing["reason"] == "imported"
    md = export([rec], "md", "zh")
    assert "- `14:05:10` *通话结束* — 导入" in md and "— imported" not in md
    assert "— imported" in export([rec], "md", "en")
    # Without times in the log the closing line's time is unknown, like the lines'.
    bare = tmp_path / "bare.txt"
    bare.write_text("agent: 你好\nme: 你好\n", encoding="utf-8")
    rec = load(import_log(bare, tmp_path / "tr", started="2026-01-02T10:00", playbook=book, matcher=matcher).folder)
    assert rec.status == "verified" and rec.closing["at"] is None
    assert "- *通话结束* — 导入" in export([rec], "md")
    # An English log: the end is the last line's time, after the start.
    en = tmp_path / "en.txt"
    en.write_text("[10:00:00] agent: we will sue you\n[10:02:30] me: please put it in writing\n", encoding="utf-8")
    rec = load(import_log(en, tmp_path / "tr", started="2026-11-20").folder)
    assert rec.closing["at"].startswith("2026-11-20T10:02:30") and rec.closing["duration"] == 150.0


def test_folded_lines_that_look_like_a_speaker_are_warned_about():
    warnings: list[str] = []
    assert len(parse_log(LOG, "call.txt", warnings=warnings)) == 6 and warnings == []  # plain continuations
    log = "[14:03:12] 对方: 你好\n老板: 我是他老板\n14:05 他又打来了\n详见 http://example.com\n还有：你的同事\nme: 好\n"
    entries = parse_log(log, "call.txt", warnings=warnings)
    assert [e.speaker for e in entries] == ["agent", "me"]  # still folded, as documented
    assert entries[0].text.startswith("你好") and "老板: 我是他老板" in entries[0].text
    assert entries[0].text.endswith("详见 http://example.com 还有：你的同事")
    assert len(warnings) == 2 and all("\n" not in w for w in warnings)
    assert warnings[0].startswith("call.txt:2: ") and "'老板'" in warnings[0] and "line 1" in warnings[0]
    assert warnings[1].startswith("call.txt:5: ") and "'还有'" in warnings[1]
    zh_warnings: list[str] = []
    parse_log(log, "call.txt", warnings=zh_warnings, lang="zh")
    assert zh_warnings[0].startswith("call.txt:2：") and "“老板”" in zh_warnings[0] and "第 1 行" in zh_warnings[0]


@pytest.mark.parametrize(
    ("line", "want"),
    [
        ("[10:01:00] 你好", r"call.txt:2: a time with no speaker"),
        ("(10:01) 老板: 我是他老板", r"call.txt:2: '老板' is not a speaker"),
        ("【2026-11-20 10:01:00】 你好", r"call.txt:2: a time with no speaker"),
    ],
)
def test_a_stamped_line_without_a_known_speaker_is_an_error(line, want):
    with pytest.raises(LogImportError, match=want) as e:
        parse_log(f"[10:00:00] agent: 你好\n{line}\nme: 好\n", "call.txt")
    assert e.value.zh.startswith("call.txt:2：") and "说话人" in e.value.zh


def test_import_cli_prints_the_warnings(tmp_path):
    log = tmp_path / "call.txt"
    log.write_text("[10:00:00] 对方: 你好\n老板: 我是他老板\n[10:00:05] 我: 好\n", encoding="utf-8")
    env = dict(os.environ, CALLASSIST_TRANSCRIPTS=str(tmp_path / "tr"), LANG="zh_CN.UTF-8", LC_ALL="", LC_MESSAGES="")
    cmd = [sys.executable, "-m", "callassist", "import", str(log), "--started", "2026-11-20"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert f"{log}:2：“老板”" in p.stderr and load(p.stdout.strip()).status == "verified"


@pytest.mark.parametrize(
    ("content", "english", "chinese"),
    [
        ("hello\nagent: hi\n", ":1: expected a line like 'agent: ...' or 'me: ...'", ":1：这一行没有说话人"),
        ("# only a comment\n\n", ": no lines like 'agent: ...' or 'me: ...' found", "：没有找到"),
        (None, ": file not found", "：文件不存在"),
        (
            b"agent: \xff\xfe\x80\n\xff",
            ": not UTF-8 or GB18030 text (byte 7)",
            "：不是 UTF-8 或 GB18030 编码的文本（字节偏移 7）",
        ),
        ("[25:99] agent: hi\n", ":1: '25:99' is not a time of day", ":1：“25:99”不是有效的时刻"),
    ],
)
def test_import_errors_follow_theset_locale(monkeypatch, capsys, tmp_path, content, english, chinese):
    """The older import errors: Chinese under a Chinese locale, the English text unchanged otherwise; one line."""
    from callassist.cli import main

    log = tmp_path / "call.txt"
    if isinstance(content, bytes):
        log.write_bytes(content)
    elif content is not None:
        log.write_text(content, encoding="utf-8")
    set_locale(monkeypatch, "zh_CN.UTF-8")
    assert main(["import", str(log), "--transcripts", str(tmp_path / "tr")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"callassist: {log}{chinese}") and len(err.splitlines()) == 1, err
    assert not re.search(r"[a-z]{4} [a-z]{4}", err.replace(str(log), "")), err  # no English sentence left
    set_locale(monkeypatch, "C.UTF-8")
    assert main(["import", str(log), "--transcripts", str(tmp_path / "tr")]) == 2
    assert capsys.readouterr().err.startswith(f"callassist: {log}{english}")


def test_started_that_is_not_a_time_is_chinese_when_the_locale_is(monkeypatch, capsys, tmp_path):
    from callassist.cli import main

    log = tmp_path / "call.txt"
    log.write_text("agent: 你好\n", encoding="utf-8")
    set_locale(monkeypatch, "zh_CN.UTF-8")
    assert main(["import", str(log), "--started", "soon", "--transcripts", str(tmp_path / "tr")]) == 2
    assert capsys.readouterr().err.startswith("callassist: --started：'soon' 不是 ISO 格式的时间")


@pytest.mark.parametrize(("direction", "incoming", "night"), [("incoming", "1", "1"), ("unknown", "0", "0")])
def test_import_direction_counts_a_night_call_in_the_mediation_pack(
    monkeypatch, capsys, tmp_path, direction, incoming, night
):
    """`import --direction incoming`: a call logged at 23:58 is an incoming call at night in the mediation pack;
    with the default (unknown) it is neither."""
    from callassist.cli import main
    from callassist.record.doc import render
    from callassist.record.mediation import mediation_doc

    log = tmp_path / "call.txt"
    log.write_text("[23:58:00] 对方：你好，这里是借呗\n[23:59:10] 我：现在太晚了，请白天再打\n", encoding="utf-8")
    argv = ["import", str(log), "--lender", "借呗", "--started", "2026-11-20", "--transcripts", str(tmp_path / "tr")]
    if direction != "unknown":
        argv += ["--direction", direction]
    set_locale(monkeypatch, "C.UTF-8")
    assert main(argv) == 0, capsys.readouterr().err
    rec = load(capsys.readouterr().out.strip())
    assert rec.header["direction"] == direction and rec.started.hour == 23
    md = render(mediation_doc([rec], "zh"), "md")
    assert re.search(rf"^\| 2026-11-20 \| 1 \| {incoming} \| {night} \|", md, re.MULTILINE), md
    assert ("22:00–08:00 来电（" in md) is (direction == "incoming")


def test_import_direction_is_one_of_the_record_values(monkeypatch, capsys, tmp_path):
    from callassist.cli import main

    set_locale(monkeypatch, "C.UTF-8")
    with pytest.raises(SystemExit) as e:
        main(["import", str(tmp_path / "call.txt"), "--direction", "in"])
    assert e.value.code == 2 and "invalid choice: 'in'" in capsys.readouterr().err
    from callassist.cli import build_parser
    from callassist.session import DIRECTIONS

    imp = build_parser().parse_args(["import", "x"])
    assert imp.direction == "unknown"  # the default: records made before --direction existed are unchanged
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["import"]
    assert tuple(next(a for a in sub._actions if a.dest == "direction").choices) == DIRECTIONS


def test_import_reports_progress_with_increasing_counts(tmp_path):
    """import_log(progress=...) is told how many entries are recorded of how many, from 0 to all of them."""
    from tests.record_helpers import StubMatcher, tiny_playbook

    lines = [
        f"[10:{i // 60:02d}:{i % 60:02d}] {'对方' if i % 2 else '我'}：第{i}句，你什么时候还钱" for i in range(120)
    ]
    lines.insert(7, "note: 语气很凶")
    lines.insert(9, "还有你的同事")  # a continuation: not an entry of its own
    log = tmp_path / "big.txt"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[tuple[int, int]] = []
    result = import_log(
        log,
        tmp_path / "tr",
        started="2026-11-20",
        playbook=tiny_playbook(),
        matcher=StubMatcher(),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert {total for _, total in seen} == {121}  # 120 utterances and the note
    counts = [done for done, _ in seen]
    assert counts[0] == 0 and counts[-1] == 121
    assert all(b > a for a, b in zip(counts, counts[1:], strict=False)), counts
    assert result.utterances == 120 and load(result.folder).status == "verified"


def _import_cli(monkeypatch, capsys, tmp_path, locale: str, *, tty: bool, threshold: int | None = 3):
    """Run `callassist import` in-process on a four-line log; stderr a terminal or not; returns (stdout, stderr)."""
    from callassist.cli import main
    from callassist.record import commands

    log = tmp_path / "call.txt"
    log.write_text(
        "[10:00:00] 对方：你好，这里是借呗\n[10:00:05] 我：你好\n[10:00:09] 对方：再不还就告诉你家人\n"
        "[10:00:15] 我：请不要联系我的家人\n",
        encoding="utf-8",
    )
    set_locale(monkeypatch, locale)
    if threshold is not None:
        monkeypatch.setattr(commands, "PROGRESS_MIN_LINES", threshold)
    if tty:
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    argv = ["import", str(log), "--started", "2026-11-20", "--transcripts", str(tmp_path / "tr")]
    assert main(argv) == 0
    out = capsys.readouterr()
    return out.out, out.err


@pytest.mark.parametrize(
    ("locale", "summary"),
    [
        ("C.UTF-8", r"imported 4 lines, \d+ suggestions, \d+ alerts"),
        ("zh_CN.UTF-8", r"已导入 4 句，\d+ 条建议，\d+ 条警示"),
    ],
)
def test_import_cli_without_a_terminal_shows_no_progress(monkeypatch, capsys, tmp_path, locale, summary):
    """stderr not a terminal (scripts, pipes): the summary line alone, even for a log over the threshold."""
    out, err = _import_cli(monkeypatch, capsys, tmp_path, locale, tty=False)
    assert re.fullmatch(summary + "\n", err), err
    assert load(out.strip()).status == "verified"


@pytest.mark.parametrize(("locale", "label"), [("C.UTF-8", "importing"), ("zh_CN.UTF-8", "正在导入")])
def test_import_cli_on_a_terminal_shows_progress_for_a_big_log(monkeypatch, capsys, tmp_path, locale, label):
    out, err = _import_cli(monkeypatch, capsys, tmp_path, locale, tty=True)
    assert label in err and "4/4" in err, err
    assert load(out.strip()).status == "verified"
    # A log of no more lines than the threshold is quick: no bar.
    out, err = _import_cli(monkeypatch, capsys, tmp_path, locale, tty=True, threshold=4)
    assert label not in err and "\x1b" not in err, err


def test_traditional_chinese_speaker_words():
    """A log written in Traditional Chinese (對方 / 備註) was refused: 'this line has no speaker'."""
    entries = parse_log(
        "[10:00] 對方：你為什麼逾期不還款？\n[10:01] 我：我失業了\n備註：對方語氣很兇\n【10:02】客服：好的"
    )
    assert [(e.speaker, e.text) for e in entries] == [
        ("agent", "你為什麼逾期不還款？"),
        ("me", "我失業了"),
        ("note", "對方語氣很兇"),
        ("agent", "好的"),
    ]


@pytest.mark.parametrize("started", [None, "2026-11-20", "log"])
def test_times_that_go_backwards_are_warned_about_and_give_no_negative_offsets(tmp_path, zh, started):
    """10:00 then 09:00 gave the 09:00 line a start of -3600 s and the call a length of 0:00, silently."""
    book, matcher = zh
    log = tmp_path / "call.txt"
    first = "[2026-11-20 10:00:00]" if started == "log" else "[10:00:00]"
    log.write_text(f"{first} agent: 你好\n[09:00:00] me: 喂\n[10:00:30] agent: 再见\n", encoding="utf-8")
    given = None if started in (None, "log") else started
    result = import_log(log, tmp_path / "tr", started=given, playbook=book, matcher=matcher)
    rec = load(result.folder)
    assert rec.status == "verified"
    starts = [e["start"] for e in rec.events if e["type"] == "utterance"]
    assert min(starts) == 0.0 and starts == [3600.0, 0.0, 3630.0]
    assert rec.header["started"].endswith("09:00:00+08:00") or "T09:00:00" in rec.header["started"]
    assert rec.closing["duration"] == 3630.0 and "T10:00:30" in rec.closing["at"]
    assert len(result.warnings) == 1 and result.warnings[0].startswith(f"{log}:2: ")
    assert "09:00:00" in result.warnings[0] and "10:00:00" in result.warnings[0]

"""Search and list: an FTS5 trigram index rebuilt from the journals when missing or stale."""

from __future__ import annotations

import os
import subprocess
import sys

from callassist.record import load
from callassist.record.index import Index, list_records, search
from callassist.record.paths import INDEX_NAME
from callassist.session import CallSession
from tests.record_helpers import StubMatcher, make_record, tiny_playbook


def _call(root, lender, lines, **kw):
    s = CallSession.start(root, tiny_playbook(), matcher=StubMatcher(), lender=lender, **kw)
    for who, text in lines:
        s.utterance(who, text)
    return s.close().folder


def test_chinese_substrings_short_and_long(tmp_path):
    a = _call(tmp_path, "借呗", [("agent", "我们 要 起诉 你"), ("me", "请先发书面通知")])
    b = _call(tmp_path, "微粒贷", [("agent", "律师函已经发出了"), ("agent", "再不还就起诉")])
    hits = search(tmp_path, "起诉")  # two characters: below the trigram size, still found
    assert {(h.folder, h.text) for h in hits} == {(a, "我们 要 起诉 你"), (b, "再不还就起诉")}
    assert [h.text for h in search(tmp_path, "要起诉你")] == ["我们 要 起诉 你"]  # ASR spaces ignored
    assert [h.text for h in search(tmp_path, "律師函")] == ["律师函已经发出了"]  # Traditional finds Simplified
    hit = search(tmp_path, "书面通知")[0]
    assert hit.speaker == "me" and hit.lender == "借呗" and hit.kind == "utterance" and hit.seq == 2
    assert search(tmp_path, "没有这句话") == []
    assert search(tmp_path, "  ") == []


def test_english_is_case_insensitive(tmp_path):
    _call(tmp_path, "Acme", [("agent", "We will SUE you tomorrow"), ("me", "Send it in writing")])
    assert [h.text for h in search(tmp_path, "sue you")] == ["We will SUE you tomorrow"]
    assert [h.text for h in search(tmp_path, "in")] == ["Send it in writing"]


def test_notes_agreements_and_corrected_speakers_are_searchable(tmp_path):
    folder = make_record(tmp_path)
    kinds = {h.kind for h in search(tmp_path, "语气很凶")} | {h.kind for h in search(tmp_path, "24 期")}
    assert kinds == {"note", "agreed"}
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    ev, _ = s.utterance("me", "这句其实是对方说的")
    s.set_speaker(ev["seq"], "agent")
    s.close()
    assert search(tmp_path, "其实是对方")[0].speaker == "agent"
    assert folder.exists()


def test_index_follows_the_journals(tmp_path):
    _call(tmp_path, "借呗", [("agent", "第一通电话")])
    assert len(search(tmp_path, "电话")) == 1
    second = _call(tmp_path, "借呗", [("agent", "第二通电话")])
    assert len(search(tmp_path, "电话")) == 2  # a new record is picked up
    import shutil

    shutil.rmtree(second)
    assert len(search(tmp_path, "电话")) == 1  # a removed record is dropped
    (tmp_path / INDEX_NAME).unlink()
    assert len(search(tmp_path, "电话")) == 1  # deleting the index loses nothing
    (tmp_path / INDEX_NAME).write_bytes(b"this is not a database" * 100)
    assert len(search(tmp_path, "电话")) == 1  # neither does a corrupt one: it is replaced
    assert (tmp_path / INDEX_NAME).read_bytes().startswith(b"SQLite format 3")
    assert oct(os.stat(tmp_path / INDEX_NAME).st_mode & 0o777) == "0o600"


def test_list_shows_status_and_marks_cut_off_calls(tmp_path):
    good = make_record(tmp_path, lender="借呗")
    bad = make_record(tmp_path, lender="微粒贷")
    cut = make_record(tmp_path, lender="花呗", close=False)
    j = bad / "journal.jsonl"
    j.write_bytes(j.read_bytes().replace("分期".encode(), "分文".encode(), 1))
    live = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher(), lender="京东", recover=False)
    with Index(tmp_path) as idx:
        done = idx.refresh()
        rows = {r.folder: r for r in idx.records()}
    assert done.recovered == (cut,)
    assert rows[good].status == "verified" and rows[good].alerts == 1 and rows[good].lender == "借呗"
    assert rows[cut].status == "interrupted"
    assert rows[bad].status == "broken" and "修改" not in rows[bad].problem and "changed" in rows[bad].problem
    assert rows[live.folder].status == "open"  # a call in progress is left alone
    live.utterance("agent", "还在通话")
    live.close()
    statuses = {r.folder: r.status for r in list_records(tmp_path)}
    assert statuses[live.folder] == "verified"
    assert load(cut).status == "interrupted"


def _cli(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "callassist", *args], capture_output=True, text=True, env=dict(os.environ, **env)
    )


def test_list_and_search_commands(tmp_path):
    root = str(tmp_path / "tr")
    _call(tmp_path / "tr", "借呗", [("agent", "我们要起诉你"), ("me", "请发书面通知")])
    p = _cli("list", "--transcripts", root, LANG="zh_CN.UTF-8")
    assert p.returncode == 0, p.stderr
    head, row = p.stdout.splitlines()
    assert head.split() == ["日期", "对方", "时长", "事件", "警示", "状态", "文件夹"]
    assert "借呗" in row and "已校验" in row
    p = _cli("search", "起诉", "--transcripts", root, LANG="en_US.UTF-8")
    assert p.returncode == 0 and "agent: 我们要起诉你" in p.stdout and "#1]" in p.stdout
    p = _cli("search", "不存在的话", "--transcripts", root, LANG="en_US.UTF-8")
    assert p.returncode == 1 and "no lines" in p.stderr
    p = _cli("list", "--transcripts", str(tmp_path / "empty"), LANG="en_US.UTF-8")
    assert p.returncode == 0 and "no call records" in p.stderr


def test_search_says_when_results_are_cut_off(tmp_path):
    root = tmp_path / "tr"
    _call(root, "借呗", [("agent", f"第{i}次：不还就让你坐牢") for i in range(203)])
    p = _cli("search", "坐牢", "--transcripts", str(root), LANG="en_US.UTF-8")
    assert len(p.stdout.splitlines()) == 200  # the default
    assert p.returncode == 0 and p.stderr.strip() == (
        "showed 200 of 203 lines (newest calls first); --limit N shows more, --limit 0 shows all"
    )
    p = _cli("search", "坐牢", "--limit", "5", "--transcripts", str(root), LANG="zh_CN.UTF-8")
    assert len(p.stdout.splitlines()) == 5
    assert p.stderr.strip() == "只显示了 203 条中的 5 条（最新的通话在前）；用 --limit N 显示更多，--limit 0 显示全部"
    p = _cli("search", "坐牢", "--limit", "0", "--transcripts", str(root), LANG="en_US.UTF-8")
    assert len(p.stdout.splitlines()) == 203 and p.stderr == ""
    p = _cli("search", "坐牢", "--limit", "203", "--transcripts", str(root), LANG="en_US.UTF-8")
    assert len(p.stdout.splitlines()) == 203 and p.stderr == ""  # all shown: nothing to say
    p = _cli("search", "坐牢", "--limit", "-1", "--transcripts", str(root), LANG="en_US.UTF-8")
    assert p.returncode == 2 and "--limit" in p.stderr
    assert len(search(root, "坐牢", limit=0)) == 203
    with Index(root) as idx:
        assert idx.count("坐牢") == 203 and len(idx.search("坐牢", 7)) == 7


def test_list_names_broken_records_in_the_locales_language(tmp_path, monkeypatch, capsys):
    from callassist.cli import main

    bad = make_record(tmp_path, lender="微粒贷")
    j = bad / "journal.jsonl"
    j.write_bytes(j.read_bytes().replace("分期".encode(), "分文".encode(), 1))
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["list", "--transcripts", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"{bad.name}：第 ") and "changed" not in err and len(err.splitlines()) == 1, err
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["list", "--transcripts", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"{bad.name}: line ") and "changed" in err, err


def test_search_shows_control_characters_instead_of_sending_them_to_the_terminal(tmp_path):
    root = str(tmp_path / "tr")
    _call(tmp_path / "tr", "借呗", [("agent", "我们要起诉你\x1b[2J\x1b[31m")])
    p = _cli("search", "起诉", "--transcripts", root, LANG="en_US.UTF-8")
    assert p.returncode == 0 and "\x1b" not in p.stdout and "我们要起诉你␛[2J␛[31m" in p.stdout, p.stdout


def test_a_folder_name_that_is_not_utf8_does_not_break_list_or_search(tmp_path):
    """`import --lender` with bytes from a non-UTF-8 terminal made a folder whose name is not UTF-8; from then on
    list and search crashed (sqlite cannot take the name) for every record. A lender's name like that now gives a
    clean folder name, and a folder renamed so by hand is listed and searched like any other."""
    a = _call(tmp_path, "\udcff借呗", [("agent", "我们要起诉你")])
    assert "\udcff" not in a.name and a.name.encode("utf-8")
    b = _call(tmp_path, "微粒贷", [("agent", "律师函已经发出了")])
    odd = b.with_name(os.fsdecode(b"20261120-bad-\xff"))
    b.rename(odd)
    assert {r.folder for r in list_records(tmp_path)} == {a, odd}
    hits = search(tmp_path, "律师函")
    assert [h.folder for h in hits] == [odd] and load(hits[0].folder).status == "verified"
    p = _cli("list", "--transcripts", str(tmp_path), LANG="zh_CN.UTF-8")
    assert p.returncode == 0 and "Traceback" not in p.stderr and "20261120-bad-" in p.stdout, p.stderr


def test_search_marks_lines_from_a_broken_record(tmp_path, monkeypatch, capsys):
    """A hit from a record whose hash chain is broken looked like any other: the line may have been changed."""
    from callassist.cli import main

    good = make_record(tmp_path, lender="借呗")
    bad = make_record(tmp_path, lender="微粒贷")
    j = bad / "journal.jsonl"
    j.write_bytes(j.read_bytes().replace("分期".encode(), "分文".encode(), 1))
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    for lang, mark in (("zh_CN.UTF-8", "已损坏"), ("C.UTF-8", "BROKEN")):
        monkeypatch.setenv("LANG", lang)
        assert main(["search", "工号 8812", "--transcripts", str(tmp_path)]) == 0  # before the changed line
        out = capsys.readouterr().out.splitlines()
        mine = {name: [line for line in out if name in line] for name in (good.name, bad.name)}
        assert len(mine[good.name]) == 1 and mark not in mine[good.name][0]
        assert len(mine[bad.name]) == 1 and mark in mine[bad.name][0], out

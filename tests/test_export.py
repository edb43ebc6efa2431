"""Exports for people (md, html, json, txt), redaction, and the mediation / complaint pack."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from callassist.record import RecordError, load
from callassist.record.doc import Doc, Entry, Heading, Para, Table, render, to_html, to_markdown
from callassist.record.export import export
from callassist.record.mediation import check_same_lender, mediation_doc
from callassist.record.redact import redact
from callassist.session import CallSession
from tests.locale_support import set_locale
from tests.record_helpers import CST, StubMatcher, make_record, tiny_playbook


@pytest.fixture
def rec(tmp_path):
    return load(make_record(tmp_path / "tr", numbers=["13812345678"], direction="incoming"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证11010519900101123X。", "身份证11**************3X。"),
        ("id 110105199001011234", "id 11**************34"),
        ("卡号 6222 0212 3456 7890 123 谢谢", "卡号 **** **** **** ***0 123 谢谢"),
        ("card 6222021234567890", "card ************7890"),
        ("手机13812345678好", "手机138****5678好"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("mail zhang.san@qq.com.", "mail z***@qq.com."),
        ("call (555) 123-4567", "call (***) ***-4567"),
        ("SSN 123-45-6789", "SSN ***-**-6789"),
        # CJK right before or after does not stop a match (Python's \w counts CJK characters as word characters).
        ("我的邮箱是zhang@qq.com", "我的邮箱是z***@qq.com"),
        ("邮箱zhang.san@163.com谢谢", "邮箱z***@163.com谢谢"),
        ("身份证号11010519491231002X号码", "身份证号11**************2X号码"),
        # Grouped ID numbers are masked whole, as the unspaced form is (the separators stay).
        ("110105 19491231 002X", "11**** ******** **2X"),
        ("身份证110105 1949 1231 002x。", "身份证11**** **** **** **2x。"),
        ("身份证号110105-19491231-0021，", "身份证号11****-********-**21，"),
        # Grouped mobile numbers: the same four digits as 13812345678.
        ("手机138 1234 5678好", "手机138 **** 5678好"),
        ("电话是138-1234-5678，", "电话是138-****-5678，"),
        (
            "欠款20000元分24期，每期998.48元，2026-11-20 14:03:12",
            "欠款20000元分24期，每期998.48元，2026-11-20 14:03:12",
        ),
    ],
)
def test_redaction_patterns(text, expected):
    assert redact(text) == expected


def test_redact_cjk_neighbours_and_grouped_numbers_in_every_format(tmp_path):
    s = CallSession.start(tmp_path / "tr", tiny_playbook(), matcher=StubMatcher(), lender="借呗")
    s.utterance("me", "我的邮箱是zhang@qq.com")
    s.utterance("me", "身份证110105 19491231 002X，手机138-1234-5678")
    rec = load(s.close().folder)
    for fmt in ("md", "html", "txt", "json"):
        out = export([rec], fmt, redacted=True)
        assert "zhang@" not in out and "@qq.com" in out, fmt
        assert "110105" not in out and "19491231" not in out and "002X" not in out, fmt
        assert "1234" not in out and "5678" in out, fmt


def test_markdown_export_has_everything(rec):
    md = export([rec], "md")
    assert md.startswith("# 通话记录 2026-11-20 14:03 · 借呗")
    for want in (
        "对方来电",
        "王",
        "再不还就告诉你家人",
        "⚠ 警示：以告知家人相威胁",
        "依据：个人信息保护法第10条",
        "备注：对方语气很凶",
        "书签：威胁",
        "约定：金额 20,000.00 元；分 24 期；每期 998.48 元",
        "首期还款日 2026-12-15",
        "减免：罚息",
        "完整性校验",
        rec.final_digest,
        rec.journal_sha256,
        "callassist verify",
        "UTC+08:00",
    ):
        assert want in md, want
    assert re.search(r"^- `(\d\d-\d\d )?\d\d:\d\d:\d\d` \*\*对方\*\* 再不还就告诉你家人$", md, re.M)
    assert "13812345678" in md  # not redacted unless asked


def test_redact_changes_the_export_only(rec):
    before = (rec.folder / "journal.jsonl").read_bytes()
    for fmt in ("md", "html", "txt", "json"):
        out = export([rec], fmt, redacted=True)
        masked = r"138\*\*\*\*5678" if fmt == "md" else "138****5678"  # Markdown escapes the stars
        assert "13812345678" not in out and masked in out, fmt
    assert (rec.folder / "journal.jsonl").read_bytes() == before
    assert "13812345678" in before.decode()
    data = json.loads(export([rec], "json", redacted=True))
    assert data["redacted"] is True and data["records"][0]["header"]["numbers"] == ["138****5678"]
    assert "masks" not in data["note"] and "隐去" in data["note"]


def test_html_is_printable_a4_and_escapes(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher(), lender="<b>坏</b>")
    s.utterance("agent", "<script>alert(1)</script> 你好 & 再见")
    rec = load(s.close().folder)
    html = export([rec], "html")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html and '<meta charset="utf-8">' in html
    assert "@page { size: A4" in html and "Noto Sans CJK SC" in html and "Microsoft YaHei" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; 你好 &amp; 再见" in html
    assert "&lt;b&gt;坏&lt;/b&gt;" in html
    assert html.count("<table") == html.count("</table>") and html.count("<ol") == html.count("</ol>")


def test_json_export_keeps_events_and_verification(rec):
    data = json.loads(export([rec], "json"))
    r = data["records"][0]
    assert data["format"] == "callassist-export" and r["status"] == "verified"
    assert r["final_digest"] == rec.final_digest and r["events"] == rec.events and r["header"] == rec.header


def test_text_export_and_english_labels(rec):
    txt = export([rec], "txt", "en")
    assert "Call record 2026-11-20 14:03" in txt and "Agent: 再不还就告诉你家人" in txt
    assert "⚠ Alert: 以告知家人相威胁" in txt and "They called me" in txt and "OK: the hash chain is intact" in txt


def test_broken_and_interrupted_records_say_so(tmp_path):
    folder = make_record(tmp_path / "a")
    p = folder / "journal.jsonl"
    p.write_bytes(p.read_bytes().replace("语气很凶".encode(), "语气很好".encode()))
    md = export([load(folder)], "md")
    assert "未通过" in md and "修改" in md and "第 " in md
    from callassist.record.recover import recover

    cut = make_record(tmp_path / "b", close=False)
    recover(cut)
    assert "通话中途中断" in export([load(cut)], "md")


def test_several_records_in_one_export(tmp_path):
    a = load(make_record(tmp_path / "tr"))
    b = load(make_record(tmp_path / "tr"))
    md = export([a, b], "md")
    assert md.startswith("# 通话记录（2 个）") and md.count("## 通话记录 ") == 2
    assert len(json.loads(export([a, b], "json"))["records"]) == 2


def test_doc_renderers_share_one_model():
    doc = Doc("T", "en").add(
        Heading(1, "T"), Para("a|b *c*"), Table(("x", "y"), (("1|2", "3"),)), Entry("10:00", "Agent", "hi", "agent")
    )
    md = to_markdown(doc)
    assert r"a\|b \*c\*" in md and r"| 1\|2 | 3 |" in md and "- `10:00` **Agent** hi" in md
    assert '<li class="agent"><span class="t">10:00</span>' in to_html(doc)


def _pack_records(tmp_path, lender="借呗", n=4, hour=23):
    """Calls from the same lender on two days; one late at night; the last with an agreement."""
    out = []
    base = datetime(2026, 11, 20, 9, 0, tzinfo=CST)
    for i in range(n):
        started = base + timedelta(hours=i) if i < n - 1 else base.replace(hour=hour)
        s = CallSession.start(
            tmp_path,
            tiny_playbook(),
            matcher=StubMatcher(),
            lender=lender,
            agent_name=f"催收员{i % 2}",
            agent_id=f"88{i % 2}",
            agent_company="某某资产管理公司",
            numbers=["02112345678"],
            direction="incoming",
            started_at=started,
            values={
                "name": "张三",
                "debt": "20,000.00",
                "apr": "18",
                "periods": "24",
                "monthly": "998.48",
                "hardship": "失业三个月",
            },
        )
        s.utterance("agent", "再不还就告诉你家人" if i % 2 == 0 else "你什么时候还钱")
        s.utterance("me", "我想分期")
        if i == n - 1:
            s.agreed(periods=24, per_period=998.48, first_due="2026-12-15", waived=["罚息"])
        out.append(load(s.close().folder))
    return out


def test_mediation_pack_chinese(tmp_path):
    records = _pack_records(tmp_path)
    md = render(mediation_doc(records, "zh"), "md")
    sections = [
        "# 金融消费纠纷调解申请书（草稿）",
        "## 申请人",
        "## 被申请人",
        "## 请求事项",
        "## 事实与理由",
        "## 证据清单",
    ]
    positions = [md.index(s) for s in sections]
    assert positions == sorted(positions)
    assert "张三" in md and "借呗" in md and "催收员0" in md and "880" in md and "某某资产管理公司" in md
    assert "请求被申请人确认并履行双方于2026年11月20日电话中约定的还款方案：分 24 期；每期 998.48 元" in md
    assert "请求按约定减免罚息" in md and "停止事实与理由中所列的不当催收行为" in md
    assert "失业三个月" in md and "18%" in md and "20,000.00 元" in md
    assert "“再不还就告诉你家人” → 以告知家人相威胁" in md and "个人信息保护法第10条" in md
    assert "对方来电超过 3 次" in md and "22:00–08:00 来电" in md
    for r in records:
        assert r.journal_sha256 in md and r.final_digest in md
    assert "运营商通话详单" in md and "申请人（签名）" in md and "此致" in md


def test_mediation_pack_english_and_html(tmp_path):
    records = _pack_records(tmp_path, lender="Acme Recovery", n=9, hour=22)
    doc = mediation_doc(records, "en")
    md = render(doc, "md")
    for want in (
        "# Complaint about a debt collector (draft)",
        "## Your information",
        "## The company",
        "## What happened",
        "## What would be a fair resolution",
        "## Attachments",
        "consumerfinance.gov",
        "more than 7 calls in 7 days",
        "1692c(a)(1)",
        "Confirm in writing",
    ):
        assert want in md, want
    html = render(doc, "html")
    assert '<html lang="en">' in html and "@page { size: A4" in html


def test_mediation_needs_one_lender_and_real_calls(tmp_path):
    a = _pack_records(tmp_path / "a", lender="借呗", n=1)
    b = _pack_records(tmp_path / "b", lender="微粒贷", n=1)
    with pytest.raises(RecordError, match="different lenders: 借呗 .*微粒贷"):
        check_same_lender(a + b)
    assert check_same_lender(a + _pack_records(tmp_path / "c", lender=" 借 呗", n=1)) == "借呗"
    s = CallSession.start(tmp_path / "r", tiny_playbook(), matcher=StubMatcher(), mode="rehearsal", lender="借呗")
    with pytest.raises(RecordError, match="rehearsal"):
        check_same_lender(a + [load(s.close().folder)])


def _cli(*args, env_extra=None):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "callassist", *args], capture_output=True, text=True, env=env)


def test_export_cli_files_and_errors(tmp_path):
    records = _pack_records(tmp_path / "tr", n=2)
    folders = [str(r.folder) for r in records]
    out = tmp_path / "pack.html"
    p = _cli("export", *folders, "--format", "mediation", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and "申请人" in out.read_text()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    p = _cli("export", folders[0], "--format", "txt", "--redact", "--lang", "en")
    assert p.returncode == 0 and "Call record" in p.stdout
    p = _cli("export", folders[0], "--format", "mediation")
    assert p.stdout.startswith("# 金融消费纠纷调解申请书")
    p = _cli("export", str(tmp_path / "nope"))
    assert p.returncode == 2 and "no such record folder" in p.stderr and "Traceback" not in p.stderr
    # A folder name alone is looked up in the records folder.
    name = records[0].folder.name
    p = _cli("export", name, "--format", "json", env_extra={"CALLASSIST_TRANSCRIPTS": str(tmp_path / "tr")})
    assert p.returncode == 0 and json.loads(p.stdout)["records"][0]["status"] == "verified"


def test_verify_cli_exit_codes(tmp_path):
    good = make_record(tmp_path / "tr")
    english = {"LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
    p = _cli("verify", str(good), env_extra=english)
    assert p.returncode == 0 and p.stdout.startswith("OK ") and load(good).final_digest in p.stdout
    bad = make_record(tmp_path / "tr")
    j = bad / "journal.jsonl"
    j.write_bytes(j.read_bytes().replace("分期".encode(), "分文".encode(), 1))
    p = _cli("verify", str(bad), env_extra=english)  # BROKEN: the result word follows the locale
    assert p.returncode == 1 and p.stdout.startswith("BROKEN") and re.search(r"第 \d+ 行：", p.stdout)
    assert "Traceback" not in p.stderr
    p = _cli("verify", str(j))  # the journal path works too
    assert p.returncode == 1


@pytest.mark.parametrize("lang", ["en_US.UTF-8", "zh_CN.UTF-8", "C"])
def test_verify_damaged_header_speaks_both_languages(tmp_path, lang):
    folder = make_record(tmp_path / "tr")
    j = folder / "journal.jsonl"
    j.write_bytes(j.read_bytes().replace('"lender":"借呗"'.encode(), '"lender":"借贝"'.encode(), 1))
    p = _cli("verify", str(folder), env_extra={"LANG": lang, "LC_ALL": "", "LC_MESSAGES": ""})
    assert p.returncode == 1 and "Traceback" not in p.stderr
    line = p.stdout.splitlines()[1]
    assert re.search(r"记录头.*第 1 行.* / .*header.*line 1", line), line


def test_verify_missing_journal_speaks_both_languages(tmp_path):
    folder = tmp_path / "tr" / "20261120-140312-借呗"
    folder.mkdir(parents=True)
    p = _cli("verify", str(folder))
    assert p.returncode == 1
    line = p.stdout.splitlines()[1]
    assert "journal.jsonl" in line and " / " in line and "没有" in line and "no journal" in line


def test_export_counts_a_record_named_twice_once(tmp_path, monkeypatch):
    """The same record named several times (folder, its journal, by name, again) is one call, in first-seen order."""
    a, b = _pack_records(tmp_path / "tr", n=2)
    monkeypatch.chdir(tmp_path / "tr")
    names = [str(b.folder), str(a.folder), str(b.folder / "journal.jsonl"), b.folder.name, str(a.folder) + "/"]
    p = _cli("export", *names, "--format", "mediation")
    assert p.returncode == 0, p.stderr
    assert "根据 2 次通话记录" in p.stdout
    assert p.stdout.count(a.journal_sha256) == 1 and p.stdout.count(b.journal_sha256) == 1
    p = _cli("export", *names, "--format", "json")
    assert [r["folder"] for r in json.loads(p.stdout)["records"]] == [str(b.folder), str(a.folder)]
    p = _cli("export", str(a.folder), str(a.folder / "journal.jsonl"), "--format", "md")
    assert p.stdout.startswith("# 通话记录 2026-11-20")  # one record, not "通话记录（2 个）"
    # The library functions do the same when given the same record twice.
    assert "根据 2 次通话记录" in render(mediation_doc([a, b, load(a.folder), b], "zh"), "md")
    assert len(json.loads(export([a, load(a.folder / ".")], "json"))["records"]) == 1


def test_mediation_refusals_follow_theset_locale(monkeypatch, capsys, tmp_path):
    """Different lenders, a rehearsal, no such folder: Chinese under a Chinese locale, English unchanged otherwise."""
    from callassist.cli import main

    a = _pack_records(tmp_path / "a", lender="借呗", n=1)[0]
    b = _pack_records(tmp_path / "b", lender="微粒贷", n=1)[0]
    s = CallSession.start(tmp_path / "r", tiny_playbook(), matcher=StubMatcher(), mode="rehearsal", lender="借呗")
    practice = s.close().folder
    cases = [
        ([a.folder, b.folder], "这些记录来自不同的机构：借呗（", "these records are from different lenders: 借呗 ("),
        ([a.folder, practice], f"{practice}：是演练，不是真实通话", f"{practice}: is a rehearsal, not a real call"),
        ([tmp_path / "nope"], f"{tmp_path / 'nope'}：没有这个通话记录文件夹", f"{tmp_path / 'nope'}: no such record"),
    ]
    for folders, chinese, english in cases:
        argv = ["export", *map(str, folders), "--format", "mediation"]
        set_locale(monkeypatch, "zh_CN.UTF-8")
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"callassist: {chinese}") and len(err.splitlines()) == 1, err
        set_locale(monkeypatch, "C.UTF-8")
        assert main(argv) == 2
        assert capsys.readouterr().err.startswith(f"callassist: {english}")


def _verify_records(root):
    """Records in every state verify reports: Chinese closed, interrupted, open and broken; English closed and
    broken."""
    from callassist.record.recover import recover

    def english():
        s = CallSession.start(
            root,
            tiny_playbook("en-US"),
            matcher=StubMatcher(),
            lender="Acme",
            started_at=datetime(2026, 11, 20, 9, 0, tzinfo=CST),
        )
        s.utterance("agent", "when will you pay, we will tell your family")
        s.utterance("me", "please send the offer in writing")
        s.close()
        return s.folder

    def broken(folder, old, new):
        j = folder / "journal.jsonl"
        j.write_bytes(j.read_bytes().replace(old.encode(), new.encode(), 1))
        return folder

    interrupted = make_record(root, close=False)
    assert recover(interrupted).action == "marked"
    records = {
        "zh-ok": make_record(root),
        "zh-interrupted": interrupted,
        "zh-broken": broken(make_record(root), "分期", "分文"),
        "en-ok": english(),
        "en-broken": broken(english(), "writing", "wrlting"),
    }
    records["zh-open"] = make_record(root, close=False)  # last: starting a call marks open ones interrupted
    return records


VERIFY_WORDS = {
    # record: (exit status, first word in English, in Chinese, start of the result line in English, in Chinese)
    "zh-ok": (0, "OK", "通过", "通过：哈希链完整", "通过：哈希链完整"),
    "zh-interrupted": (0, "OK (interrupted)", "通过（已中断）", "通过：哈希链完整；通话中途中断", "通过：哈希链完整；"),
    "zh-open": (1, "NOT CLOSED", "未结束", "未结束：哈希链完整，但没有结束行", "未结束：哈希链完整"),
    "zh-broken": (1, "BROKEN", "已损坏", "未通过：第 ", "未通过：第 "),
    "en-ok": (0, "OK", "通过", "OK: the hash chain is intact and the call was closed normally.", "通过：哈希链完整"),
    "en-broken": (1, "BROKEN", "已损坏", "FAILED: line 5: the line's content does not match", "未通过：第 5 行："),
}


@pytest.mark.parametrize("locale", ["C.UTF-8", "zh_CN.UTF-8"])
def test_verify_result_words_follow_the_locale(monkeypatch, capsys, tmp_path, locale):
    """Under a Chinese locale verify speaks Chinese throughout (the result word, the result, the notes, whatever
    the record's language); otherwise the output is as before: OK / BROKEN, and the result in the record's
    language. Exit statuses are the same in both."""
    from callassist.cli import main

    records = _verify_records(tmp_path / "tr")
    set_locale(monkeypatch, locale)
    zh = locale.startswith("zh")
    for name, folder in records.items():
        code, word_en, word_zh, text_en, text_zh = VERIFY_WORDS[name]
        assert main(["verify", str(folder)]) == code, name
        out = capsys.readouterr().out
        lines = out.splitlines()
        assert lines[0] == f"{word_zh if zh else word_en}  {folder}", (name, out)
        assert lines[1].startswith("  " + (text_zh if zh else text_en)), (name, out)
        if zh:
            body = out.replace(str(folder), "")
            assert not re.search(r"OK|BROKEN|NOT CLOSED|interrupted|[a-z]{4} [a-z]{4}", body), (name, out)
            assert "行数：" in out and ("最终摘要" in out or "校验到的最后一行摘要" in out)
        elif name.startswith("en"):
            assert "lines: " in out and ("final digest: " in out or "digest of the last good line: " in out)


SYSTEM_KINDS_WRITTEN = (
    "recognizer_started",
    "recognizer_stopped",
    "recognizer_failed",
    "listening_paused",
    "listening_resumed",
    "audio_overflow",
    "device_lost",
    "speaker_toggled",
    "rehearsal-start",
    "rehearsal-report",
)


def test_every_system_kind_the_code_writes_has_a_chinese_label():
    from pathlib import Path

    import callassist
    from callassist.audio.live import SYSTEM_KINDS
    from callassist.record.export import labels

    # The package's own folder, not the working directory's: from elsewhere the scan found nothing and passed.
    src = "\n".join(p.read_text(encoding="utf-8") for p in Path(callassist.__file__).parent.rglob("*.py"))
    written = set(re.findall(r"\.system\(\s*\"([\w-]+)\"", src)) | set(re.findall(r"\"kind\": \"([\w-]+)\"", src))
    assert {"recognizer_started", "device_lost"} <= written, written  # the scan sees the calls
    written |= set(SYSTEM_KINDS.values())
    assert written <= set(SYSTEM_KINDS_WRITTEN), written - set(SYSTEM_KINDS_WRITTEN)
    assert set(SYSTEM_KINDS_WRITTEN) <= set(labels("zh")["system_kinds"])


@pytest.mark.parametrize("reason", ["imported", "app closed", "rehearsal ended", "interrupted by the user", "error: x"])
def test_chinese_export_renders_system_events_and_closing_reasons_in_chinese(tmp_path, reason):
    s = CallSession.start(tmp_path / "tr", tiny_playbook(), matcher=StubMatcher(), lender="借呗")
    for kind in SYSTEM_KINDS_WRITTEN:
        s.system(kind, source="agent", reason="end", scenario="hardship-1")
    rec = load(s.close(reason).folder)
    assert [e["kind"] for e in rec.events if e["type"] == "system"] == list(SYSTEM_KINDS_WRITTEN)  # stored as is
    assert rec.events[-1]["reason"] == reason
    for fmt in ("md", "txt", "html"):
        zh = export([rec], fmt, "zh")
        for kind in SYSTEM_KINDS_WRITTEN:
            assert kind not in zh, (fmt, kind)
        assert "scenario=" not in zh and "source=" not in zh and "reason=end" not in zh, fmt
        closing = next(line for line in zh.splitlines() if "通话结束" in line)
        shown = {"imported": "导入", "app closed": "程序关闭", "rehearsal ended": "演练结束"}
        shown |= {"interrupted by the user": "用户中止", "error: x": "出错：x"}
        assert shown[reason] in closing and reason not in closing, (fmt, closing)
        assert "系统：演练开始" in zh and "系统：语音识别开始" in zh, fmt
        en = export([rec], fmt, "en")
        assert "System: rehearsal-start" in en and "scenario=hardship-1" in en, fmt
        assert "Call ended" in en and reason in en, fmt


def test_durations_round_halves_up():
    from callassist.record.export import fmt_duration

    assert [fmt_duration(x) for x in (36.5, 37.5, 59.6, 3599.5, 0.4)] == ["0:37", "0:38", "1:00", "1:00:00", "0:00"]
    assert fmt_duration(None) == ""


@pytest.mark.parametrize("target", ["journal.jsonl", "source.txt", "audio.wav", "journal-link"])
def test_export_never_writes_over_a_record_file(tmp_path, target):
    """`-o` pointing at a record's own files (a slip of the tab key) is refused; the record stays as it was."""
    folder = make_record(tmp_path / "tr")
    (folder / "source.txt").write_bytes(b"me: hi\n")
    (folder / "audio.wav").write_bytes(b"RIFF")
    (tmp_path / "journal-link").symlink_to(folder / "journal.jsonl")
    out = tmp_path / target if target == "journal-link" else folder / target
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for fmt in ("md", "mediation"):
        p = _cli("export", str(folder), "--format", fmt, "-o", str(out), env_extra={"LANG": "zh_CN.UTF-8"})
        assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1 and str(out) in p.stderr and "通话记录" in p.stderr, p.stderr
        assert {q.name: q.read_bytes() for q in folder.iterdir()} == before
    assert load(folder).status == "verified"
    # A new file beside the record, or anywhere else, is still written.
    p = _cli("export", str(folder), "-o", str(folder / "export.md"))
    assert p.returncode == 0 and (folder / "export.md").read_text(encoding="utf-8").startswith("# ")
    p = _cli("export", str(folder), "--format", "txt", "-o", str(folder / "export.md"))  # and written again
    assert p.returncode == 0 and not (folder / "export.md").read_text(encoding="utf-8").startswith("# ")


def test_control_characters_are_shown_not_passed_on(tmp_path):
    """A line with NUL / ESC (pasted from a chat, an imported log) went raw into the exports: the HTML held NUL
    bytes, and the text export sent terminal escape codes (ESC[31m turned the terminal red). They are shown as
    control pictures (␀ ␛); the JSON keeps the exact text."""
    s = CallSession.start(tmp_path / "tr", tiny_playbook(), matcher=StubMatcher(), lender="借\x1b[2J呗")
    s.utterance("agent", "你好\x00\x01\x1b[31m红\x7f\x9b色\t完")
    rec = load(s.close().folder)
    for fmt in ("md", "html", "txt"):
        out = export([rec], fmt)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), fmt
        assert "你好␀␁␛" in out and "红␡" in out and "借␛" in out, fmt
    pack = render(mediation_doc([rec], "zh"), "html")
    assert "\x1b" not in pack and "借␛" in pack
    assert json.loads(export([rec], "json"))["records"][0]["events"][0]["text"].startswith("你好\x00\x01\x1b")


def test_english_pack_counts_one_call_in_the_singular(tmp_path):
    """One call said 'Drafted by callassist from 1 call records (2026-11-20 to 2026-11-20)'."""
    one = _pack_records(tmp_path / "one", lender="Acme Recovery", n=1)
    md = render(mediation_doc(one, "en"), "md")
    assert "from 1 call record (2026-11-20)." in md and "call records" not in md
    two = _pack_records(tmp_path / "two", lender="Acme Recovery", n=2)
    md = render(mediation_doc(two, "en"), "md")
    assert "from 2 call records (" in md

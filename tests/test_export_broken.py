"""Exporting a record that fails verification: refused by default; --allow-broken stamps the failure on top."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callassist.record import load
from callassist.record.export import export
from callassist.session import CallSession
from tests.record_helpers import StubMatcher, make_record, tiny_playbook

FORMATS = ("md", "html", "json", "txt", "mediation")
JSON_KEYS = {"format", "version", "exported", "redacted", "note", "records"}
RECORD_KEYS = {"folder", "status", "problems", "final_digest", "journal_sha256", "audio", "header", "events"}


def _cli(*args, lang="en_US.UTF-8"):
    env = dict(os.environ, LANG=lang, LC_ALL="", LC_MESSAGES="")
    return subprocess.run([sys.executable, "-m", "callassist", *args], capture_output=True, text=True, env=env)


def _tamper(folder: Path, old: str, new: str) -> Path:
    j = folder / "journal.jsonl"
    j.write_bytes(j.read_bytes().replace(old.encode(), new.encode(), 1))
    return j


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture
def broken(tmp_path) -> Path:
    """A Chinese record whose note on line 12 was edited after the call."""
    folder = make_record(tmp_path / "tr")
    _tamper(folder, "语气很凶", "语气很好")
    rec = load(folder)
    assert rec.status == "broken" and rec.fatal.line == 12
    return folder


def _english(root: Path) -> Path:
    s = CallSession.start(root, tiny_playbook("en-US"), matcher=StubMatcher(), lender="Apex", agent_name="Mike")
    s.utterance("agent", "we will tell your family")
    s.note("the agent sounded aggressive")
    s.utterance("me", "please stop calling my family")
    return s.close().folder


# -- refused by default ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_broken_chain_is_refused_with_the_file_the_line_and_the_option(broken, fmt):
    p = _cli("export", str(broken), "--format", fmt)
    assert p.returncode != 0 and p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert str(broken / "journal.jsonl") in lines[0] and "第 12 行" in lines[0] and "--allow-broken" in lines[0]


def test_a_damaged_header_is_refused_in_both_languages(tmp_path):
    folder = make_record(tmp_path / "tr")
    _tamper(folder, '"lender":"借呗"', '"lender":"借贝"')
    p = _cli("export", str(folder))
    assert p.returncode != 0 and p.stdout == "" and "Traceback" not in p.stderr
    line = p.stderr.strip()
    assert "\n" not in line and "--allow-broken" in line
    assert "第 1 行" in line and "line 1" in line


# -- --allow-broken -------------------------------------------------------------------------------


def _top(text: str, n: int = 6) -> str:
    return "\n".join(text.lstrip().splitlines()[:n])


def test_allow_broken_stamps_the_failure_first_in_every_format(broken, tmp_path):
    before = _snapshot(broken)
    out = {}
    for fmt in FORMATS:
        p = _cli("export", str(broken), "--format", fmt, "--allow-broken")
        assert p.returncode == 0, p.stderr
        assert "Traceback" not in p.stderr
        out[fmt] = p.stdout
    md, txt, html, mediation = out["md"], out["txt"], out["html"], out["mediation"]
    # md and the pack: a warning block before anything else, in the record's language, naming file and line
    for text in (md, mediation):
        assert text.startswith("> **⚠"), text[:200]
        top = text.split("\n# ", 1)[0].replace("\\", "")  # Markdown escapes the _ of paths
        assert "完整性校验未通过" in top and "第 12 行" in top and str(broken / "journal.jsonl") in top
    assert md.index("完整性校验未通过") < md.index("# 通话记录")
    assert mediation.index("完整性校验未通过") < mediation.index("# 金融消费纠纷调解申请书")
    # txt: a framed block on top
    assert txt.startswith("!!!") and "完整性校验未通过" in _top(txt) and "第 12 行" in txt.split("通话记录")[0]
    # html: a visible box before the title
    body = html.split("<body>", 1)[1]
    assert body.lstrip().startswith('<div class="integrity"')
    assert body.index("完整性校验未通过") < body.index("<h1>")
    assert ".integrity" in html  # styled, not just a paragraph
    # json: the existing keys unchanged, plus integrity
    data = json.loads(out["json"])
    assert JSON_KEYS <= set(data) and RECORD_KEYS <= set(data["records"][0])
    assert data["format"] == "callassist-export" and data["version"] == 1
    assert data["records"][0]["status"] == "broken" and data["records"][0]["events"] == load(broken).events
    integrity = data["integrity"]
    assert integrity["ok"] is False and integrity["line"] == 12 and "第 12 行" in integrity["problem"]
    assert integrity["file"] == str(broken / "journal.jsonl")
    # the record itself was not touched
    assert _snapshot(broken) == before


def test_allow_broken_shows_the_unverified_rest_apart(broken):
    p = _cli("export", str(broken), "--format", "md", "--allow-broken")
    md = p.stdout
    # the verified part as before, then the lines that do not verify, in a section of their own
    assert "第0句" in md and "未经校验" in md
    cut = md.index("未经校验的内容")
    assert md.index("语气很好") > cut and md.index("分24期", cut) > cut
    # the plain library export (no --allow-broken) still shows only what verifies, with the stamp on top
    plain = export([load(broken)], "md")
    assert plain.startswith("> **⚠") and "语气很好" not in plain
    data = json.loads(_cli("export", str(broken), "--format", "json", "--allow-broken").stdout)
    rest = data["records"][0]["unverified"]
    assert rest["from_line"] == 12 and rest["lines"][0]["line"] == 12
    assert rest["lines"][0]["event"]["text"] == "对方语气很好"


def test_allow_broken_with_a_damaged_header(tmp_path):
    folder = make_record(tmp_path / "tr")
    _tamper(folder, '"lender":"借呗"', '"lender":"借贝"')
    before = _snapshot(folder)
    for fmt in ("md", "txt", "html", "json"):
        p = _cli("export", str(folder), "--format", fmt, "--allow-broken")
        assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
        assert "第 1 行" in p.stdout and "再不还就告诉你家人" in p.stdout
    data = json.loads(_cli("export", str(folder), "--format", "json", "--allow-broken").stdout)
    assert data["integrity"]["ok"] is False and data["integrity"]["line"] == 1
    assert data["records"][0]["header"] is None and data["records"][0]["unverified"]["header"]["lender"] == "借贝"
    assert _snapshot(folder) == before


def test_english_record_gets_an_english_stamp(tmp_path):
    folder = _english(tmp_path / "tr")
    _tamper(folder, "aggressive", "polite")
    where = f"line {load(folder).fatal.line}"
    p = _cli("export", str(folder), "--format", "txt")
    assert p.returncode != 0 and where in p.stderr and "--allow-broken" in p.stderr and "第" not in p.stderr
    p = _cli("export", str(folder), "--format", "md", "--allow-broken")
    assert p.returncode == 0
    top = p.stdout.split("\n# ", 1)[0]
    assert "FAILED verification" in top and where in top and "完整性" not in p.stdout
    assert "polite" in p.stdout.split("Unverified", 1)[1]


def test_json_integrity_of_a_good_record(tmp_path):
    data = json.loads(export([load(make_record(tmp_path / "tr"))], "json"))
    assert data["integrity"] == {"ok": True, "problem": None, "line": None, "file": None, "failures": []}
    assert data["records"][0]["unverified"] is None


def test_a_good_record_has_no_stamp(tmp_path):
    folder = make_record(tmp_path / "tr")
    p = _cli("export", str(folder), "--format", "md", "--allow-broken")
    assert p.returncode == 0 and p.stdout.startswith("# 通话记录") and "完整性校验未通过" not in p.stdout


def test_a_pack_leaves_out_a_record_without_header_even_with_allow_broken(tmp_path):
    folder = make_record(tmp_path / "tr")
    _tamper(folder, '"lender":"借呗"', '"lender":"借贝"')
    p = _cli("export", str(folder), "--format", "mediation", "--allow-broken", lang="C")
    assert p.returncode == 2 and "Traceback" not in p.stderr and "leave it out of the pack" in p.stderr


def test_whatever_the_unverified_lines_hold_every_format_renders(tmp_path):
    folder = make_record(tmp_path / "tr")
    j = folder / "journal.jsonl"
    lines = j.read_bytes().split(b"\n")
    lines[3] = b'{"seq":3,"type":"utterance","text":5,"speaker":["x"],"at":7}'
    lines[4] = b"\xff\xfe not json \x00"
    lines[5] = b'{"type":"agreed","amount":"lots","waived":3}'
    lines[6] = b"[1, 2]"
    j.write_bytes(b"\n".join(lines))
    rec = load(folder)
    assert rec.fatal.line == 4
    for fmt in ("md", "txt", "html", "json"):
        out = export([rec], fmt, unverified=True, redacted=fmt == "md")
        out = out.replace("\\", "")  # Markdown escapes brackets
        assert "not json" in out and "lots" in out and "[1, 2]" in out and "\x00" not in out


def test_redaction_covers_the_unverified_lines(tmp_path):
    folder = make_record(tmp_path / "tr")
    _tamper(folder, "我想申请分期", "我想申请延期")
    for fmt in ("md", "txt", "json"):
        out = export([load(folder)], fmt, unverified=True, redacted=True)
        assert "延期" in out and "13812345678" not in out


@pytest.mark.parametrize(
    "field",
    [
        {"agent": "王"},
        {"agent": ["王"]},
        {"lender": ["借呗"]},
        {"lender": {"name": "借呗"}},
        {"playbook": "zh-CN"},
        {"numbers": 3},
        {"direction": ["in"]},
    ],
)
def test_a_damaged_header_of_any_shape_still_exports_with_allow_broken(tmp_path, field, capsys):
    from callassist.cli import main

    folder = make_record(tmp_path / "tr")
    j = folder / "journal.jsonl"
    lines = j.read_bytes().split(b"\n")
    header = json.loads(lines[0])
    header.update(field)
    lines[0] = json.dumps(header, ensure_ascii=False).encode("utf-8")  # its digest no longer matches
    j.write_bytes(b"\n".join(lines))
    rec = load(folder)
    for fmt in ("md", "txt", "html", "json"):
        assert export([rec], fmt, unverified=True).strip()
    assert main(["export", str(folder), "--format", "md", "--allow-broken"]) == 0
    out, err = capsys.readouterr()
    (value,) = field.values()
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    assert "Traceback" not in err
    assert shown in out.replace("\\", "")  # the damaged field is shown as found


def test_a_call_whose_direction_was_not_recorded_says_so(tmp_path):
    folder = make_record(tmp_path / "tr", direction="unknown")
    md = export([load(folder)], "md")
    assert "**方向**：未记录" in md and "unknown" not in md

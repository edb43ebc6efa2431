"""Playbook loading: the fixed format, merging a user's file over the default, and clear errors."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from callassist import locations
from callassist import playbook as pb
from callassist.playbook import PlaybookError

GOOD = """\
title = "测试手册"
language = "xx-TEST"

[[stage]]
id = "open"
title = "开场"
points = ["我每月能还 {monthly} 元"]

[[intent]]
id = "why-overdue"
title = "问逾期原因"
examples = ["你为什么逾期", "怎么没按时还款"]
answer = "因为{hardship}，我想申请分 {periods} 期。"

[[intent]]
id = "threat-family"
title = "威胁联系家人"
examples = ["我们要打给你家里人"]
answer = "请不要联系我的家人。"
alert = "联系无关第三人"
rule = "个人信息保护法第10条"
"""


def write(tmp_path: Path, text: str, name: str = "book.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_loads_fixed_keys(tmp_path):
    book = pb.load(write(tmp_path, GOOD))
    assert book.title == "测试手册" and book.language == "xx-TEST"
    assert [s.id for s in book.stages] == ["open"]
    assert [i.id for i in book.intents] == ["why-overdue", "threat-family"]
    fam = book.intent("threat-family")
    assert fam.is_alert and fam.rule == "个人信息保护法第10条"
    assert not book.intent("why-overdue").is_alert
    assert len(book.sha256) == 64


@pytest.mark.parametrize(
    ("mutate", "line", "fragment"),
    [
        (lambda s: s.replace('title = "测试手册"', 'title = "测试手册'), 1, "bad TOML"),
        (lambda s: s.replace('id = "threat-family"', 'id = "why-overdue"'), 16, "duplicate intent id 'why-overdue'"),
        (lambda s: s.replace('answer = "请不要联系我的家人。"\n', ""), 15, "has no answer"),
        (lambda s: s.replace('examples = ["我们要打给你家里人"]', "examples = []"), 18, "empty examples"),
        (lambda s: s.replace("{periods}", "{months}"), 13, "intent 'why-overdue': unknown placeholder {months}"),
        (lambda s: s.replace("{monthly}", "{nope}"), 7, "stage 'open': unknown placeholder {nope}"),
        (lambda s: s.replace('title = "测试手册"\n', ""), 1, "missing required key 'title'"),
    ],
)
def test_malformed_playbooks_name_file_line_and_problem(tmp_path, mutate, line, fragment):
    path = write(tmp_path, mutate(GOOD))
    with pytest.raises(PlaybookError) as ei:
        pb.load(path)
    msg = str(ei.value)
    assert msg.startswith(f"{path}:{line}: "), msg
    assert fragment in msg
    # The same problem in Chinese for a Chinese screen: file and line first, then a Chinese sentence.
    zh = ei.value.message(chinese=True)
    assert zh.startswith(f"{path}:{line}：") and re.search("[\u4e00-\u9fff]", zh.removeprefix(str(path))), zh


def test_bad_playbook_on_the_command_line_is_one_line_exit_2(tmp_path):
    path = write(tmp_path, GOOD.replace("{periods}", "{months}"))
    r = subprocess.run(
        [sys.executable, "-m", "callassist", "match", "--playbook", str(path), "--no-meaning", "你好"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2
    assert r.stderr.startswith(f"callassist: {path}:13: intent 'why-overdue': unknown placeholder {{months}}")
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_missing_playbook_file(tmp_path):
    with pytest.raises(PlaybookError, match="file not found"):
        pb.load(tmp_path / "nope.toml")


def test_user_file_overrides_and_extends_by_intent_id(tmp_path, monkeypatch):
    folder = tmp_path / "bundled"
    folder.mkdir()
    write(folder, GOOD, "xx-TEST.toml")
    monkeypatch.setattr(locations, "bundled_playbooks_dir", lambda: folder)
    user = write(
        tmp_path,
        """\
        language = "xx-TEST"
        [[intent]]
        id = "why-overdue"
        answer = "我自己的回答"
        [[intent]]
        id = "new-one"
        title = "新的"
        examples = ["一个新说法"]
        answer = "新的回答"
        """,
        "mine.toml",
    )
    book = pb.load(user)
    ids = [i.id for i in book.intents]
    assert ids == ["why-overdue", "threat-family", "new-one"]
    why = book.intent("why-overdue")
    assert why.answer == "我自己的回答" and why.examples == ("你为什么逾期", "怎么没按时还款")
    # The config-dir file applies to the default playbook too.
    cfg = locations.user_playbook_path("xx-TEST")
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text('[[intent]]\nid = "threat-family"\nanswer = "配置里的回答"\n', encoding="utf-8")
    assert pb.load(language="xx-TEST").intent("threat-family").answer == "配置里的回答"


def test_standalone_file_does_not_merge(tmp_path, monkeypatch):
    folder = tmp_path / "bundled"
    folder.mkdir()
    write(folder, GOOD, "xx-TEST.toml")
    monkeypatch.setattr(locations, "bundled_playbooks_dir", lambda: folder)
    alone = write(
        tmp_path,
        GOOD.replace('language = "xx-TEST"', 'language = "xx-TEST"\nextends = false').replace("threat-family", "other"),
        "alone.toml",
    )
    assert [i.id for i in pb.load(alone).intents] == ["why-overdue", "other"]


def test_fill_leaves_missing_placeholders_visible():
    assert pb.fill("每月 {monthly} 元，共 {periods} 期", {"monthly": "998.48"}) == "每月 998.48 元，共 {periods} 期"


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda s: s.replace('language = "xx-TEST"', "language = 5"), "'language' must be a non-empty string"),
        (lambda s: 'chatter = "喂你好"\n' + s, "[chatter] must be a table"),
        (lambda s: "intent = [1, 2]\n" + s.replace("[[intent]]", "[[other]]"), "[[intent]]"),
        (lambda s: 'stage = ["开场"]\n' + s.replace("[[stage]]", "[[other]]"), "[[stage]]"),
        (lambda s: 'extends = "no"\n' + s, "'extends' must be true or false"),
        (lambda s: s.replace("{hardship}", "{hardship!r}"), "{hardship!r}"),
        (lambda s: s.replace("{hardship}", "{hardship:>10}"), "{hardship:>10}"),
    ],
)
def test_wrong_types_are_reported_not_raised(tmp_path, mutate, fragment):
    """Values of the wrong type (a number for the language, a string for [chatter], a list of non-tables for
    [[intent]]) raised AttributeError; extends = "no" was read as true; {hardship!r} put quotes in the answer."""
    path = write(tmp_path, mutate(GOOD))
    with pytest.raises(PlaybookError) as ei:
        pb.load(path)
    assert str(ei.value).startswith(f"{path}:") and fragment in str(ei.value), str(ei.value)
    zh = ei.value.message(chinese=True)
    assert zh.startswith(f"{path}:") and re.search("[\u4e00-\u9fff]", zh.removeprefix(str(path))), zh


def test_unknown_bundled_language_names_the_option_not_a_missing_file():
    with pytest.raises(PlaybookError) as ei:
        pb.load(language="fr")
    msg, zh = ei.value.message(), ei.value.message(chinese=True)
    assert "fr.toml" not in msg and "'fr'" in msg and "zh-CN" in msg and "en-US" in msg, msg
    assert "fr" in zh and "内置" in zh, zh
    with pytest.raises(PlaybookError) as ei:  # the language came from a file: the file is named instead
        pb.load(language="fr", origin="scenarios/mine.toml")
    assert ei.value.message().startswith("scenarios/mine.toml: no bundled playbook for language 'fr'")

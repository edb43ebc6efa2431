"""`callassist match`: the human form and the fixed JSON-lines form."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CMD = [sys.executable, "-m", "callassist", "match"]


def test_jsonl_answers_each_line_before_the_next_arrives():
    """Flushes per line: a caller can write one utterance and read its answer at once."""
    p = subprocess.Popen(
        [*CMD, "--jsonl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        answers = []
        for line in ("再不还钱我们就打电话给你爸妈", "喂你好", "你把钱转到我个人支付宝上"):
            p.stdin.write(line + "\n")
            p.stdin.flush()
            answers.append(json.loads(p.stdout.readline()))
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert p.returncode == 0, p.stderr.read()
    first, hello, private = answers
    assert set(first) == {"text", "intent", "score", "candidates"}
    assert first["text"] == "再不还钱我们就打电话给你爸妈"
    assert first["intent"] == "threat-family"
    assert hello["intent"] is None
    assert private["intent"] == "private-account"
    for a in answers:
        assert isinstance(a["score"], float)
        assert 1 <= len(a["candidates"]) <= 3
        scores = [c["score"] for c in a["candidates"]]
        assert scores == sorted(scores, reverse=True)
        assert set(a["candidates"][0]) == {"intent", "score"}


def test_jsonl_keeps_order_and_blank_lines():
    lines = ["你什么时候能还款", "", "我们会起诉你", "请稍等"]
    r = subprocess.run([*CMD, "--jsonl"], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["text"] for o in out] == lines
    assert out[1]["intent"] is None and out[3]["intent"] is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [("嗯好的", None), ("你为什么一直拖着不还", "why-overdue")],
)
def test_human_output_names_decision_and_reason(text, intent):
    r = subprocess.run([*CMD, text], capture_output=True, text=True, check=True)
    if intent is None:
        assert r.stdout.startswith("无建议")
    else:
        assert intent in r.stdout
        assert "依据" in r.stdout and "建议回答" in r.stdout


def test_english_playbook_by_language():
    r = subprocess.run([*CMD, "--lang", "en-US", "we will garnish your wages"], capture_output=True, text=True)
    assert r.returncode == 0 and "threat-garnish" in r.stdout and "alert" in r.stdout


def test_match_without_text_is_a_clear_error():
    r = subprocess.run(CMD, capture_output=True, text=True)
    assert r.returncode == 2 and "give the text" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [[""], ["，。"], ["--jsonl"]])
def test_exits_cleanly_while_the_encoder_still_loads(args):
    # Nothing to match ends the process at once, while the encoder is still loading in its thread: the
    # process must still exit 0 (a native library interrupted mid-call used to abort it with 134).
    for _ in range(3):
        r = subprocess.run([*CMD, *args], input="", capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert "terminate" not in r.stderr


def test_no_suggestion_says_why_in_the_playbooks_language():
    zh = subprocess.run([*CMD, "嗯"], capture_output=True, text=True, check=True).stdout
    assert "无建议" in zh and "没有可以匹配的文字" in zh and "nothing to match" not in zh
    en = subprocess.run([*CMD, "--lang", "en-US", "uh huh"], capture_output=True, text=True, check=True).stdout
    assert "no suggestion" in en and "small talk" in en


def test_invalid_utf8_is_replaced_not_a_traceback():
    raw = subprocess.run([*CMD, "--jsonl"], input=b"a\n\xff\xfe\xe5\x9d\x8f\nb\n", capture_output=True, check=True)
    rows = [json.loads(line) for line in raw.stdout.decode("utf-8").splitlines()]
    assert [r["text"] for r in rows] == ["a", "\ufffd\ufffd坏", "b"]  # every line answered, in order
    one = subprocess.run([*CMD, b"\xff\xe5\x9d\x8f".decode("utf-8", "surrogateescape")], capture_output=True)
    assert one.returncode == 0 and b"Traceback" not in one.stderr


def test_every_alert_of_a_line_is_shown():
    out = subprocess.run(
        [*CMD, "今天不还钱，我们就上门找你，还要通知你全部通讯录联系人和你单位"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "警示" in out.stdout and "另有警示" in out.stdout


def test_square_brackets_in_a_playbook_are_printed_as_written(tmp_path):
    """A user's answer with [brackets] lost them (read as rich markup), and "[/x]" crashed the command."""
    book = tmp_path / "mine.toml"
    book.write_text(
        'title = "mine"\nlanguage = "zh-CN"\n'
        '[[intent]]\nid = "threat-family"\ntitle = "家人"\nexamples = ["再不还钱就打给你爸妈"]\n'
        'answer = "请别联系我家人 [see here] 按合同[/x]第5条处理"\n',
        encoding="utf-8",
    )
    r = subprocess.run([*CMD, "--playbook", str(book), "再不还钱我们就打电话给你爸妈"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "[see here]" in r.stdout and "[/x]" in r.stdout


def test_a_long_chinese_answer_wraps_at_characters_not_after_its_label():
    """Rich moved a whole Chinese answer (no spaces) under its label, leaving '建议回答:' alone on a line."""
    import os

    env = {**os.environ, "COLUMNS": "60", "LANG": "zh_CN.UTF-8"}
    r = subprocess.run([*CMD, "你再不还钱我们就去你单位找你领导"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    label = next(line for line in lines if "建议回答" in line)
    assert len(label.split("建议回答", 1)[1].strip(" :：")) > 5  # the answer starts on the label's line
    from rich.cells import cell_len

    assert all(cell_len(line) <= 60 for line in lines)


def test_the_chinese_output_is_all_chinese_as_on_the_calls_card():
    """The card in the app names the levels 字面 / 拼音 / 语义 with Chinese punctuation; the same match printed by
    `callassist match` said 'score', '(chars 0.35 · pinyin 0.45 · meaning 0.62)' and '建议回答:'."""
    r = subprocess.run([*CMD, "你再不还钱我们就去你单位找你领导"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for english in ("score", "chars", "pinyin", "meaning", "依据:", "建议回答:", "警示:"):
        assert english not in out
    assert "匹配度" in out and "字面" in out and "语义" in out and "建议回答：" in out
    r = subprocess.run([*CMD, "--lang", "en-US", "we will call your employer"], capture_output=True, text=True)
    assert r.returncode == 0 and "(score " in r.stdout and "answer: " in r.stdout  # English unchanged


def test_prepare_builds_what_the_first_match_would_build(tmp_path):
    """`callassist prepare` (make runs it after installing) leaves nothing for the first `match` to build."""
    import os
    import shutil

    env = {**os.environ, "CALLASSIST_CACHE_DIR": str(tmp_path / "cache"), "CALLASSIST_CONFIG_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "callassist", "prepare"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    cache = tmp_path / "cache"
    assert r.stdout.startswith("caches ready (") and str(cache) in r.stdout
    (folder,) = (cache / "usem3").iterdir()
    assert (folder / "meta.json").exists()
    if shutil.disk_usage(cache).free > (1 << 30) + 300_000_000:
        assert (folder / "rows-v1.npy").exists() and "not built" not in r.stdout
    made = {p: p.stat().st_mtime_ns for d in ("embeddings", "scorers") for p in (cache / d).iterdir()}
    assert len(made) >= 4  # both bundled playbooks: their vectors and their fitted scorers
    for lang in ("zh-CN", "en-US"):
        m = subprocess.run([*CMD, "--lang", lang, "你好"], capture_output=True, text=True, env=env)
        assert m.returncode == 0, m.stderr
    after = {p: p.stat().st_mtime_ns for d in ("embeddings", "scorers") for p in (cache / d).iterdir()}
    assert after == made  # nothing new was computed

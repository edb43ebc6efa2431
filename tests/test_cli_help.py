"""Command-line help: Chinese when the locale is Chinese, the English texts unchanged otherwise."""

from __future__ import annotations

import argparse
import re

import pytest
from rich.cells import cell_len

from callassist import help_zh
from callassist.cli import build_parser, main
from tests.locale_support import set_locale


def _help(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def test_chinese_locale_gives_chinese_help(monkeypatch, capsys):
    set_locale(monkeypatch, "zh_CN.UTF-8")
    top = _help(capsys)
    assert top.startswith("用法：callassist [-h] [--version] COMMAND ...")
    assert "协商还款通话助手" in top
    assert "选项：" in top and "参数：" in top
    assert "match     识别对方说的话，给出准备好的回答" in top
    assert "显示帮助并退出" in top and "显示版本号并退出" in top
    assert "options:" not in top and "usage:" not in top

    match = _help(capsys, "match")
    assert match.startswith("用法：callassist match [-h] [--playbook PATH] [--lang LANG] [--jsonl]")
    for option, text in [
        ("text", "对方说的话"),
        ("--playbook PATH", "话术文件，TOML 格式（默认：内置的 zh-CN）"),
        ("--lang LANG", "不给 --playbook 时用哪种语言的内置话术（zh-CN、en-US）"),
        ("--jsonl", "从标准输入逐行读对方的话，每行输出一条 JSON"),
        ("--no-meaning", "不用语义模型，只按字词匹配"),
    ]:
        assert re.search(rf"^  {re.escape(option)} +{re.escape(text)}$", match, re.MULTILINE), option
    assert "the agent's words" not in match


def test_english_locale_keeps_the_english_help(monkeypatch, capsys):
    set_locale(monkeypatch, "C.UTF-8")
    top = _help(capsys)
    assert top.startswith("usage: callassist [-h] [--version] COMMAND ...")
    assert "Talking points, prepared answers, alerts and a tamper-evident record for repayment calls." in top
    assert "match     match what the agent said to a prepared answer" in top
    assert "options:" in top and "positional arguments:" in top
    assert "show this help message and exit" in top

    match = _help(capsys, "match")
    assert match.startswith("usage: callassist match [-h] [--playbook PATH] [--lang LANG] [--jsonl]")
    assert "  --playbook PATH  playbook TOML (default: bundled zh-CN)\n" in match
    assert "  --jsonl          read one utterance per line on stdin, write JSON lines\n" in match
    assert "  text             the agent's words\n" in match
    assert re.search(r"[\u4e00-\u9fff]", top + match) is None


def test_every_help_text_has_chinese(monkeypatch):
    """A new option or command whose help has no entry in help_zh.HELP_ZH fails here, named."""
    set_locale(monkeypatch, "C.UTF-8")
    missing = [
        f"{where}: {getattr(obj, attr)!r}"
        for where, obj, attr in help_zh.help_slots(build_parser())
        if isinstance(getattr(obj, attr), str)
        and getattr(obj, attr) != argparse.SUPPRESS
        and getattr(obj, attr) not in help_zh.HELP_ZH
    ]
    assert missing == [], "no Chinese in callassist/help_zh.py for:\n" + "\n".join(missing)


def test_no_unused_chinese_entries(monkeypatch):
    set_locale(monkeypatch, "C.UTF-8")
    used = {getattr(obj, attr) for _where, obj, attr in help_zh.help_slots(build_parser())}
    assert sorted(set(help_zh.HELP_ZH) - used) == []


def test_chinese_help_of_every_command_formats(monkeypatch):
    """Every parser's help renders in Chinese (so `%` in the Chinese is well formed) and no English text is left."""
    set_locale(monkeypatch, "zh_CN.UTF-8")
    for p in help_zh.parsers(build_parser()):
        text = p.format_help()
        assert text.startswith("用法：")
        left = [en for en in help_zh.HELP_ZH if " ".join(en.split()) in " ".join(text.split())]
        assert left == [], (p.prog, left)


def test_chinese_plan_help_shows_the_default_cap(monkeypatch, capsys):
    set_locale(monkeypatch, "zh_CN.UTF-8")
    out = _help(capsys, "plan")
    assert re.search(r"^  --cap CAP +收入中用来还这笔债的比例（默认 0\.3）$", out, re.MULTILINE), out
    assert re.search(r"^  --lang \{zh,en\} +输出语言（默认：zh；英文区域设置下为 en）$", out, re.MULTILINE), out


def test_chinese_help_wraps_by_display_width(monkeypatch, capsys):
    set_locale(monkeypatch, "zh_CN.UTF-8", columns=60)
    out = _help(capsys, "export")
    lines = out.splitlines()
    body = lines[lines.index("") :]  # the usage may overflow in English too: an option group is never split
    assert max(cell_len(line) for line in body) <= 58
    assert "记录没通过检查也照样导出" in out
    # wrapped usage lines line up under the first option, as in English
    assert lines[0].startswith("用法：callassist export [-h]")
    assert cell_len(lines[1]) - len(lines[1].lstrip()) == cell_len("用法：callassist export ")


@pytest.mark.parametrize(
    ("env", "zh"),
    [
        ({"LANG": "zh_CN.UTF-8"}, True),
        ({"LANG": "zh_TW.UTF-8"}, True),
        ({"LANG": "C.UTF-8"}, False),
        ({"LANG": "en_US.UTF-8"}, False),
        ({}, False),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, False),
        ({"LC_ALL": "", "LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, True),
        ({"LC_ALL": "", "LANG": "zh_CN.UTF-8"}, True),
        ({"LANGUAGE": "zh_CN:en", "LANG": "C.UTF-8"}, True),
        ({"LANGUAGE": "en:zh_CN", "LANG": "C.UTF-8"}, False),
    ],
)
def test_prefers_chinese(env, zh):
    assert help_zh.prefers_chinese(env) is zh


@pytest.mark.parametrize(
    ("lang", "argv", "line"),
    [
        ("zh_CN.UTF-8", ["plan", "--debt", "x"], "callassist plan: 错误：--debt：'x' 不是数字"),
        (
            "zh_CN.UTF-8",
            ["plan", "--debt", "2万", "--apr", "18", "--periods", "2.5"],
            "callassist plan: 错误：--debt：'2万' 不是数字",
        ),
        (
            "zh_CN.UTF-8",
            ["plan", "--debt", "1", "--apr", "18", "--periods", "2.5"],
            "callassist plan: 错误：--periods：'2.5' 不是整数",
        ),
        ("C.UTF-8", ["plan", "--debt", "x"], "callassist plan: error: argument --debt: invalid float value: 'x'"),
        ("zh_CN.UTF-8", ["nosuch"], "callassist: 错误：没有 'nosuch' 这个命令（可选："),
        (
            "zh_CN.UTF-8",
            ["import", "x", "--direction", "in"],
            "callassist import: 错误：--direction：不能是 'in'（可选：'outgoing', 'incoming', 'unknown'）",
        ),
        ("zh_CN.UTF-8", ["import"], "callassist import: 错误：缺少必需的参数：LOGFILE"),
        ("zh_CN.UTF-8", ["plan", "--debt"], "callassist plan: 错误：--debt 后面要跟一个值"),
        ("zh_CN.UTF-8", ["list", "--bogus", "1"], "callassist: 错误：无法识别的参数：--bogus 1"),
    ],
)
def test_argparse_error_line_follows_theset_locale(monkeypatch, capsys, lang, argv, line):
    """argparse's own error: in Chinese under a Chinese locale (its English detail was left as it was: "invalid
    float value: '2万'"), the usage above it, exit status 2; English unchanged otherwise."""
    set_locale(monkeypatch, lang)
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：" if lang.startswith("zh") else "usage:"), err
    assert err.splitlines()[-1].startswith(line), err


def test_describe_gives_a_callassist_error_in_the_ui_language_and_others_with_their_type():
    from callassist.errors import CallassistError, describe

    err = CallassistError("x.toml: bad TOML", zh="x.toml：TOML 格式有误")
    assert describe(err, chinese=True) == "x.toml：TOML 格式有误" and describe(err) == "x.toml: bad TOML"
    assert describe(ValueError("boom"), chinese=True) == "ValueError: boom"


def test_the_apps_options_work_without_its_name(capsys):
    """`callassist --lang en` said "invalid choice: 'en'": the app is the default command, its options were not."""
    from callassist.cli import main

    with pytest.raises(SystemExit) as e:
        main(["--lang", "en", "--help"])
    assert e.value.code == 0 and "--transcripts" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["--lang", "fr"])
    assert e.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err


def test_plan_figures_follow_an_english_locale(monkeypatch, capsys):
    from callassist.cli import main

    set_locale(monkeypatch, "en_US.UTF-8")
    assert main(["plan", "--debt", "20000", "--apr", "18", "--periods", "24"]) == 0
    assert "equal installments, monthly" in capsys.readouterr().out
    set_locale(monkeypatch, "C.UTF-8")
    assert main(["plan", "--debt", "20000", "--apr", "18", "--periods", "24"]) == 0
    assert "等额本息 每期" in capsys.readouterr().out

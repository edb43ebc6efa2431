"""Chinese command-line help: whether the locale asks for Chinese, the Chinese of every English help text, a
help formatter with Chinese headings that wraps by display width, and a parser whose error line is Chinese.

The English texts stay in the code where the options are defined; `translate` swaps them for the Chinese below
after the parser is built. A help text missing here stays English (tests/test_cli_help.py fails on it).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Mapping
from itertools import pairwise
from typing import Any


def prefers_chinese(environ: Mapping[str, str] | None = None) -> bool:
    """True when the first of LC_ALL, LC_MESSAGES, LANG that is set and non-empty starts with "zh", or when the
    first entry of LANGUAGE does."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            if value.lower().startswith("zh"):
                return True
            break
    return env.get("LANGUAGE", "").split(":")[0].lower().startswith("zh")


def locale_language(environ: Mapping[str, str] | None = None) -> str:
    """'en' for an English locale (the first of LC_ALL, LC_MESSAGES, LANG that is set, else LANGUAGE's first entry),
    'zh' otherwise, C and none included: the language of the app and of plan's figures when not given."""
    env = os.environ if environ is None else environ
    value = next((env[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(v)), None)
    if value is None:
        value = env.get("LANGUAGE", "").split(":")[0]
    return "en" if value.lower().startswith("en") else "zh"


# English help text (exactly as in the code) → Chinese. `%(default)s` is filled in by argparse; a literal percent
# sign would have to be written `%%`.
HELP_ZH: dict[str, str] = {
    # argparse's own
    "show this help message and exit": "显示帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    # cli.py
    "Talking points, prepared answers, alerts and a tamper-evident record for repayment calls.": (
        "协商还款通话助手：谈话要点、准备好的回答、风险提醒，以及防篡改的通话记录。"
    ),
    "match what the agent said to a prepared answer": "识别对方说的话，给出准备好的回答",
    "the agent's words": "对方说的话",
    "playbook TOML (default: bundled zh-CN)": "话术文件，TOML 格式（默认：内置的 zh-CN）",
    "bundled playbook language when no --playbook (zh-CN, en-US)": "不给 --playbook 时用哪种语言的内置话术（zh-CN、en-US）",
    "read one utterance per line on stdin, write JSON lines": "从标准输入逐行读对方的话，每行输出一条 JSON",
    "skip the sentence encoder (lexical levels only)": "不用语义模型，只按字词匹配",
    "repayment figures for a debt, a rate and a number of periods": "按欠款、利率和期数算出还款数字",
    "amount owed": "欠款金额",
    "annual rate in percent (0 = interest stopped)": "年利率，单位为 %%（0 表示已停息）",
    "number of monthly periods": "分几个月还（期数）",
    "net monthly income": "每月到手收入",
    "share of income for this debt (default 0.3)": "收入中用来还这笔债的比例（默认 %(default)s）",
    "output language (default: en for an English locale, else zh)": "输出语言（默认：zh；英文区域设置下为 en）",
    "show or edit your numbers (they fill the playbook's placeholders)": "查看或修改你的个人数字（用来填进话术的空位）",
    "set a value (repeatable)": "设置一项（可多次使用）",
    "clear a value (repeatable)": "清除一项（可多次使用）",
    "open the profile in $EDITOR": "用 $EDITOR 打开个人资料",
    "a short tour of the playbook, the matcher and the planner": "简短演示：话术、回答匹配和还款计划",
    "build the caches a first start would build (make runs it once)": "预先建立首次启动要建的缓存（make 会运行一次）",
    # record/commands.py
    "records folder (default: $CALLASSIST_TRANSCRIPTS, then 'transcripts' in config.toml, then ./transcripts)": (
        "通话记录所在的文件夹（默认依次找：$CALLASSIST_TRANSCRIPTS、config.toml 里的 transcripts、./transcripts）"
    ),
    "check a record's hash chain, closing line and audio digest (exit 1 if not)": (
        "检查通话记录有没有被改动：哈希链、结尾行和录音摘要（不通过时退出码为 1）"
    ),
    "record folder (or its journal.jsonl)": "通话记录文件夹（或其中的 journal.jsonl）",
    "turn a written log ('agent: ...' / 'me: ...') into a record": "把手写的通话笔记（'agent: ...' / 'me: ...'）变成通话记录",
    "text file: lines like '[14:03:12] agent: ...' or 'me: ...'": "文本文件，每行形如 '[14:03:12] agent: ...' 或 'me: ...'",
    "the lender or platform": "贷款机构或平台",
    "the agent's name": "对方（客服或催收员）的名字",
    "when the call started, e.g. 2026-11-20T14:03": "通话开始的时间，例如 2026-11-20T14:03",
    "who placed the call: incoming (they called you), outgoing (you called them) or unknown (the default)": (
        "谁打的电话：incoming（对方打来）、outgoing（你打过去）或 unknown（不清楚，默认）"
    ),
    "a record for people (md, html, json, txt) or a mediation / complaint pack": (
        "导出通话记录（md、html、json、txt），或生成调解／投诉材料包"
    ),
    "record folder(s); several for a mediation pack": "通话记录文件夹；生成调解材料包时可以给多个",
    "output format (default md); mediation writes HTML when -o ends in .html": (
        "输出格式（默认 %(default)s）；mediation 在 -o 以 .html 结尾时输出 HTML"
    ),
    "mask ID, bank card and phone numbers and e-mails (in the export only)": (
        "遮住身份证号、银行卡号、手机号和邮箱（只影响导出的内容）"
    ),
    "language of the export (default: the playbook's)": "导出内容的语言（默认与话术相同）",
    "export a record that fails verification anyway: the failure is stamped at the top and the lines "
    "that do not verify are listed apart (the record itself is not changed)": (
        "记录没通过检查也照样导出：开头注明检查失败，没通过的行单独列出（记录本身不会被改动）"
    ),
    "write to FILE instead of standard output": "写入 FILE，而不是输出到屏幕",
    "the saved calls: date, lender, duration, events, alerts, status": "列出保存的通话：日期、机构、时长、事件、提醒、状态",
    "find lines in all records (Chinese substrings included)": "在所有通话记录里查找内容（可以搜中文片段）",
    "show at most N lines (default 200; 0 shows all)": "最多显示 N 条（默认 200；0 表示全部）",
    "what to look for: the words as one phrase; spaces in Chinese ignored": "要查找的内容：几个词按一个短语查找，中文里的空格不计",
    # audio/commands.py
    "list sound input devices with their channels and rates": "列出录音设备，以及它们的声道数和采样率",
    "speech models: list the known ones, download one, check a folder": "语音识别模型：列出、下载、检查",
    "known and installed models": "已知的和已安装的模型",
    "download and unpack a model (the one network use of callassist)": "下载并解压一个模型（callassist 只有这里会联网）",
    "a model name from `callassist models list`": "模型名称，见 `callassist models list`",
    "unpack into DIR (default ./models if it exists, else the data dir)": (
        "解压到 DIR（默认：有 ./models 就用它，否则用数据目录）"
    ),
    "download from this address instead (a mirror)": "改从这个地址下载（镜像）",
    "the expected SHA-256 of the zip, if you have it": "zip 文件应有的 SHA-256（如果你知道）",
    "check that a folder is a usable model (and load it)": "检查一个文件夹是不是可用的模型（并试着加载）",
    "a model folder": "模型文件夹",
    "only check the files, do not load the model": "只检查文件，不加载模型",
    "turn a call recording (WAV) into a matched, hash-chained record": (
        "把通话录音（WAV）转成文字、匹配回答，生成带哈希链的通话记录"
    ),
    "the recording (PCM WAV, any rate from 8 kHz, mono or stereo)": "录音文件（PCM WAV，采样率 8 kHz 以上，单声道或立体声）",
    "in a stereo file, the agent's channel: 1 (left) or 2 (right); the other one is you": (
        "立体声录音里对方的声道：1（左）或 2（右）；另一个声道是你"
    ),
    "Vosk model folder or name (default: search ./models etc.)": "Vosk 模型文件夹或名称（默认在 ./models 等位置查找）",
    "playbook TOML (default: bundled for --lang)": "话术文件，TOML 格式（默认：--lang 对应的内置话术）",
    "playbook language when no --playbook (zh-CN, en-US)": "不给 --playbook 时的话术语言（zh-CN、en-US）",
    "where records are written (default ./transcripts)": "通话记录保存在哪里（默认 ./transcripts）",
    "the lender or platform, for the record": "贷款机构或平台，会写进记录",
    "when the call began, ISO 8601 (default: file time − length)": (
        "通话开始的时间，ISO 8601 格式（默认：文件时间减去录音时长）"
    ),
    "recognise only the playbook's phrases (small models)": "只识别话术里的说法（适合小模型）",
    "no progress bar": "不显示进度条",
    "test your audio wiring: print what the recognizer hears (no record)": "测试音频接线：显示识别出的话（不保存记录）",
    "your microphone (number or part of the name)": "你的麦克风（编号或名称的一部分）",
    "a second input carrying the agent's voice": "第二个输入设备，传来对方的声音",
    "Vosk model folder or name": "Vosk 模型文件夹或名称",
    "language of the model to look for (zh, en)": "要找哪种语言的模型（zh、en）",
    "stop after this many seconds (default: Ctrl-C)": "听多少秒后停止（默认一直听，按 Ctrl-C 停止）",
    # tui/commands.py
    "the terminal app: live or typed calls, rehearsal, review (the default)": (
        "终端应用：实时或打字通话、演练、回顾（不带命令时默认打开它）"
    ),
    "UI language and bundled playbook (default: en for an English locale, else zh)": (
        "界面和内置话术的语言（默认：zh；英文区域设置下为 en）"
    ),
    "playbook TOML (its language sets the UI unless --lang)": "话术文件，TOML 格式（不给 --lang 时界面语言跟随话术）",
    "where records are written and read": "通话记录保存和读取的位置",
    "Vosk model folder for live speech": "实时语音识别用的 Vosk 模型文件夹",
    "typed mode: no model or microphone": "打字模式：不需要模型和麦克风",
    "start with the light theme": "用浅色主题打开",
    # rehearse_cli.py
    "practise a call with a simulated agent in the plain terminal (replies from stdin)": (
        "在普通终端里和模拟的对方练习通话（用键盘输入回答）"
    ),
    "Practice a call: the simulated agent speaks, you type a reply (one line), the coach gives "
    "feedback; at the end a score, saved as a record marked rehearsal. Type /hint to see the prepared "
    "answer, /quit to stop.": (
        "练习通话：模拟的对方先说，你输入一行回答，教练给出点评；结束时打分，并保存为标记为演练的记录。"
        "输入 /hint 查看准备好的回答，输入 /quit 结束。"
    ),
    "scenario to play (see --list)": "要练习的场景（见 --list）",
    "list the scenarios and exit": "列出所有场景后退出",
    "playbook TOML (default: the bundled one of the scenario's language)": (
        "话术文件，TOML 格式（默认：和场景同一语言的内置话术）"
    ),
    "only scenarios of this language (zh, en) for --list or the menu": "--list 和菜单里只显示这种语言的场景（zh、en）",
    "speak the agent's lines with espeak-ng when it is installed": "装了 espeak-ng 时，把对方的话读出来",
    "where the rehearsal record is saved": "演练记录保存在哪里",
    "do not save a record": "不保存记录",
}

# argparse's section titles → Chinese (the formatter writes the full-width colon).
_HEADINGS = {"positional arguments": "参数", "options": "选项"}
_HEADING_LINE = re.compile(r"^( *)(参数|选项):$", re.MULTILINE)
# A placeholder prefix as wide on screen as "用法：", so argparse indents wrapped usage lines correctly.
_USAGE_PLACEHOLDER, _USAGE_ZH = "usage:", "用法："


class ChineseHelpFormatter(argparse.HelpFormatter):
    """argparse's formatter with Chinese section titles and "用法：", wrapping text by terminal cells (a Chinese
    character takes two) and breaking lines the way Chinese text allows."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, _USAGE_PLACEHOLDER if prefix is None else prefix)

    def start_section(self, heading) -> None:
        super().start_section(_HEADINGS.get(heading, heading))

    def format_help(self) -> str:
        text = super().format_help()
        if text.startswith(_USAGE_PLACEHOLDER):
            text = _USAGE_ZH + text[len(_USAGE_PLACEHOLDER) :]
        return _HEADING_LINE.sub(r"\1\2：", text)

    def _split_lines(self, text: str, width: int) -> list[str]:
        from callassist.linebreak import break_offsets

        text = self._whitespace_matcher.sub(" ", text).strip()
        cuts = [0, *break_offsets(text, width), len(text)]
        return [text[a:b].strip() for a, b in pairwise(cuts) if text[a:b].strip()]

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in self._split_lines(text, width - len(indent)))


# argparse's error details (Python 3.11–3.13) → Chinese; one it does not know stays as argparse says it.
_ERRORS_ZH: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^argument COMMAND: invalid choice: (?P<v>'.*?') \(choose from (?P<c>.*)\)$"),
        r"没有 \g<v> 这个命令（可选：\g<c>）",
    ),
    (re.compile(r"^argument (?P<a>\S+): invalid float value: (?P<v>.*)$"), r"\g<a>：\g<v> 不是数字"),
    (re.compile(r"^argument (?P<a>\S+): invalid int value: (?P<v>.*)$"), r"\g<a>：\g<v> 不是整数"),
    (
        re.compile(r"^argument (?P<a>\S+): invalid choice: (?P<v>'.*?') \(choose from (?P<c>.*)\)$"),
        r"\g<a>：不能是 \g<v>（可选：\g<c>）",
    ),
    (re.compile(r"^argument (?P<a>\S+): expected one argument$"), r"\g<a> 后面要跟一个值"),
    (re.compile(r"^argument (?P<a>\S+): expected at least one argument$"), r"\g<a> 后面至少要跟一个值"),
    (re.compile(r"^argument (?P<a>\S+): ignored explicit argument (?P<v>.*)$"), r"\g<a> 不带值，却给了 \g<v>"),
    (re.compile(r"^argument (?P<a>\S+): not allowed with argument (?P<b>.*)$"), r"\g<a> 不能和 \g<b> 一起用"),
    (re.compile(r"^the following arguments are required: (?P<a>.*)$"), r"缺少必需的参数：\g<a>"),
    (re.compile(r"^unrecognized arguments: (?P<a>.*)$"), r"无法识别的参数：\g<a>"),
    (re.compile(r"^ambiguous option: (?P<o>\S+) could match (?P<m>.*)$"), r"选项 \g<o> 不明确，可能是：\g<m>"),
]


def error_zh(message: str) -> str:
    """argparse's error detail in Chinese (as it is when not known)."""
    for pattern, zh in _ERRORS_ZH:
        if pattern.match(message):
            return pattern.sub(zh, message)
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    """The parser `callassist` builds under a Chinese locale: argparse's error line in Chinese, "callassist plan:
    错误：--debt：'2万' 不是数字" (error_zh); the usage above it and exit status 2 as argparse has them.
    Subcommand parsers are of the same class (add_subparsers uses the parent's class)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 错误：{error_zh(message)}\n")


def help_slots(parser: argparse.ArgumentParser, name: str | None = None) -> Iterator[tuple[str, Any, str]]:
    """Every place a help text lives under `parser`: (where, object, attribute). `where` names it for people,
    e.g. "callassist plan --cap" or "callassist models (description)"."""
    name = name or parser.prog
    yield f"{name} (description)", parser, "description"
    for action in parser._actions:
        label = "/".join(action.option_strings) or action.metavar or action.dest
        yield f"{name} {label}", action, "help"
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # the lines of the command list
                yield f"{name} {choice.dest} (in the command list)", choice, "help"
            seen: set[int] = set()
            for command, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    yield from help_slots(sub, f"{name} {command}")


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """`parser` and all its subcommand parsers (each has one description slot)."""
    return (obj for _where, obj, attr in help_slots(parser) if attr == "description")


def translate(parser: argparse.ArgumentParser) -> None:
    """Put the Chinese help texts and the Chinese formatter on `parser` and its subcommands (in place)."""
    for _where, obj, attr in help_slots(parser):
        text = getattr(obj, attr)
        if isinstance(text, str) and text in HELP_ZH:
            setattr(obj, attr, HELP_ZH[text])
    for p in parsers(parser):
        p.formatter_class = ChineseHelpFormatter

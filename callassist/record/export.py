"""Export records for people: Markdown, HTML (printable on A4), JSON or text, optionally redacted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from callassist.plan import money
from callassist.record.doc import Banner, Code, Doc, Entry, Fields, Heading, Para, render
from callassist.record.journal import iso, now
from callassist.record.redact import redact, redact_event, redact_header
from callassist.record.verify import BROKEN, INTERRUPTED, OPEN, VERIFIED, Record, Unverified, parse_time, unverified

FORMATS = ("md", "html", "json", "txt")

L = {
    "zh": {
        "record": "通话记录",
        "records": "通话记录（{n} 个）",
        "details": "通话信息",
        "highlights": "要点",
        "transcript": "通话内容",
        "verification": "完整性校验",
        "started": "开始时间",
        "duration": "时长",
        "direction": "方向",
        "outgoing": "我方拨出",
        "incoming": "对方来电",
        "unknown_direction": "未记录",
        "lender": "贷款机构 / 平台",
        "agent": "对方人员",
        "agent_id": "工号",
        "company": "所属公司",
        "numbers": "电话号码",
        "mode": "记录方式",
        "playbook": "话术手册",
        "app": "软件版本",
        "folder": "记录文件夹",
        "modes": {
            "live": "实时通话（语音识别）",
            "typed": "通话中手动输入",
            "rehearsal": "演练（非真实通话）",
            "import": "由文字记录导入",
            "transcribe": "由录音文件转写",
        },
        "me": "我",
        "agent_who": "对方",
        "unknown": "未知",
        "suggestion": "建议回答：{title}（匹配度 {score:.2f}）",
        "alert": "警示：{alert}",
        "rule": "依据：{rule}",
        "note": "备注：{text}",
        "bookmark": "书签{label}",
        "bookmark_ref": "指向：“{text}”",
        "agreed": "约定：{terms}",
        "stage": "进入阶段：{title}",
        "system": "系统：{kind}",
        "speaker": "更正：第 {ref} 条的说话人为“{who}”（原为“{was}”）",
        "audio": "开始录音：{file}（{n} 个声道：{channels}）",
        "close": "通话结束",
        # Why a call was closed, as stored in the closing line's `reason` (the stored word is not changed).
        "reasons": {
            "imported": "导入",
            "app closed": "程序关闭",
            "rehearsal ended": "演练结束",
            "interrupted by the user": "用户中止",
        },
        "reason_error": "出错：{what}",
        # System events' kinds and detail names as stored in the journal (the stored words are not changed);
        # one not in a table is shown as stored.
        "system_kinds": {
            "recognizer_started": "语音识别开始",
            "recognizer_stopped": "语音识别停止",
            "recognizer_failed": "语音识别出错",
            "listening_paused": "暂停收听",
            "listening_resumed": "恢复收听",
            "audio_overflow": "部分音频丢失",
            "device_lost": "音频设备断开",
            "speaker_toggled": "切换说话人",
            "rehearsal-start": "演练开始",
            "rehearsal-report": "演练评分",
        },
        "system_keys": {
            "source": "音源",
            "sources": "音源",
            "message": "说明",
            "reason": "原因",
            "model": "模型",
            "device": "设备",
            "grammar": "仅识别话术短语",
            "rtf": "实时率",
            "started": "开始时间",
            "transcribed": "转写时间",
            "speaker": "说话人",
            "overflows": "缓冲溢出次数",
            "dropped": "丢弃音频块数",
            "scenario": "场景",
            "title": "标题",
            "language": "语言",
            "score": "得分",
            "parts": "分项",
            "covered": "已覆盖",
            "missed": "遗漏",
            "pitfalls": "失误",
            "alerts": "警示",
            "calm": "冷静",
            "replies": "回复数",
            "finished": "已完成",
        },
        "system_values": {
            "end": "录音结束",
            "stopped": "已停止",
            "error": "出错",
            "failed": "失败",
            "agent": "对方",
            "me": "我",
            "True": "是",
            "False": "否",
        },
        "interrupted": "通话中断：没有正常结束（程序被终止、崩溃或断电），下次启动时如实标记",
        "torn": "（最后一行未写完，已如实记录其大小和摘要）",
        "alerts_none": "本次通话未出现警示。",
        "alerts_n": "警示 {n} 条",
        "agreed_none": "没有记录约定事项。",
        "amount": "金额 {v} 元",
        "periods": "分 {v} 期",
        "per_period": "每期 {v} 元",
        "first_due": "首期还款日 {v}",
        "waived": "减免：{v}",
        "words": "原话：{v}",
        "sep": "；",
        "status": "校验结果",
        "status_verified": "通过：哈希链完整，通话正常结束。",
        "status_interrupted": "通过：哈希链完整；通话中途中断，已如实标记。",
        "status_open": "未结束：哈希链完整，但没有结束行。",
        "status_broken": "未通过：{why}",
        "header_damaged": "记录头损坏：{why}",
        "final_digest": "最终摘要（SHA-256）",
        "journal_sha": "记录文件 journal.jsonl 的 SHA-256",
        "audio_sha": "录音文件 {file} 的 SHA-256",
        "audio_label": "录音文件",
        "audio_none": "无录音",
        "how": "如何核验：在保存原始记录的电脑上运行下面的命令；或用任何 SHA-256 工具计算文件摘要并与上面的值比对。",
        "derived": "说明：录音文件（如有）是原始证据；文字内容由录音经语音识别得到或由用户输入，仅供参考，不能替代录音。",
        "redacted": "本导出件已隐去身份证号、银行卡号、手机号和邮箱；隐去后的内容无法与上面的摘要比对，请以原始记录为准。",
        "lines_cut": "第 {line} 行及以后的内容因校验失败未列出。",
        "lines_apart": "第 {line} 行及以后的内容未通过校验，单独列在上面的“未经校验的内容”一节。",
        "integrity_title": "⚠ 完整性校验未通过",
        "integrity_title_n": "⚠ 完整性校验未通过（{n} 个记录）",
        "integrity_line": "{file}：{why}",
        "integrity_note": "校验失败之处及其后的内容无法证明未被改动。{rest}作为证据提交前，请先用 callassist verify "
        "检查原始记录，并如实说明校验失败的情况。",
        "integrity_shown": "这部分内容单独列在“未经校验的内容”一节，仅供查阅。",
        "integrity_hidden": "这部分内容没有列出。",
        "unverified": "未经校验的内容（第 {line} 行起）",
        "unverified_note": "以下各行未通过完整性校验，按文件中现在的样子列出：它们可能被修改、插入或损坏，"
        "不能证明是通话时写下的原样。",
        "unverified_header": "记录头（第 1 行，未经校验）",
        "line_n": "第 {n} 行",
        "not_a_line": "第 {n} 行：不是有效的记录行",
        "refused": "{file}：{why}。记录未通过校验，未导出；如仍要导出，请加 --allow-broken（导出件顶部会注明校验失败）",
        "exported": "导出时间",
        "yes": "是",
    },
    "en": {
        "record": "Call record",
        "records": "Call records ({n})",
        "details": "Call details",
        "highlights": "Highlights",
        "transcript": "Transcript",
        "verification": "Verification",
        "started": "Started",
        "duration": "Duration",
        "direction": "Direction",
        "outgoing": "I called them",
        "incoming": "They called me",
        "unknown_direction": "not recorded",
        "lender": "Creditor / collector",
        "agent": "Agent",
        "agent_id": "Staff number",
        "company": "Company",
        "numbers": "Phone numbers",
        "mode": "How it was recorded",
        "playbook": "Playbook",
        "app": "Software",
        "folder": "Record folder",
        "modes": {
            "live": "live call (speech recognition)",
            "typed": "typed during the call",
            "rehearsal": "rehearsal (not a real call)",
            "import": "imported from a written log",
            "transcribe": "transcribed from an audio file",
        },
        "me": "Me",
        "agent_who": "Agent",
        "unknown": "Unknown",
        "suggestion": "Suggested answer: {title} (score {score:.2f})",
        "alert": "Alert: {alert}",
        "rule": "Rule: {rule}",
        "note": "Note: {text}",
        "bookmark": "Bookmark{label}",
        "bookmark_ref": "on: “{text}”",
        "agreed": "Agreed: {terms}",
        "stage": "Stage: {title}",
        "system": "System: {kind}",
        "speaker": "Correction: line {ref} was said by {who} (was {was})",
        "audio": "Recording started: {file} ({n} channels: {channels})",
        "close": "Call ended",
        "reasons": {},
        "reason_error": "error: {what}",
        "system_kinds": {},
        "system_keys": {},
        "system_values": {},
        "interrupted": "Call interrupted: it did not end normally (killed, crashed or lost power); marked when "
        "callassist next started",
        "torn": "(the last line was only partly written; its size and digest are recorded)",
        "alerts_none": "No alerts in this call.",
        "alerts_n": "{n} alerts",
        "agreed_none": "No agreed terms were recorded.",
        "amount": "amount ${v}",
        "periods": "{v} payments",
        "per_period": "${v} each",
        "first_due": "first due {v}",
        "waived": "waived: {v}",
        "words": "in their words: {v}",
        "sep": "; ",
        "status": "Result",
        "status_verified": "OK: the hash chain is intact and the call was closed normally.",
        "status_interrupted": "OK: the hash chain is intact; the call was cut off and is marked as interrupted.",
        "status_open": "NOT CLOSED: the hash chain is intact but there is no closing line.",
        "status_broken": "FAILED: {why}",
        "header_damaged": "header damaged: {why}",
        "final_digest": "Final digest (SHA-256)",
        "journal_sha": "SHA-256 of journal.jsonl",
        "audio_sha": "SHA-256 of {file}",
        "audio_label": "Audio file",
        "audio_none": "no audio",
        "how": "How to check: run the command below on the computer that holds the original record, or compute "
        "the files' SHA-256 with any tool and compare it with the values above.",
        "derived": "Note: the audio file, if any, is the original evidence. The text was derived from it by speech "
        "recognition or typed by the user; it is a guide and does not replace the audio.",
        "redacted": "This export masks ID, card and phone numbers and e-mail addresses; masked text cannot be checked "
        "against the digests above. The original record is the reference.",
        "lines_cut": "Lines from {line} on are not shown because verification failed there.",
        "lines_apart": "Lines from {line} on failed verification; they are listed apart above, under “Unverified "
        "content”.",
        "integrity_title": "⚠ WARNING: this record FAILED verification",
        "integrity_title_n": "⚠ WARNING: {n} of these records FAILED verification",
        "integrity_line": "{file}: {why}",
        "integrity_note": "From the point where verification failed, the content cannot be shown to be unchanged. "
        "{rest}Before you hand this over as evidence, check the original record with callassist verify and say "
        "that verification failed.",
        "integrity_shown": "That content is listed apart, under “Unverified content”, for reading only. ",
        "integrity_hidden": "That content is not shown. ",
        "unverified": "Unverified content (from line {line})",
        "unverified_note": "The lines below failed verification and are shown as they now are in the file: they may "
        "have been changed, inserted or damaged, and cannot be shown to be what was written during the call.",
        "unverified_header": "Header (line 1, unverified)",
        "line_n": "line {n}",
        "not_a_line": "line {n}: not a valid record line",
        "refused": "{file}: {why}. The record failed verification and was not exported; add --allow-broken to "
        "export it anyway (the failure is stamped at the top)",
        "exported": "Exported",
        "yes": "yes",
    },
}


def labels(lang: str) -> dict:
    """The label table for 'zh' or 'en'."""
    return L["en" if lang == "en" else "zh"]


def distinct(records: Sequence[Record]) -> list[Record]:
    """The records with each folder once (compared resolved), in first-seen order: a record named twice (its
    folder and its journal, overlapping globs, the same path again) is one call, not two."""
    seen: set[Path] = set()
    out: list[Record] = []
    for r in records:
        key = r.folder.resolve()
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def fmt_duration(seconds: float | None) -> str:
    """12:05 or 1:02:03."""
    if seconds is None:
        return ""
    s = int(max(0.0, seconds) + 0.5)  # halves up (round() would give 0:36 for 36.5 s but 0:38 for 37.5 s)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def fmt_started(rec: Record) -> str:
    """Start time with its UTC offset and zone name."""
    h = rec.header or {}
    started = rec.started
    if started is None:
        return ""
    zone = h.get("time_zone") or ""
    text = started.strftime("%Y-%m-%d %H:%M:%S") + f" (UTC{started.strftime('%z')[:3]}:{started.strftime('%z')[3:]}"
    return text + (f", {zone})" if zone else ")")


def event_time(rec: Record, ev: dict) -> str:
    """An event's time in the call's own offset: HH:MM:SS, with the date when it is not the start date."""
    t = parse_time(ev.get("at"))
    start = rec.started
    if t is None:
        return ""
    if start is not None:
        t = t.astimezone(start.tzinfo)
        if t.date() != start.date():
            return t.strftime("%m-%d %H:%M:%S")
    return t.strftime("%H:%M:%S")


def who(lang: str, speaker: str) -> str:
    """The label of a speaker."""
    lab = labels(lang)
    return {"me": lab["me"], "agent": lab["agent_who"]}.get(speaker, lab["unknown"])


def agreed_terms(ev: dict, lang: str) -> str:
    """Agreed terms as one line."""
    lab = labels(lang)
    parts = []
    if ev.get("amount") is not None:
        parts.append(lab["amount"].format(v=money(float(ev["amount"]))))
    if ev.get("periods"):
        parts.append(lab["periods"].format(v=ev["periods"]))
    if ev.get("per_period") is not None:
        parts.append(lab["per_period"].format(v=money(float(ev["per_period"]))))
    if ev.get("first_due"):
        parts.append(lab["first_due"].format(v=ev["first_due"]))
    if ev.get("waived"):
        parts.append(lab["waived"].format(v=("、" if lang == "zh" else ", ").join(ev["waived"])))
    if ev.get("text"):
        parts.append(lab["words"].format(v=ev["text"]))
    return lab["sep"].join(parts)


def failure_text(rec: Record, lang: str) -> str:
    """What failed, with its line; a damaged first line is called the header (the call's details are lost)."""
    why = rec.summary_line(lang)
    fatal = rec.fatal
    if rec.header is None and fatal is not None and fatal.line == 1 and fatal.code != "version":
        why = labels(lang)["header_damaged"].format(why=why)
    return why


def status_text(rec: Record, lang: str) -> str:
    """The verification result in words."""
    lab = labels(lang)
    if rec.status == VERIFIED:
        return lab["status_verified"]
    if rec.status == INTERRUPTED:
        return lab["status_interrupted"]
    if rec.status == OPEN:
        return lab["status_open"]
    return lab["status_broken"].format(why=failure_text(rec, lang))


def status_both(rec: Record) -> str:
    """The result in Chinese and English on one line: for a record whose language is unknown (no header)."""
    return f"{status_text(rec, 'zh')} / {status_text(rec, 'en')}"


def chain_broken(rec: Record) -> bool:
    """The journal itself fails verification (a line, or the header); not only its audio."""
    fatal = rec.fatal
    return rec.header is None or (fatal is not None and fatal.line is not None)


def failure_file(rec: Record) -> Path:
    """The file where verification failed: the audio file for an audio problem, else the journal."""
    fatal = rec.fatal
    if fatal is not None and fatal.code.startswith("audio") and rec.audio is not None:
        return rec.folder / Path(rec.audio.file).name
    return rec.journal


def refusal(rec: Record) -> str:
    """One line on why a record is not exported, naming the file and line, and the option that exports it anyway;
    in the record's language, or in both when the header is damaged."""
    if rec.header is not None:
        lang = rec.language
        return labels(lang)["refused"].format(file=rec.journal, why=failure_text(rec, lang))
    return " / ".join(labels(lang)["refused"].format(file=rec.journal, why=failure_text(rec, lang)) for lang in L)


def integrity_banner(records: Sequence[Record], lang: str, *, unverified: bool = False) -> Banner | None:
    """The warning put before anything else when a record failed verification; None when none did."""
    failed = [r for r in records if r.status == BROKEN]
    if not failed:
        return None
    lab = labels(lang)
    title = lab["integrity_title"] if len(records) == 1 else lab["integrity_title_n"].format(n=len(failed))
    lines = [lab["integrity_line"].format(file=failure_file(r), why=failure_text(r, lang)) for r in failed]
    rest = ""
    if any(chain_broken(r) for r in failed):
        rest = lab["integrity_shown"] if unverified else lab["integrity_hidden"]
    lines.append(lab["integrity_note"].format(rest=rest))
    return Banner(title, tuple(lines))


def integrity_json(records: Sequence[Record], lang: str) -> dict:
    """The verification result of an export for programs: ok, and the first failure (file, line, problem)."""
    failures = [
        {
            "folder": str(r.folder),
            "file": str(failure_file(r)),
            "line": r.fatal.line if r.fatal is not None else None,
            "code": r.fatal.code if r.fatal is not None else None,
            "problem": failure_text(r, lang),
        }
        for r in records
        if r.status == BROKEN
    ]
    first = failures[0] if failures else {}
    return {
        "ok": not failures,
        "problem": first.get("problem"),
        "line": first.get("line"),
        "file": first.get("file"),
        "failures": failures,
    }


def close_reason(reason: object, lang: str) -> str:
    """A closing line's reason in the export's language; one not in the table as stored."""
    lab = labels(lang)
    text = str(reason)
    if text in lab["reasons"]:
        return lab["reasons"][text]
    if text.startswith("error: "):
        return lab["reason_error"].format(what=text[len("error: ") :])
    return text


def _detail(ev: dict, lang: str = "en") -> str:
    """An event's other fields, key=value; a Chinese export names the known ones in Chinese (key：value)."""
    skip = {"seq", "type", "at", "prev", "hash", "kind"}
    lab = labels(lang)
    keys, values = lab["system_keys"], lab["system_values"]
    sep = "，" if lang == "zh" else ", "
    out = []
    for k, v in ev.items():
        if k in skip or v in (None, "", [], {}):
            continue
        if k in keys:
            out.append(f"{keys[k]}：{values.get(str(v), v)}")
        else:
            out.append(f"{k}={v}")
    return sep.join(out)


def system_line(ev: dict, lang: str) -> str:
    """A system event for people: its kind and details in that language (the app's transcript uses it too)."""
    return f"{system_kind(ev.get('kind'), lang)} {_detail(ev, lang)}".strip()


def system_kind(kind: object, lang: str) -> str:
    """A system event's kind in the export's language; one not in the table as stored."""
    text = str(kind or "")
    return labels(lang)["system_kinds"].get(text, text)


def timeline(rec: Record, lang: str, *, redacted: bool = False) -> list[Entry]:
    """Every event of the record as a transcript entry."""
    lab = labels(lang)
    red = redact if redacted else (lambda s: s)
    speakers = {u["seq"]: u["speaker"] for u in rec.utterances()}
    texts = {e["seq"]: e.get("text", "") for e in rec.events if e.get("type") == "utterance"}
    out: list[Entry] = []
    for ev in rec.events:
        kind = ev.get("type")
        t = event_time(rec, ev)
        if kind == "utterance":
            sp = speakers.get(ev["seq"], ev.get("speaker", "unknown"))
            out.append(Entry(t, who(lang, sp), red(ev.get("text", "")), sp if sp in ("me", "agent") else "unknown"))
        elif kind == "suggestion":
            out.append(
                Entry(
                    t,
                    "",
                    lab["suggestion"].format(
                        title=ev.get("title") or ev.get("intent"), score=float(ev.get("score") or 0)
                    ),
                    "suggestion",
                )
            )
        elif kind == "alert":
            rule = lab["rule"].format(rule=ev["rule"]) if ev.get("rule") else ""
            out.append(Entry(t, "", lab["alert"].format(alert=ev.get("alert", "")), "alert", rule))
        elif kind == "note":
            out.append(Entry(t, "", lab["note"].format(text=red(ev.get("text", ""))), "note"))
        elif kind == "bookmark":
            label = red(ev.get("label") or "")
            ref = ev.get("ref")
            detail = lab["bookmark_ref"].format(text=red(texts[ref])) if ref in texts else ""
            out.append(
                Entry(
                    t,
                    "",
                    lab["bookmark"].format(
                        label=f"：{label}" if lang == "zh" and label else f": {label}" if label else ""
                    ),
                    "bookmark",
                    detail,
                )
            )
        elif kind == "agreed":
            terms = agreed_terms(redact_event(ev) if redacted else ev, lang)
            out.append(Entry(t, "", lab["agreed"].format(terms=terms), "agreed"))
        elif kind == "stage":
            out.append(Entry(t, "", lab["stage"].format(title=ev.get("title") or ev.get("stage")), "stage"))
        elif kind == "system":
            out.append(
                Entry(t, "", lab["system"].format(kind=system_kind(ev.get("kind"), lang)), "system", _detail(ev, lang))
            )
        elif kind == "speaker":
            out.append(
                Entry(
                    t,
                    "",
                    lab["speaker"].format(
                        ref=ev.get("ref"), who=who(lang, ev.get("speaker", "")), was=who(lang, ev.get("was", ""))
                    ),
                    "system",
                )
            )
        elif kind == "audio":
            chans = ev.get("channels") or []
            out.append(
                Entry(
                    t, "", lab["audio"].format(file=ev.get("file"), n=len(chans), channels=", ".join(chans)), "system"
                )
            )
        elif kind == "close":
            reason = ev.get("reason") or ""
            out.append(Entry(t, "", lab["close"], "system", "" if reason == "ended" else close_reason(reason, lang)))
        elif kind == "interrupted":
            out.append(Entry(t, "", lab["interrupted"], "system", lab["torn"] if ev.get("torn") else ""))
        else:
            out.append(Entry(t, "", str(kind), "system", _detail(ev, lang)))
    return out


def _direction(value: str, lab: dict) -> str:
    """Outgoing / incoming in the export's language; not recorded; anything else as found (a damaged header)."""
    known = {"outgoing": lab["outgoing"], "incoming": lab["incoming"], "": lab["unknown_direction"]}
    return known.get(value, lab["unknown_direction"] if value == "unknown" else value)


def details_fields(rec: Record, lang: str, *, redacted: bool = False) -> Fields:
    """The call's header as label/value rows."""
    lab = labels(lang)
    h = redact_header(rec.header or {}) if redacted else (rec.header or {})
    agent = h.get("agent") or {}
    pb = h.get("playbook") or {}
    rows = [
        (lab["started"], fmt_started(rec)),
        (lab["duration"], fmt_duration(rec.duration)),
        (
            lab["direction"],
            _direction(h.get("direction", ""), lab),
        ),
        (lab["lender"], h.get("lender", "")),
        (lab["agent"], agent.get("name", "")),
        (lab["agent_id"], agent.get("id", "")),
        (lab["company"], agent.get("company", "")),
        (lab["numbers"], ", ".join(h.get("numbers") or [])),
        (lab["mode"], lab["modes"].get(h.get("mode", ""), h.get("mode", ""))),
        (lab["playbook"], f"{pb.get('title', '')} ({pb.get('id', '')}, sha256 {str(pb.get('sha256', ''))[:12]}…)"),
        (lab["app"], h.get("platform") or h.get("app", "")),
        (lab["folder"], str(rec.folder)),
    ]
    return Fields(tuple(rows))


def verification_blocks(rec: Record, lang: str, *, redacted: bool = False, level: int = 2, apart: bool = False) -> list:
    """The verification section: result, digests, and how to check them."""
    lab = labels(lang)
    rows = [
        (lab["status"], status_text(rec, lang)),
        (lab["final_digest"], rec.final_digest),
        (lab["journal_sha"], rec.journal_sha256),
    ]
    if rec.audio is not None:
        rows.append((lab["audio_sha"].format(file=rec.audio.file), rec.audio.actual or rec.audio.expected or ""))
    else:
        rows.append((lab["audio_label"], lab["audio_none"]))
    blocks: list = [Heading(level, lab["verification"]), Fields(tuple(rows))]
    cut = rec.fatal
    if cut is not None and cut.line:
        blocks.append(Para(lab["lines_apart" if apart else "lines_cut"].format(line=cut.line), "alert"))
    blocks.append(Para(lab["how"], "note"))
    cmd = f'callassist verify "{rec.folder}"'
    if rec.audio is not None:
        cmd += f'\nsha256sum "{rec.folder / rec.audio.file}"'
    blocks.append(Code(cmd))
    blocks.append(Para(lab["derived"], "muted"))
    if redacted:
        blocks.append(Para(lab["redacted"], "note"))
    return blocks


_TEXT_FIELDS = ("lender", "direction", "mode", "platform", "app", "started")
_TABLE_FIELDS = {"agent": "name", "playbook": "title"}


def _as_found(header: dict) -> dict:
    """A header that failed verification, made safe to lay out: a field of an unexpected type is shown as its JSON
    text instead of breaking the export (nothing is dropped)."""

    def text(v: object) -> str:
        return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)

    h = dict(header)
    for k in _TEXT_FIELDS:
        if k in h and not isinstance(h[k], str):
            h[k] = text(h[k])
    for k, main in _TABLE_FIELDS.items():
        if k in h and not isinstance(h[k], dict):
            h[k] = {main: text(h[k])}
        elif k in h:
            h[k] = {kk: text(v) for kk, v in h[k].items()}
    if "numbers" in h and not (isinstance(h["numbers"], list) and all(isinstance(x, str) for x in h["numbers"])):
        h["numbers"] = [text(h["numbers"])]
    return h


def unverified_blocks(rec: Record, rest: Unverified, lang: str, *, redacted: bool = False, level: int = 2) -> list:
    """The lines of a broken record that do not verify, apart and marked, as found in the file."""
    lab = labels(lang)
    red = redact if redacted else (lambda s: s)
    blocks: list = [
        Heading(level, lab["unverified"].format(line=rest.from_line)),
        Para(lab["unverified_note"], "alert"),
    ]
    shown = rec if rec.header is not None or rest.header is None else replace(rec, header=_as_found(rest.header))
    if rest.header is not None:
        blocks += [Para(lab["unverified_header"], "note"), details_fields(shown, lang, redacted=redacted)]
    for number, event, text in rest.lines:
        where = lab["line_n"].format(n=number)
        entries: list[Entry] = []
        if event is not None:
            try:
                entries = timeline(replace(shown, events=[{"seq": None, **event}]), lang, redacted=redacted)
            except Exception:  # anything can be in a changed line: show it as it is rather than fail
                entries = []
            if not all(isinstance(x, str) for e in entries for x in (e.time, e.who, e.text, e.detail)):
                entries = []
            if not entries:
                text = json.dumps(event, ensure_ascii=False)
        if not entries:
            blocks.append(Entry("", "", red(text), "system", lab["not_a_line"].format(n=number)))
        blocks += [replace(e, detail=f"{e.detail} · {where}" if e.detail else where) for e in entries]
    return blocks


def record_doc(
    rec: Record, lang: str | None = None, *, redacted: bool = False, level: int = 1, unverified: bool = False
) -> Doc:
    """One record as a document; unverified=True also lists the lines that fail verification, apart."""
    lang = lang or rec.language
    lab = labels(lang)
    h = rec.header or {}
    title = lab["record"]
    started = rec.started
    if started is not None:
        title += " " + started.strftime("%Y-%m-%d %H:%M")
    if h.get("lender"):
        title += f" · {h['lender']}"
    if rec.header is None:
        title += f" · {rec.folder.name}"
    doc = Doc(title, lang)
    doc.add(Heading(level, title))
    if rec.status == BROKEN:
        doc.add(Para(status_text(rec, lang), "alert"))
    if rec.header is not None:  # without a header nothing verifies: no details, highlights or transcript
        doc.add(Heading(level + 1, lab["details"]), details_fields(rec, lang, redacted=redacted))
        entries = timeline(rec, lang, redacted=redacted)
        highlights = [e for e in entries if e.kind in ("alert", "agreed", "bookmark", "note")]
        doc.add(Heading(level + 1, lab["highlights"]))
        if not any(e.kind == "alert" for e in highlights):
            doc.add(Para(lab["alerts_none"]))
        if not any(e.kind == "agreed" for e in highlights):
            doc.add(Para(lab["agreed_none"]))
        doc.add(*highlights)
        doc.add(Heading(level + 1, lab["transcript"]), *entries)
    rest = _unverified(rec) if unverified else None
    if rest is not None:
        doc.add(*unverified_blocks(rec, rest, lang, redacted=redacted, level=level + 1))
    doc.add(*verification_blocks(rec, lang, redacted=redacted, level=level + 1, apart=rest is not None))
    return doc


def _unverified(rec: Record) -> Unverified | None:
    return unverified(rec) if rec.status == BROKEN else None


def records_doc(
    records: Sequence[Record], lang: str | None = None, *, redacted: bool = False, unverified: bool = False
) -> Doc:
    """One or several records as one document, a failed verification stamped before anything else.

    unverified=True also lists, apart, the lines of a broken record that fail verification (--allow-broken).
    The records are distinct (export() sees to that)."""
    lang = lang or records[0].language
    if len(records) == 1:
        doc = record_doc(records[0], lang, redacted=redacted, unverified=unverified)
    else:
        lab = labels(lang)
        doc = Doc(lab["records"].format(n=len(records)), lang)
        doc.add(Heading(1, doc.title))
        for rec in records:
            doc.extend(record_doc(rec, lang, redacted=redacted, level=2, unverified=unverified))
    banner = integrity_banner(records, lang, unverified=unverified)
    if banner is not None:
        doc.blocks.insert(0, banner)
    return doc


def unverified_json(rec: Record, *, redacted: bool = False) -> dict | None:
    """The lines that fail verification, as found: {from_line, header, lines: [{line, event} or {line, text}]}."""
    rest = _unverified(rec)
    if rest is None:
        return None
    lines: list[dict] = []
    for number, event, text in rest.lines:
        if event is not None:
            lines.append({"line": number, "event": redact_event(event) if redacted else event})
        else:
            lines.append({"line": number, "text": redact(text) if redacted else text})
    header = rest.header
    if header is not None and redacted:
        header = redact_header(header)
    return {"from_line": rest.from_line, "header": header, "lines": lines}


def record_json(rec: Record, lang: str, *, redacted: bool = False, unverified: bool = False) -> dict:
    """One record as a JSON object (events as in the journal, redacted if asked)."""
    header = redact_header(rec.header or {}) if redacted else rec.header
    events = [redact_event(e) for e in rec.events] if redacted else rec.events
    audio = None
    if rec.audio is not None:
        audio = {
            "file": rec.audio.file,
            "sha256": rec.audio.actual or rec.audio.expected,
            "expected": rec.audio.expected,
            "bytes": rec.audio.size,
            "matches": rec.audio.ok if rec.audio.checked else None,
        }
    return {
        "folder": str(rec.folder),
        "status": rec.status,
        "problems": [{"line": p.line, "code": p.code, "message": p.message(lang)} for p in rec.problems],
        "final_digest": rec.final_digest,
        "journal_sha256": rec.journal_sha256,
        "audio": audio,
        "header": header,
        "events": events,
        "unverified": unverified_json(rec, redacted=redacted) if unverified else None,
    }


def export(
    records: Sequence[Record], fmt: str, lang: str | None = None, *, redacted: bool = False, unverified: bool = False
) -> str:
    """Render records as md, html, json or txt.

    A record that failed verification is stamped at the top (json: "integrity"); unverified=True also gives the
    lines that fail verification, apart and marked (what `export --allow-broken` asks for)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    records = distinct(records)
    lang = lang or (records[0].language if records else "zh")
    if fmt == "json":
        data = {
            "format": "callassist-export",
            "version": 1,
            "integrity": integrity_json(records, lang),
            "exported": iso(now()),
            "redacted": redacted,
            "note": labels(lang)["derived"] + (" " + labels(lang)["redacted"] if redacted else ""),
            "records": [record_json(r, lang, redacted=redacted, unverified=unverified) for r in records],
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return render(records_doc(records, lang, redacted=redacted, unverified=unverified), fmt)

"""A draft mediation application (Chinese) or regulator complaint (English) built from one or several records.

Chinese layout after research §4 (民诉法 124, 人民调解法 29, 投诉办法 13, 在线调解规则 8): 申请人 / 被申请人 /
请求事项 / 事实与理由 / 证据清单 / 签名. English layout follows the questions of a CFPB complaint about a debt
collector. Fields the records cannot know are left as blanks for the user.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from callassist.record.doc import BLANK, Doc, Entry, Fields, Heading, Items, Para, Table
from callassist.record.export import agreed_terms, distinct, event_time, fmt_duration, who
from callassist.record.paths import RecordError
from callassist.record.redact import redact, redact_header
from callassist.record.verify import BROKEN, OPEN, Record, file_sha256, parse_time

ZH_QUIET = "中国银行业协会《金融机构个人消费类贷款催收工作指引(试行)》(2026)；中国互联网金融协会《互联网金融贷后催收业务指引》(2024)"
ZH_DAILY = "中国互联网金融协会《互联网金融贷后催收业务指引》(2024)：每日接通的催收电话不超过 3 次"
EN_HOURS = "15 U.S.C. 1692c(a)(1); 12 CFR 1006.6(b)(1)"
EN_7IN7 = "12 CFR 1006.14(b)(2) (presumed harassment)"


def _norm(name: str) -> str:
    return "".join(name.split()).casefold()


def check_same_lender(records: Sequence[Record]) -> str:
    """The one lender of the records; RecordError if they name different lenders or include a rehearsal."""
    if not records:
        raise RecordError("give at least one record for a mediation pack", zh="调解材料包至少需要一条通话记录")
    for r in records:
        if (r.header or {}).get("mode") == "rehearsal":
            raise RecordError(
                f"{r.folder}: is a rehearsal, not a real call; leave it out of the pack",
                zh=f"{r.folder}：是演练，不是真实通话；请不要放进材料包",
            )
        if r.header is None:
            raise RecordError(
                f"{r.folder}: cannot be read ({r.summary_line()}); leave it out of the pack",
                zh=f"{r.folder}：无法读取（{r.summary_line('zh')}）；请不要放进材料包",
            )
    seen: dict[str, tuple[str, Record]] = {}
    for r in records:
        if r.lender.strip():
            seen.setdefault(_norm(r.lender), (r.lender.strip(), r))
    if len(seen) > 1:
        names = "; ".join(f"{name} ({rec.folder})" for name, rec in seen.values())
        names_zh = "；".join(f"{name}（{rec.folder}）" for name, rec in seen.values())
        raise RecordError(
            f"these records are from different lenders: {names}. A pack is for one lender",
            zh=f"这些记录来自不同的机构：{names_zh}。一份材料包只针对一家机构",
        )
    return next(iter(seen.values()))[0] if seen else ""


class _Pack:
    """Facts gathered from the records, shared by both layouts."""

    def __init__(self, records: Sequence[Record], redacted: bool):
        self.records = sorted(distinct(records), key=lambda r: r.started or datetime.min.replace(tzinfo=UTC))
        self.redacted = redacted
        self.red = redact if redacted else (lambda s: s)
        self.lender = check_same_lender(self.records)
        self.values: dict[str, str] = {}
        for r in self.records:
            self.values.update({k: v for k, v in ((r.header or {}).get("values") or {}).items() if v})
        if redacted:
            self.values = {k: redact(v) for k, v in self.values.items()}

    @property
    def has_audio(self) -> bool:
        """Whether any of the calls has its recording."""
        return any(r.audio is not None and r.audio.exists for r in self.records)

    def header(self, r: Record) -> dict:
        return redact_header(r.header or {}) if self.redacted else (r.header or {})

    def agents(self) -> list[tuple[str, str, str, str, str]]:
        """(name, staff number, company, numbers, date) of every agent seen."""
        rows = []
        seen = set()
        for r in self.records:
            h = self.header(r)
            a = h.get("agent") or {}
            row = (
                a.get("name", ""),
                a.get("id", ""),
                a.get("company", ""),
                ", ".join(h.get("numbers") or []),
                r.started.strftime("%Y-%m-%d") if r.started else "",
            )
            if any(row[:4]) and row[:4] not in seen:
                seen.add(row[:4])
                rows.append(row)
        return rows

    def agreed(self) -> list[tuple[Record, dict]]:
        return [(r, e) for r in self.records for e in r.events if e.get("type") == "agreed"]

    def alerts(self) -> list[tuple[Record, dict, str]]:
        """(record, alert event, what the agent said) for every alert."""
        out = []
        for r in self.records:
            texts = {e["seq"]: e.get("text", "") for e in r.events if e.get("type") == "utterance"}
            out += [(r, e, self.red(texts.get(e.get("ref"), ""))) for e in r.events if e.get("type") == "alert"]
        return out

    def rules(self) -> list[str]:
        return list(dict.fromkeys(e.get("rule", "") for _, e, _ in self.alerts() if e.get("rule")))

    def period(self) -> tuple[str, str]:
        days = [r.started.strftime("%Y-%m-%d") for r in self.records if r.started]
        return (days[0], days[-1]) if days else ("", "")

    def day_rows(self, lang: str) -> list[tuple[str, ...]]:
        """Calls per day: total, from the other side, at unusual hours, and which rule that may touch."""
        starts = [(r.started, (r.header or {}).get("direction")) for r in self.records if r.started]
        by_day: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        for t, d in starts:
            by_day[t.strftime("%Y-%m-%d")].append((t, d or ""))
        incoming = sorted(t for t, d in starts if d == "incoming")
        rows = []
        for day in sorted(by_day):
            calls = by_day[day]
            inc = [t for t, d in calls if d == "incoming"]
            if lang == "zh":
                odd = [t for t in inc if t.hour >= 22 or t.hour < 8]
                notes = []
                if len(inc) > 3:
                    notes.append(f"对方来电超过 3 次（{ZH_DAILY}）")
                if odd:
                    notes.append(f"22:00–08:00 来电（{ZH_QUIET}）")
            else:
                odd = [t for t in inc if t.hour >= 21 or t.hour < 8]
                notes = []
                for t in inc:
                    window = [x for x in incoming if t - timedelta(days=7) < x <= t]
                    if len(window) > 7:
                        notes.append(f"more than 7 calls in 7 days ({EN_7IN7})")
                        break
                if odd:
                    notes.append(f"call before 8 a.m. or after 9 p.m. ({EN_HOURS})")
            rows.append(
                (day, str(len(calls)), str(len(inc)), str(len(odd)), ("；" if lang == "zh" else "; ").join(notes))
            )
        return rows

    def evidence(self, lang: str) -> list[tuple[str, ...]]:
        """Numbered evidence rows for the files of each record, then blank rows for what the user holds."""
        rows: list[tuple[str, ...]] = []
        zh = lang == "zh"
        for r in self.records:
            day = r.started.strftime("%Y-%m-%d %H:%M") if r.started else ""
            state = (
                ""
                if r.ok
                else (" [校验未通过]" if zh else " [verification failed]")
                if r.status == BROKEN
                else (" [未结束]" if zh else " [not closed]")
                if r.status == OPEN
                else ""
            )
            if r.audio is not None and r.audio.exists:
                path = r.folder / r.audio.file
                try:
                    digest = file_sha256(path)
                except OSError:
                    digest = ""
                rows.append(
                    (
                        f"通话录音 {r.audio.file}（{day}）" if zh else f"Call recording {r.audio.file} ({day})",
                        "申请人本人的通话录音（原始文件，未经编辑）"
                        if zh
                        else "my own recording of the call (original, unedited)",
                        "通话的全部内容" if zh else "everything said on the call",
                        digest,
                        str(path),
                    )
                )
            rows.append(
                (
                    (f"通话文字记录 journal.jsonl（{day}）" if zh else f"Call log journal.jsonl ({day})") + state,
                    "callassist 逐条记录、SHA-256 哈希链；文字由录音识别或手工输入，派生于录音"
                    if zh
                    else "written by callassist line by line with a SHA-256 hash chain; text derived from the audio or typed",
                    (
                        f"通话时间、对方身份、所说内容、警示与约定；最终摘要 {r.final_digest}"
                        if zh
                        else f"time, who called, what was said, alerts and agreed terms; final digest {r.final_digest}"
                    ),
                    r.journal_sha256,
                    str(r.journal),
                )
            )
            src = (r.header or {}).get("source")
            if isinstance(src, dict) and src.get("sha256") and not src.get("copy"):
                # transcribed from a recording made elsewhere (e.g. the phone's dialer): the original is the user's
                rows.append(
                    (
                        f"原始录音 {src.get('file', '')}（{day}）"
                        if zh
                        else f"Original recording {src.get('file', '')} ({day})",
                        "申请人手机或录音设备上的原始文件" if zh else "the original file on my phone or recorder",
                        "通话的全部内容（文字记录由其转写）"
                        if zh
                        else "everything said (the log was transcribed from it)",
                        str(src["sha256"]),
                        "",
                    )
                )
            if isinstance(src, dict) and src.get("copy"):
                rows.append(
                    (
                        f"手写通话记录 {src.get('copy')}（{day}）"
                        if zh
                        else f"Handwritten call notes {src.get('copy')} ({day})",
                        "申请人本人的记录" if zh else "my own notes",
                        "通话内容" if zh else "what was said",
                        str(src.get("sha256", "")),
                        str(r.folder / str(src["copy"])),
                    )
                )
        extra = (
            [
                ("借款合同 / 借款协议", "", "借款金额、利率、期限"),
                ("还款记录、银行流水", "", "已还金额"),
                ("短信、微信等催收信息截图（含发送人和时间）", "", "催收方式与内容"),
                ("运营商通话详单", "", "来电时间与次数"),
                ("困难证明（失业证明、病历、收入证明等）", "", "逾期原因与还款能力"),
            ]
            if zh
            else [
                ("Loan or card agreement", "", "amount, rate and terms"),
                ("Payment history, bank statements", "", "what was paid"),
                (
                    "Letters, texts or e-mails from the collector (with sender and time)",
                    "",
                    "what they said in writing",
                ),
                ("Phone company call log", "", "times and number of calls"),
                ("Proof of hardship (job loss, medical bills, income)", "", "why payments stopped, what I can pay"),
            ]
        )
        rows += [(name, src, what, "", "") for name, src, what in extra]
        return [(str(i), *row) for i, row in enumerate(rows, 1)]

    def timeline(self, lang: str) -> list:
        """Per call: a heading line and its key moments (alerts with the words, bookmarks, agreements, notes)."""
        blocks: list = []
        zh = lang == "zh"
        for r in self.records:
            h = self.header(r)
            a = h.get("agent") or {}
            t = r.started.strftime("%Y-%m-%d %H:%M") if r.started else ""
            direction = {
                "incoming": "对方来电" if zh else "they called",
                "outgoing": "我方拨出" if zh else "I called",
            }.get(h.get("direction", ""), "通话" if zh else "call")
            bits = [direction, (f"时长 {fmt_duration(r.duration)}" if zh else f"{fmt_duration(r.duration)} long")]
            if a.get("name") or a.get("id"):
                ident = a.get("name", "") + (
                    f"（工号 {a['id']}）" if zh and a.get("id") else f" (staff no. {a['id']})" if a.get("id") else ""
                )
                bits.append(("对方：" if zh else "agent: ") + ident)
            if h.get("numbers"):
                bits.append(("号码：" if zh else "number: ") + ", ".join(h["numbers"]))
            blocks.append(Entry(t, "", ("，" if zh else ", ").join(bits), "stage"))
            texts = {e["seq"]: e.get("text", "") for e in r.events if e.get("type") == "utterance"}
            speakers = {u["seq"]: u["speaker"] for u in r.utterances()}
            moments = 0
            for e in r.events:
                kind = e.get("type")
                tt = event_time(r, e)
                if kind == "alert":
                    said = self.red(texts.get(e.get("ref"), ""))
                    sp = who(lang, speakers.get(e.get("ref"), "agent"))
                    rule = (f"依据：{e['rule']}" if zh else f"rule: {e['rule']}") if e.get("rule") else ""
                    blocks.append(Entry(tt, sp, f"“{said}” → {e.get('alert', '')}", "alert", rule))
                elif kind == "bookmark" and e.get("ref") in texts:
                    sp = who(lang, speakers.get(e["ref"], "agent"))
                    label = self.red(e.get("label") or "")
                    blocks.append(Entry(tt, sp, f"“{self.red(texts[e['ref']])}”", "bookmark", label))
                elif kind == "agreed":
                    terms = agreed_terms({**e, "text": self.red(e.get("text", ""))}, lang)
                    blocks.append(Entry(tt, "", ("约定：" if zh else "agreed: ") + terms, "agreed"))
                elif kind == "note":
                    blocks.append(Entry(tt, "", ("备注：" if zh else "note: ") + self.red(e.get("text", "")), "note"))
                else:
                    continue
                moments += 1
            if not moments:
                blocks.append(
                    Entry(
                        "",
                        "",
                        "（本次通话未记录警示、书签或约定）"
                        if zh
                        else "(no alerts, bookmarks or agreements recorded on this call)",
                        "system",
                    )
                )
        return blocks


def _requests_zh(p: _Pack) -> list[str]:
    out = []
    agreed = p.agreed()
    v = p.values
    if agreed:
        r, e = agreed[-1]
        day = r.started.strftime("%Y年%m月%d日") if r.started else ""
        out.append(f"请求被申请人确认并履行双方于{day}电话中约定的还款方案：{agreed_terms(e, 'zh')}，并出具书面协议。")
    elif v.get("periods") and v.get("monthly"):
        due = f"，首期还款日为{v['first_due']}" if v.get("first_due") else ""
        debt = f"将欠款 {v['debt']} 元" if v.get("debt") else "将欠款"
        out.append(f"请求同意{debt}分 {v['periods']} 期偿还，每期 {v['monthly']} 元{due}，并出具书面协议。")
    else:
        out.append(f"请求同意将欠款分 {BLANK} 期偿还，每期 {BLANK} 元，并出具书面协议。")
    waived = [w for _, e in agreed for w in e.get("waived") or []]
    if waived:
        out.append(f"请求按约定减免{'、'.join(dict.fromkeys(waived))}。")
    else:
        out.append(f"请求减免罚息、违约金及其他费用（金额或比例：{BLANK}）。")
    if p.alerts():
        out.append(
            "请求被申请人及其委托的催收机构停止事实与理由中所列的不当催收行为，不再联系与借款无关的第三人，"
            "并删除非必要收集的个人信息。"
        )
    out.append("如征信记录有误，请求予以更正（如不适用请删去）。")
    return out


def _requests_en(p: _Pack) -> list[str]:
    out = []
    agreed = p.agreed()
    v = p.values
    if agreed:
        r, e = agreed[-1]
        day = r.started.strftime("%B %d, %Y") if r.started else ""
        out.append(
            f"Confirm in writing, before my first payment, the plan agreed on the call of {day}: "
            f"{agreed_terms(e, 'en')}."
        )
    elif v.get("periods") and v.get("monthly"):
        due = f", first payment due {v['first_due']}" if v.get("first_due") else ""
        out.append(
            f"Accept a payment plan of {v['periods']} monthly payments of ${v['monthly']}{due}, "
            "confirmed in writing before the first payment."
        )
    else:
        out.append(f"Accept a payment plan of {BLANK} monthly payments of ${BLANK}, confirmed in writing.")
    out.append(
        "Send me a validation notice showing the amount, the original creditor and how the amount was "
        "calculated, including interest and fees."
    )
    if p.alerts():
        out.append(
            "Stop the practices listed under 'What happened', and contact me only in writing or at the times I choose."
        )
    out.append("Correct any inaccurate credit reporting about this account (delete if not relevant).")
    return out


def _alert_table(p: _Pack, lang: str) -> Table:
    zh = lang == "zh"
    rows = []
    for r, e, said in p.alerts():
        at = parse_time(e.get("at"))
        t = at.astimezone(r.started.tzinfo).strftime("%Y-%m-%d %H:%M") if at and r.started else ""
        rows.append((t, said, e.get("alert", ""), e.get("rule", "")))
    headers = ("时间", "对方原话", "问题", "依据") if zh else ("When", "What they said", "Problem", "Rule")
    return Table(headers, tuple(rows))


def pack_zh(p: _Pack) -> Doc:
    """The Chinese application: 申请人 / 被申请人 / 请求事项 / 事实与理由 / 证据清单."""
    doc = Doc("金融消费纠纷调解申请书（草稿）", "zh")
    first, last = p.period()
    v = p.values
    doc.add(
        Heading(1, doc.title),
        Para(
            f"本草稿由 callassist 根据 {len(p.records)} 次通话记录（{first} 至 {last}）生成。请逐项核对，"
            "补全空白处，删去不适用的内容，签名后提交给所选的调解组织（如金融消费纠纷调解中心、人民调解委员会、"
            "人民法院调解平台）或先向贷款机构投诉。",
            "note",
        ),
        Fields((("提交对象", ""),)),
        Heading(2, "申请人"),
        Fields(
            (
                ("姓名", v.get("name", "")),
                ("性别", ""),
                ("身份证号", ""),
                ("住址", ""),
                ("联系电话", ""),
                ("电子送达地址 / 邮箱", ""),
            )
        ),
        Heading(2, "被申请人"),
        Fields(
            (
                ("名称（全称）", p.lender),
                ("住所地", ""),
                ("合同编号 / 借款编号", ""),
                ("委托的催收机构（如有）", ", ".join(dict.fromkeys(a[2] for a in p.agents() if a[2]))),
            )
        ),
    )
    agents = p.agents()
    if agents:
        doc.add(
            Para("通话中出现的对方人员："), Table(("姓名", "工号", "所属公司", "电话号码", "通话日期"), tuple(agents))
        )
    else:
        doc.add(Para("通话中未获知对方人员的姓名和工号。", "muted"))
    doc.add(Heading(2, "请求事项"), Items(tuple(_requests_zh(p)), ordered=True))
    doc.add(
        Heading(2, "事实与理由"),
        Heading(3, "一、借款基本情况"),
        Fields(
            (
                ("借款日期", ""),
                ("借款金额（实际到账）", ""),
                ("年化利率", f"{v['apr']}%" if v.get("apr") else ""),
                ("目前欠款", f"{v['debt']} 元" if v.get("debt") else ""),
                ("已还款金额", ""),
                ("逾期开始时间", ""),
                ("逾期原因", v.get("hardship", "")),
            )
        ),
        Heading(3, "二、联系经过"),
        Para("以下为每次通话的时间、方向、对方身份，以及通话中记录的警示、书签和约定（时间为记录设备的本地时间）。"),
        *p.timeline("zh"),
        Heading(3, "三、每日通话次数"),
        Table(("日期", "通话次数", "其中对方来电", "其中 22:00–08:00 来电", "说明"), tuple(p.day_rows("zh"))),
    )
    if p.alerts():
        doc.add(Heading(3, "四、不当催收行为及依据"), _alert_table(p, "zh"))
    doc.add(
        Heading(3, "五、理由"),
        Para(
            "申请人因上述原因暂时无力按原合同还款，但有还款意愿，已主动与被申请人协商。"
            "（请用自己的话补充：为什么无法按原计划还款、能够承受的还款方式。）"
        ),
    )
    rules = p.rules()
    if rules:
        doc.add(Para("相关规定："), Items(tuple(rules)))
    doc.add(
        Heading(2, "证据清单"),
        Table(("序号", "证据名称", "来源", "证明内容", "SHA-256", "原始载体位置"), tuple(p.evidence("zh"))),
        Para(
            (
                "通话录音为原始证据，保存在上表所列位置，未经编辑；提交的是其副本，可用 SHA-256 值与原件核对。"
                if p.has_audio
                else ""
            )
            + "文字记录由录音识别或手工输入，派生于录音；每份记录可用 `callassist verify` 或上表的 SHA-256 值核对。",
            "muted",
        ),
        Para("此致"),
        Para(BLANK + "（调解组织名称）"),
        Fields((("申请人（签名）", ""), ("日期", ""))),
    )
    return doc


def _calls_en(n: int) -> str:
    return "1 call record" if n == 1 else f"{n} call records"


def pack_en(p: _Pack) -> Doc:
    """The English complaint, in the order of a CFPB complaint about a debt collector."""
    doc = Doc("Complaint about a debt collector (draft)", "en")
    first, last = p.period()
    v = p.values
    doc.add(
        Heading(1, doc.title),
        Para(
            f"Drafted by callassist from {_calls_en(len(p.records))} ({first if first == last else f'{first} to {last}'}). "
            "Check every line, "
            "fill in the blanks and delete what does not apply before you submit it at "
            "consumerfinance.gov/complaint or to your state attorney general.",
            "note",
        ),
        Heading(2, "Your information"),
        Fields((("Name", v.get("name", "")), ("Mailing address", ""), ("Phone", ""), ("E-mail", ""))),
        Heading(2, "The company"),
        Fields(
            (
                ("Company name", p.lender),
                ("Company address", ""),
                ("Account number", ""),
                ("Original creditor", ""),
                ("Debt collector company", ", ".join(dict.fromkeys(a[2] for a in p.agents() if a[2]))),
            )
        ),
    )
    agents = p.agents()
    if agents:
        doc.add(
            Para("People who spoke for the company:"),
            Table(("Name", "Staff number", "Company", "Phone number", "Date"), tuple(agents)),
        )
    doc.add(
        Heading(2, "What happened"),
        Heading(3, "The account"),
        Fields(
            (
                ("Amount they say I owe", f"${v['debt']}" if v.get("debt") else ""),
                ("Interest rate (APR)", f"{v['apr']}%" if v.get("apr") else ""),
                ("Why I fell behind", v.get("hardship", "")),
            )
        ),
        Heading(3, "Timeline of contacts"),
        Para(
            "Each call with its date, who called, who spoke, and the alerts, bookmarks and agreements recorded "
            "during it (times are the local time of the device that recorded the call)."
        ),
        *p.timeline("en"),
        Heading(3, "Calls per day"),
        Table(("Date", "Calls", "From the collector", "Before 8 a.m. / after 9 p.m.", "Note"), tuple(p.day_rows("en"))),
    )
    if p.alerts():
        doc.add(Heading(3, "What they said and the rules it may break"), _alert_table(p, "en"))
    doc.add(
        Heading(2, "What would be a fair resolution"),
        Items(tuple(_requests_en(p)), ordered=True),
        Heading(2, "Attachments"),
        Table(
            ("No.", "Document", "Source", "What it shows", "SHA-256", "Where the original is"), tuple(p.evidence("en"))
        ),
        Para(
            (
                "The call recordings are the original evidence and are kept unedited where listed; the copies "
                "attached can be checked against them with the SHA-256 values. "
                if p.has_audio
                else ""
            )
            + "The written logs are derived from the audio or typed during the call; each can be checked with "
            "`callassist verify` or the SHA-256 values above.",
            "muted",
        ),
        Fields((("Signature", ""), ("Date", ""))),
    )
    return doc


def mediation_doc(records: Sequence[Record], lang: str | None = None, *, redacted: bool = False) -> Doc:
    """The pack for one lender: Chinese application or English complaint."""
    from callassist.record.export import integrity_banner

    p = _Pack(records, redacted)
    lang = lang or Counter(r.language for r in p.records).most_common(1)[0][0]
    doc = pack_en(p) if lang == "en" else pack_zh(p)
    banner = integrity_banner(p.records, lang)  # a record that failed verification: said before anything else
    if banner is not None:
        doc.blocks.insert(0, banner)
    return doc

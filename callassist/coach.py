"""Reads the user's reply in a rehearsal: amounts (Chinese numerals too), talking points covered, pitfalls.

Rule-based on purpose: every verdict can be explained by the words that triggered it, and the same reply
always gets the same feedback. Amounts are checked against the user's numbers (affordable cap, debt, APR).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from callassist import text as T
from callassist.plan import annuity_payment, money

# --------------------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------------------

_ZH_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10_000, "亿": 100_000_000}
_ZH_CHARS = "".join(_ZH_DIGIT) + "".join(_ZH_UNIT) + "".join(_ZH_BIG)
_NUM_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[{_ZH_CHARS}]")
# A run of digits and Chinese numerals (1500, 1.5万, 一千五, 两万五千, 1万5); a lone 一..九 only counts before a
# measure word, so 一次性, 一定, 一半 are not numbers.
_NUMBER = re.compile(
    rf"(?:(?<![\d.])\d+(?:\.\d+)?(?:[{_ZH_CHARS}]|\d+(?:\.\d+)?)*|[{_ZH_CHARS}]{{2,}}|[{''.join(_ZH_DIGIT)}十](?=\s*[元块期个月号日%万千百]))"
)
_EN_SMALL = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split()
    )
}
_EN_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_EN_SCALE = {"hundred": 100, "thousand": 1000, "grand": 1000}
_EN_WORD = "|".join(sorted([*_EN_SMALL, *_EN_TENS, *_EN_SCALE], key=len, reverse=True))
_EN_NUMBER = re.compile(rf"\b(?:(?:a|an)\s+)?(?:{_EN_WORD})(?:(?:\s+|-|\s+and\s+)(?:{_EN_WORD}))*\b")


def zh_number(s: str) -> float | None:
    """A number written with Chinese numerals, digits or both: 一千五 → 1500, 两万五 → 25000, 1.5万 → 15000."""
    s = s.replace(",", "")
    tokens = _NUM_TOKEN.findall(s)
    if not tokens or tokens[0] in _ZH_BIG or tokens[0] in ("百", "千"):
        return None
    total = 0.0
    section = 0.0
    num: float | None = None
    last_unit = 0
    single = False  # the pending number is one digit written right after a unit (一千五: the 五)
    for tok in tokens:
        if tok[0].isdigit():
            num = float(tok) if num is None else float(f"{int(num)}{tok}")
            single = len(tok) == 1 and last_unit > 0
        elif tok in _ZH_DIGIT:
            d = _ZH_DIGIT[tok]
            if num is not None:  # digit by digit: 二零二四
                num = num * 10 + d
                single = False
            else:
                num = float(d)
                single = last_unit > 0 and d != 0
            if d == 0:
                last_unit = 0  # 一千零五: what follows the 零 is not abbreviated
        elif tok in _ZH_UNIT:
            section += (num if num is not None else 1) * _ZH_UNIT[tok]
            num, last_unit, single = None, _ZH_UNIT[tok], False
        else:
            big = _ZH_BIG[tok]
            total = (total + section + (num or 0)) * big if big > 10_000 else total + (section + (num or 0)) * big
            section, num, last_unit, single = 0.0, None, big, False
    if num is not None:
        section += num * (last_unit / 10) if single and num < 10 else num
    return total + section


def _en_words_number(s: str) -> float | None:
    total, current, seen = 0, 0, False
    for w in re.findall(r"[a-z]+", s.lower()):
        if w in ("a", "an"):
            current = current or 1
        elif w in _EN_SMALL:
            current += _EN_SMALL[w]
            seen = True
        elif w in _EN_TENS:
            current += _EN_TENS[w]
            seen = True
        elif w == "hundred":
            current = (current or 1) * 100
            seen = True
        elif w in ("thousand", "grand"):
            total += (current or 1) * 1000
            current, seen = 0, True
    return float(total + current) if seen else None


@dataclass(frozen=True)
class Amount:
    """A number found in a reply and what it counts: money, periods, months, a date, a percentage or other."""

    value: float
    kind: str
    text: str
    monthly: bool = False
    """Money said as a monthly or per-period amount."""


_MONEY_AFTER = re.compile(r"^\s*(?:元|块钱?|rmb|人民币|dollars?|bucks|usd)", re.I)
_K_AFTER = re.compile(r"^\s*k\b", re.I)
_KIND_AFTER = (
    ("periods", re.compile(r"^\s*(?:期|payments?|installments?|instalments?)", re.I)),
    ("months", re.compile(r"^\s*(?:个月|months?\b(?!ly))", re.I)),
    ("date", re.compile(r"^\s*(?:号|日|st\b|nd\b|rd\b|th\b)", re.I)),
    ("percent", re.compile(r"^\s*(?:%|％|个点|percent)", re.I)),
    ("other", re.compile(r"^\s*(?:次|个|岁|天|分|点|小时|年|周|星期|days?|weeks?|years?|times?)", re.I)),
)
_LUMP = re.compile(r"先|首|今天|马上|现在|一次性|头期|today|first|down\s+payment|up\s*front|right\s+now|lump", re.I)
_MONTHLY = re.compile(
    r"每个?月|每期|一个月|月供|月还|按月|一期|每个?期|per\s+(?:month|payment)|a\s+month|each\s+month|every\s+month|"
    r"monthly|/\s*mo(?:nth)?\b|each\s+payment|a\s+payment|payments?\s+of",
    re.I,
)


def find_amounts(text: str) -> list[Amount]:
    """Numbers in a clause with their kind; money said per month is marked monthly."""
    s = unicodedata.normalize("NFKC", text)
    s = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    monthly = bool(_MONTHLY.search(s))
    spans: list[tuple[int, int, float]] = []
    for m in _NUMBER.finditer(s):
        v = zh_number(m.group(0))
        if v is not None:
            spans.append((m.start(), m.end(), v))
    for m in _EN_NUMBER.finditer(s):
        if not any(a <= m.start() < b for a, b, _ in spans):
            v = _en_words_number(m.group(0))
            if v is not None:
                spans.append((m.start(), m.end(), v))
    out: list[Amount] = []
    for start, end, v in sorted(spans):
        after = s[end : end + 12]
        before = s[max(0, start - 2) : start]
        kind = ""
        if _K_AFTER.match(after):
            v, kind = v * 1000, "money"
        elif "$" in before or "¥" in before or _MONEY_AFTER.match(after):
            kind = "money"
        else:
            for k, pat in _KIND_AFTER:
                if pat.match(after):
                    kind = k
                    break
        if not kind:
            kind = "money" if v >= 50 else "other"
        out.append(Amount(v, kind, s[start:end], monthly=monthly and kind == "money"))
    return out


# --------------------------------------------------------------------------------------------------------------
# Clauses: what each part of the reply does
# --------------------------------------------------------------------------------------------------------------

_CLAUSE_SPLIT = re.compile(r"((?:[，,。！!？?；;…\n]|(?<!\d)\.|\.(?!\d))+)")

_ZH_DOUBLE_NEG = re.compile(r"不是不|不会不|并非不|没说不")
_NEG = {
    "zh": re.compile(
        r"不(?:行|能|可以|可能|同意|接受|答应|会|要|想|愿意|了|起|够|方便|给|转|付|上|打算|应该)|没有?(?:办法|法子|法|能力|那么多)|"
        r"做不到|拿不出|还不了|还不起|还不上|无法|拒绝|免谈|太多|太高|太贵|太难|承受不了|负担不了|吃不消|(?<![分区特告识派])别(?![的人家处])"
    ),
    "en": re.compile(
        r"\b(?:no(?!\s+problem)|not|never|cannot|can't|cant|won't|wont|don't|dont|unable|refuse|too\s+much|too\s+high)\b|n't\b",
        re.I,
    ),
}
_QUESTION = {
    "zh": re.compile(r"吗|是吧|对吧|呢|能不能|可不可以|可否|是否|多少|怎么|什么|哪|谁|为什么|为何|几"),
    "en": re.compile(
        r"^\s*(?:can|could|would|will|is|are|do|does|did|what|how|who|why|where|when|may)\b|\bor not\b", re.I
    ),
}
_AGREE = {
    "zh": re.compile(
        r"^(?:嗯+|那|那就|哦|噢|行|好)?\s*(?:好的?|好吧|行|行吧|可以|没问题|成|同意|ok|okay|嗯嗯|对)(?:的|吧|啊|呀|了)?|"
        r"我(?:同意|答应|接受)|就(?:这么|这样)(?:办|定|吧)|听(?:你|您)的|(?:按|照)(?:你|您)(?:说的|的意思)|"
        r"(?:今天|马上|现在|立刻|这就)(?:就)?(?:去)?(?:还|转|付|凑|借|交)|我(?:会|去|马上)?(?:想办法)?凑|没问题|一定照办"
    ),
    "en": re.compile(
        r"^\s*(?:ok|okay|sure|fine|yes|yeah|yep|alright|all right|deal|agreed)\b|\bi\s+(?:agree|accept)\b|"
        r"\b(?:that|it)\s+works\b|works for me|sounds good|let'?s do (?:it|that)|\bi(?:'ll|\s+will)\s+(?:pay|do|send|make|get)\b|"
        r"\bi\s+can\s+do\s+that\b",
        re.I,
    ),
}
_PAY_VERB = {
    "zh": re.compile(r"还|付|转|打(?:给|过去|款)|交|凑|给(?:你|您)|结清|存|补上"),
    "en": re.compile(r"\b(?:pay|send|give|transfer|wire|put\s+down|settle|cover)\b", re.I),
}


@dataclass(frozen=True)
class Clause:
    """One part of a reply between punctuation, with what it does."""

    text: str
    negated: bool
    question: bool
    agrees: bool
    pays: bool
    amounts: tuple[Amount, ...]

    @property
    def commits(self) -> bool:
        """A statement (not a question, not a refusal): numbers in it are promises."""
        return not self.negated and not self.question


def normal(text: str) -> str:
    """Width, script and case, keeping punctuation (clauses and amounts need it)."""
    text = unicodedata.normalize("NFKC", text)
    return T.to_simplified(text).lower().strip()


def clauses(text: str, lang: str) -> list[Clause]:
    """Split a reply at punctuation and read each part."""
    s = re.sub(r"(?<=\d),(?=\d{3})", "", normal(text))
    parts = _CLAUSE_SPLIT.split(s)
    out: list[Clause] = []
    per_month = False  # a monthly amount was being talked about: a bare amount after it is monthly too
    for i in range(0, len(parts), 2):
        body = parts[i].strip()
        sep = parts[i + 1] if i + 1 < len(parts) else ""
        if not body:
            continue
        plain = _ZH_DOUBLE_NEG.sub("", body) if lang == "zh" else body
        amounts = find_amounts(body)
        if _MONTHLY.search(body):
            per_month = True
        elif _LUMP.search(body):
            per_month = False
        elif per_month:
            amounts = [replace(a, monthly=True) if a.kind == "money" else a for a in amounts]
        out.append(
            Clause(
                text=body,
                negated=bool(_NEG[lang].search(plain)),
                question="?" in sep or "？" in sep or bool(_QUESTION[lang].search(body)),
                agrees=bool(_AGREE[lang].search(body)),
                pays=bool(_PAY_VERB[lang].search(body)),
                amounts=tuple(amounts),
            )
        )
    return out


# --------------------------------------------------------------------------------------------------------------
# Talking points
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A kind of talking point or pitfall, with its label and advice in both languages."""

    id: str
    zh: str
    en: str
    advice_zh: str = ""
    advice_en: str = ""

    def label(self, lang: str) -> str:
        """The label in the UI language."""
        return self.zh if lang == "zh" else self.en

    def advice(self, lang: str) -> str:
        """What to do instead (pitfalls) or why it matters (points)."""
        return self.advice_zh if lang == "zh" else self.advice_en


POINTS: dict[str, Kind] = {
    k.id: k
    for k in (
        Kind("willing", "表达还款意愿", "said you want to repay", "说明不是不还，是还不上。", "Say you mean to pay."),
        Kind(
            "hardship", "说明困难原因", "explained the hardship", "一句话讲清为什么逾期。", "Say why you fell behind."
        ),
        Kind(
            "plan",
            "提出带数字的方案",
            "proposed a plan with numbers",
            "给出期数和每期金额。",
            "Give a number of payments and an amount.",
        ),
        Kind(
            "written", "要求书面确认", "asked for it in writing", "方案要短信或书面发来。", "Get every term in writing."
        ),
        Kind(
            "agent_id",
            "问对方姓名工号",
            "asked who is calling",
            "记下对方姓名、工号和机构。",
            "Get the name, company and a callback number.",
        ),
        Kind(
            "itemised",
            "要求欠款明细或年化利率",
            "asked for the balance broken down",
            "本金、利息、罚息分开核对。",
            "Ask for principal, interest and fees separately.",
        ),
        Kind(
            "waiver",
            "申请减免或停息",
            "asked to waive or stop interest/fees",
            "用“申请”二字，请对方登记上报。",
            "Ask for fees and interest to be waived or stopped.",
        ),
        Kind(
            "push_back",
            "冷静指出越界并要求停止",
            "calmly named the line they crossed",
            "指出违规、要求停止，说明会投诉。",
            "Name the violation, ask them to stop, say you will report it.",
        ),
        Kind("record", "告知正在录音", "said the call is recorded", "告诉对方你在录音。", "Say you are recording."),
    )
}

PITFALLS: dict[str, Kind] = {
    k.id: k
    for k in (
        Kind(
            "no_money",
            "说自己一分钱都没有或一分不还",
            "said you have no money at all or won't pay anything",
            "说“现在每月最多能还多少”；说一分没有或一分不还，对方只会加压、逼你去借。",
            "Say what you can pay each month; 'I have nothing' or 'I won't pay' only invites pressure to borrow.",
        ),
        Kind(
            "angry",
            "发火或骂人",
            "anger or insults",
            "对方越界时更要冷静：记录原话、指出违规、要求停止。",
            "Stay calm when they cross a line: note their words, name the rule, ask them to stop.",
        ),
        Kind(
            "agree_large_payment",
            "答应了超出能力的大额首付或一次性还清",
            "agreed to a large first payment or payment in full",
            "先说自己的方案；首付不超过一个月能承受的金额，书面确认前不付。",
            "Offer your own plan; keep any first payment within one month's budget, and pay nothing before it is in writing.",
        ),
        Kind(
            "over_promise",
            "承诺的月供超过可承受额",
            "promised more per month than you can afford",
            "月供超过上限的方案撑不了几个月，会再次逾期。",
            "A plan above your monthly limit breaks within months.",
        ),
        Kind(
            "give_contacts",
            "提供了他人的联系方式",
            "gave someone else's contact details",
            "家人、同事的号码不要给，债务只和本人沟通。",
            "Don't give family or work contacts; the debt is between you and them.",
        ),
        Kind(
            "private_account",
            "答应转入个人账户",
            "agreed to pay into a personal account",
            "只通过官方APP或对公账户还款，个人账户的钱可能不算还款。",
            "Pay only through the creditor's official channel, never to a personal account or app.",
        ),
        Kind(
            "bank_details",
            "报出了银行卡号或密码",
            "gave card or bank details",
            "卡号、密码、验证码都不要在电话里报。",
            "Don't give card, account or routing numbers on the call.",
        ),
        Kind(
            "pay_fee",
            "答应交手续费或保证金",
            "agreed to a fee or deposit",
            "正规协商不收手续费、保证金。",
            "A fee to set up a plan is a red flag; ask for it in writing.",
        ),
        Kind(
            "borrow_to_repay",
            "答应借钱还债",
            "agreed to borrow to pay",
            "以贷还贷只会让债越滚越大。",
            "Borrowing to pay this debt makes it worse.",
        ),
    )
}

# Reply side: what the user says. Point side (below) adds words the playbook's talking points use.
_POINT_REPLY: dict[str, dict[str, str]] = {
    "willing": {
        # Said as a verb (愿意还, 打算还) or a noun (还款意愿, 还钱的诚意); a negation right before it
        # (不想还, 没有还款意愿, 毫无诚意) says the opposite.
        "zh": r"(?<![不没无])(?<!没有)(?:"
        r"愿意(?:先|按时|尽快|继续|分期|主动|积极)?(?:还|偿还|归还|清偿|配合|协商|处理|解决)|"
        r"(?:想|打算|准备|计划)(?:尽快|分期|慢慢)?(?:还|偿还|归还)|"
        r"(?:还款|还钱|偿还|偿债|清偿|还债)(?:的)?(?:意愿|诚意|意向|打算)|有(?:意愿|诚意|意向)|"
        r"会(?:按时|尽快|努力|想办法|继续)?还|一定还|肯定还|不是不(?:想)?还|不会不还|我认(?![为识得真出可])|认这笔|会负责|"
        r"积极(?:还|处理|配合|解决)|想(?:把这事)?解决|希望(?:协商|解决|尽快还|能还)|还是想还|尽力还|会还清|不会赖)",
        "en": r"\b(?:want|intend|plan|mean|wish|hope|would\s+like|'d\s+like)\s+to\s+(?:pay|repay|resolve|settle|take\s+care|make\s+this\s+right)|"
        r"\b(?:i'm|i\s+am)\s+willing\b|\bnot\s+refusing\b|\bi\s+will\s+pay\s+(?:this|it)\b|\bpay\s+what\s+i\s+can\b|good\s+faith",
    },
    "hardship": {
        "zh": r"失业|裁员|被裁|被辞|辞退|离职|下岗|没(?:了)?工作|找不到工作|生病|住院|手术|看病|病了|车祸|受伤|家里出(?:了)?事|"
        r"收入(?:减少|下降|降低|少了|锐减|没了)|降薪|减薪|停工|停产|工资(?:发不出|拖欠|降|少)|欠薪|生意(?:失败|亏|不好|赔)|"
        r"怀孕|困难|周转不开|资金紧张|(?:手头|经济)(?:紧|困难)",
        "en": r"lost\s+my\s+job|laid\s+off|unemploy|\bfired\b|hours\s+(?:were\s+|got\s+)?cut|reduced\s+hours|medical|hospital|"
        r"surgery|\bsick\b|illness|injur|divorce|hardship|fell\s+behind\s+because|pay\s+cut|out\s+of\s+work|furlough|disab",
    },
    "written": {
        "zh": r"书面|短信|发(?:个|一个|一份)?(?:协议|合同|确认|文件|邮件)|协议|盖章|邮件|邮箱|截图|凭证|白纸黑字|文字(?:版|确认)|"
        r"(?:app|APP)(?:上|里)(?:显示|看到|确认|更新)|确认函|确认书",
        "en": r"in\s+writing|written|\bletter\b|mail\s+(?:me|it)|\bemail\b|send\s+(?:me\s+)?(?:it|that|this|a\s+copy|the\s+\w+)|"
        r"validation\s+notice|confirmation",
    },
    "agent_id": {
        "zh": r"工号|员工编号|(?:您|你)(?:怎么称呼|贵姓|叫什么|的名字|姓什么)|哪(?:个|家)(?:公司|机构|部门|平台)|"
        r"(?:公司|机构)(?:全称|名字|名称)|你是(?:哪里|哪儿|谁|什么人)|你们是(?:哪|什么)|来电号码|核实(?:你|您|一下)?(?:的)?身份",
        "en": r"your\s+(?:full\s+)?name|who\s+(?:am\s+i\s+speaking|is\s+this|are\s+you)|(?:what|which)\s+company|company'?s?\s+name|"
        r"mailing\s+address|call\s*-?\s*back\s+number|employee\s+(?:id|number)|your\s+(?:id|badge)|spell\s+(?:that|your)",
    },
    "itemised": {
        "zh": r"明细|本金|(?:利息|罚息|违约金|费用)(?:是|有|一共|各)?(?:多少|几)|年化|利率|怎么算|构成|账单|拆开|分别(?:是)?多少|实际到手|还了多少|费用(?:清单|明细)",
        "en": r"break\s*-?\s*(?:it\s+)?down|breakdown|itemi[sz]|principal|interest\s+and\s+fees|\bapr\b|interest\s+rate|"
        r"original\s+creditor|account\s+number|validat|verify\s+(?:the|this)\s+debt|how\s+(?:was|is|did)\b.*\bcalculated",
    },
    "waiver": {
        "zh": r"申请(?:减免|停息|挂账|延期|展期|个性化|停止计息|免除|减少|免|减)|停息挂账|停息|减免|免(?:除|掉|了)?(?:罚息|违约金|利息)|"
        r"(?:罚息|违约金|利息)(?:能不能|可不可以|可否|能否)?(?:减|免|少|停)|延期|展期|个性化分期",
        "en": r"\bwaive|waiver|(?:stop|freeze|pause)\s+(?:the\s+|all\s+)?(?:interest|fees)|reduce\s+(?:the\s+)?(?:fees|interest|balance)|"
        r"remove\s+(?:the\s+)?fees|hardship\s+program|settle\s+for\s+less|lower\s+the\s+balance|forgive",
    },
    "push_back": {
        "zh": r"违法|不合法|违规|投诉|举报|(?<!\d)(?:12378|12368|110)(?!\d)|银保监|金融监管|监管局|金融消费|互联网金融协会|报警|"
        r"(?:不要|别|停止)(?:再)?(?:联系|打给|骚扰|打电话给|威胁|找)|只(?:联系|找)我(?:本人)?|直接(?:找|联系)我本人|人民调解|调解|核实(?:一下)?(?:案号|立案)|保留证据|"
        r"文明(?:沟通|用语|一点|点)|客气(?:点|一点)|注意(?:你的)?(?:措辞|用词|态度)",
        "en": r"illegal|against\s+the\s+law|violat|fdcpa|\bcfpb\b|attorney\s+general|report\s+(?:you|this|it)|"
        r"watch\s+your\s+language|be\s+respectful|stop\s+(?:calling|contacting)|(?:do\s+not|don't)\s+(?:call|contact)|only\s+contact\s+me|contact\s+me\s+directly|\bcease\b|harass|i\s+dispute|dispute\s+(?:this|the)",
    },
    "record": {
        "zh": r"录音|在录",
        "en": r"\brecord(?:ed|ing)\b",
    },
}
_POINT_SIDE: dict[str, dict[str, str]] = {
    "willing": {"zh": r"这笔钱我认|并不是不想还", "en": r"want\s+to\s+resolve"},
    "hardship": {"zh": r"\{hardship\}", "en": r"\{hardship\}"},
    "plan": {"zh": r"\{periods\}|\{monthly\}|每期", "en": r"\{periods\}|\{monthly\}|payments\s+of"},
    "written": {"zh": r"书面|短信", "en": r"in\s+writing"},
    "agent_id": {"zh": r"工号|怎么称呼|机构全称", "en": r"full\s+name|what\s+company|callback"},
    "itemised": {"zh": r"本金|年化|明细", "en": r"broken\s+down|principal|validation\s+notice"},
    "waiver": {"zh": r"减免|停息|停止计息", "en": r"interest\s+and\s+fees\s+stop|waive"},
    "push_back": {"zh": r"投诉|12378|不要再联系|110", "en": r"cfpb|stop\s+contacting|dispute"},
    "record": {"zh": r"录音", "en": r"recorded"},
}


def _rx(table: Mapping[str, Mapping[str, str]], lang: str) -> dict[str, re.Pattern[str]]:
    return {k: re.compile(v[lang], re.I) for k, v in table.items() if lang in v}


_REPLY_RX = {lang: _rx(_POINT_REPLY, lang) for lang in ("zh", "en")}
_POINT_RX = {lang: _rx(_POINT_SIDE, lang) for lang in ("zh", "en")}


def covered_points(points: Sequence[str], said: str, lang: str, values: Mapping[str, object]) -> list[int]:
    """Which of a stage's talking points (unfilled) the user's own words just covered, by index."""
    kinds = set(read_reply(said, lang, Numbers.from_values(values)).kinds)
    return [i for i, point in enumerate(points) if point_kinds(point, lang) & kinds]


def point_kinds(point: str, lang: str) -> set[str]:
    """Which kinds a playbook talking point (unfilled, with its {placeholders}) belongs to."""
    return set(point_weights(point, lang))


def point_weights(point: str, lang: str) -> dict[str, int]:
    """Like point_kinds, with how many cue words of each kind the point has (more: a better example)."""
    lang = "zh" if lang.startswith("zh") else "en"
    out: dict[str, int] = {}
    for table in (_POINT_RX[lang], _REPLY_RX[lang]):
        for k, rx in table.items():
            n = len({m.group(0) for m in rx.finditer(point)})
            if n:
                out[k] = out.get(k, 0) + n
    return out


# --------------------------------------------------------------------------------------------------------------
# Pitfalls
# --------------------------------------------------------------------------------------------------------------

_NOT_NOW_EN = (
    r"\b(?:today|tonight|now|on\s+(?:this|the)\s+(?:call|phone)|over\s+the\s+phone|until|till|before|unless|yet|"
    r"in\s+writing|fees?|charges?|gift\s+cards?|by\s+(?:card|check|phone|wire)|wire|western\s+union)\b"
)
"""Words that make 'I won't pay' / 'I'm not paying' refuse one thing (a fee, gift cards), or put a payment off (today,
on this call, until it is in writing), as the en-US playbook's own answers do, rather than refuse to pay at all."""
_NO_MONEY_HARD = {
    "zh": r"一分(?:钱)?(?:都|也)?(?:没有|没|拿不出|还不了|给不了)|身无分文|一(?:点|毛)钱?(?:都|也)没|分文(?:没有|全无)|要钱没有|"
    r"什么(?:钱)?都没有|完全没(?:有)?钱|一点都还不了|不还了|就是不还|还个屁|没钱还(?:你|你们)?(?:了)?$",
    "en": r"\bno\s+money\b|don't\s+have\s+(?:any|a)\s+(?:money|dime|penny|cent)|\bnot\s+a\s+(?:dime|penny|cent)\b|"
    r"can't\s+pay\s+(?:anything|a\s+(?:thing|dime|cent|penny))|\bi'?m\s+(?:flat\s+)?broke\b|"
    r"(?:\b(?:i'?m\s+)?not\s+paying\b|\bi\s+won't\s+pay\b)(?![^.;!?]*"
    + _NOT_NOW_EN
    + r")|\bnever\s+(?:going\s+to\s+)?pay",
}
_REFUSE_ALL = {
    # Not paying anything at all: the smallest sum refused (一分钱也不还, 一毛都不会给, 一分也别想拿) or a whole
    # clause that is only a refusal (我就不还, 我不打算还了). 一分钱也不会少还 and 先不还 are not refusals.
    "zh": r"(?:一分|一毛|一块|一点|分文|半毛|一个子儿?)钱?(?:都|也)?(?:不|别想)(?:会|打算|想|准备|可能|再)?"
    r"(?:还|给|付|交|出|拿|要)|"
    r"^(?:那|反正|总之|所以)?(?:我|老子)?(?:就|就是|偏|偏偏|坚决|绝对|根本|死也|肯定|永远|再也)?(?:也)?"
    r"不(?:打算|想|准备|会|再)?还(?:钱|你们?|了)*(?:啦|的|啊|呀|吧)?$",
    "en": r"$^",
}
"""Per clause, double negatives (不是不还) removed first."""
_NO_MONEY_SOFT = {
    "zh": r"(?:我|现在|真的|确实|就是)?没(?:有)?钱(?!一次性|全部|全额|还全|结清|还清|一下子)",
    "en": r"$^",
}
_ANGER = {
    # Swear words that are also ordinary words are matched only where they swear: 妈的 but not 我妈的电话 or
    # 妈妈的 (someone's mother), 有病 said of the agent but not 我妈有病, 滚 but not 利滚利.
    "zh": r"骗子|(?<![利越])滚(?![利动雪])|(?<![我俺咱她爸老妈姨舅姑岳])妈(?:的|了个)(?!\s*(?:电话|号码|手机|微信|联系方式|地址|qq))|"
    r"tmd|操你|草泥马|cnm|傻逼|傻b|sb|煞笔|去死|(?:你|你们)(?:是不是|真是|真|就是)?有病|有病(?:吧|啊|呀)|神经病|混蛋|王八蛋|畜生|垃圾|狗东西|吸血鬼|强盗|土匪|"
    r"闭嘴|少废话|你算什么东西|爱咋咋地|随便你们?|告就告|有本事|老子|你妈|找死|烦死了|别烦我|[!！]{2,}",
    "en": r"\bfuck|\bshit|damn\s+you|\bidiot|\bmoron|\bstupid\b|screw\s+you|go\s+to\s+hell|shut\s+up|bastard|\bscammers?\b|"
    r"\byou(?:'re|\s+are)\s+(?:a\s+)?(?:scam|crook|thief|liar|joke)|\bcrooks\b|\bthieves\b|\bliars\b|bloodsucker|leech|sue\s+me\b|piss\s+off|kiss\s+my|!{2,}",
}
_RELATIONS = {
    "zh": r"爸|妈|父亲|母亲|老婆|老公|妻子|丈夫|爱人|对象|女朋友|男朋友|哥|姐|弟|妹|儿子|女儿|家人|家里人|亲戚|朋友|同事|领导|老板|室友|同学|"
    r"紧急联系人|单位|公司",
    "en": r"wife|husband|mother|mom|father|dad|sister|brother|parents?|son|daughter|boss|employer|friend|co-?worker|"
    r"roommate|neighbou?r|cousin|aunt|uncle|girlfriend|boyfriend|partner|work",
}
_CONTACT_WORD = {"zh": r"电话|号码|手机|微信|联系方式|地址|qq", "en": r"phone|number|cell|contact|e-?mail|address"}
_PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|\d{3}[-. )]\s?\d{3}[-. ]\d{4}|\d{7,8})(?!\d)")
_GIVE = {
    "zh": r"(?:给|发|告诉)(?:你|您)|(?:你|您)(?:可以|就|去|直接|再)*(?:找|打给|打电话给|联系|问)",
    "en": r"\b(?:you\s+can|go\s+ahead\s+and|try|just)\s+(?:call|reach|contact|ask)\b|i'?ll\s+give\s+you|here'?s\s+my",
}
_PRIVATE = {
    "zh": r"个人(?:账户|账号|卡|微信|支付宝|收款码)|私人(?:账户|账号|卡|微信|收款码)|(?:你|您)(?:的)?(?:个人)?(?:微信|支付宝|银行卡|卡上|卡里|收款码|二维码)|"
    r"扫(?:你|您)?(?:的)?(?:码|二维码)|转(?:给|到)(?:你|您)(?:个人|私人)",
    "en": r"(?:your|his|her|a)\s+(?:personal|own|private)\s+(?:account|card|venmo|zelle|paypal)|\bvenmo\b|\bzelle\b|"
    r"cash\s*app|gift\s+cards?|western\s+union|moneygram|wire\s+it\s+to\s+you",
}
_BANK = {
    "zh": r"(?:卡号|密码|验证码|cvv|安全码)(?:是|:|：)|(?<!\d)\d{16,19}(?!\d)",
    "en": r"(?:card|account|routing)\s+number\s+(?:is|:)|(?<!\d)(?:\d{4}[ -]){3}\d{4}(?!\d)|\bcvv\b|(?<!\d)\d{16}(?!\d)",
}
_FEE = {
    "zh": r"手续费|服务费|保证金|押金|工本费|诚意金|定金|办理费",
    "en": r"processing\s+fee|convenience\s+fee|service\s+fee|deposit|set-?up\s+fee",
}
_BORROW = {
    # 借 then 还 with a few words between (借点钱还你, 借一笔来还上), but not a past loan (借的, 借款) or 还 as
    # "still" (还是, 还有, 还没); or going to a lender, a platform or people to borrow (去网贷借, 跟亲戚借).
    "zh": r"以贷还贷|以贷养贷|借新还旧|拆东墙|撸口子|套现|刷信用卡|"
    r"借(?![的款条据过])[^，,。.！!？?；;不没]{0,6}?还(?![是有要在没不])|"
    r"(?:去|找|跟|向|问|从|在|到|上|用|和)(?:网贷|网上|贷款|信用卡|花呗|借呗|白条|微粒贷|高利贷|小贷|口子|别的平台|其他平台|"
    r"别家|亲戚|朋友|家里|家人|同事|别人|人)(?:那里|那儿|那边|里|上)?(?:再|先)?(?:借|贷|套|刷|撸)",
    "en": r"\bborrow\b|take\s+out\s+(?:a|another)\s+loan|put\s+it\s+on\s+(?:my|a)\s+credit\s+card|cash\s+advance|payday\s+loan",
}
_TOLD_TO = {
    "zh": r"(?:你|你们)(?:是)?(?:让|叫|要|逼|劝|要求|建议|诱导|催)我",
    "en": r"\byou(?:'re|\s+are)?\s+(?:tell|telling|told|want|wanting|asking|asked|push|pushing)\w*\s+me\b",
}
"""Words that put what follows in the agent's mouth: 你让我去借 reports the demand, it does not agree to it."""
_LARGE = {
    "zh": r"全部|全额|一次性|结清|还清|一半|半数|大部分|首付|头期|百分之[三四五六七八九]十|[3-9]0\s*%|全款",
    "en": r"\ball\s+of\s+it\b|\bin\s+full\b|\bfull\s+(?:balance|amount)\b|\bthe\s+whole\b|\bhalf\b|lump\s+sum|\bentire\s+balance\b",
}

# Agent intents that ask for something, and the pitfall the user falls into by agreeing.
DEMANDS: dict[str, str] = {
    "pay-in-full": "agree_large_payment",
    "large-first-payment": "agree_large_payment",
    "lump-sum-discount": "agree_large_payment",
    "settlement-offer": "agree_large_payment",
    "private-account": "private_account",
    "contacts-request": "give_contacts",
    "extra-fee": "pay_fee",
    "fee-demand": "pay_fee",
    "borrow-to-repay": "borrow_to_repay",
    "bank-info-request": "bank_details",
}
# Intents whose amounts are checked against the budget when the user agrees (a small payment today is fine).
_AMOUNT_DEMANDS = frozenset(
    {"pay-something-today", "pay-today", "deadline-ultimatum", "offer-installment", "payment-plan-offer", "agree-plan"}
)


@dataclass(frozen=True)
class Numbers:
    """The user's figures as numbers (from the placeholder values)."""

    debt: float | None = None
    apr: float = 0.0
    periods: int | None = None
    monthly: float | None = None
    income: float | None = None
    affordable: float | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> Numbers:
        """Parse '23,600.00'-style placeholder values."""

        def num(key: str) -> float | None:
            v = values.get(key)
            if v in (None, ""):
                return None
            try:
                return float(str(v).replace(",", ""))
            except ValueError:
                return None

        periods = num("periods")
        return cls(
            debt=num("debt"),
            apr=num("apr") or 0.0,
            periods=int(periods) if periods else None,
            monthly=num("monthly"),
            income=num("income"),
            affordable=num("affordable"),
        )

    @property
    def first_cap(self) -> float | None:
        """The largest first or one-off payment that is not 'large': one month's budget, else a fifth of the debt."""
        if self.affordable:
            return self.affordable
        return self.debt * 0.2 if self.debt else None


@dataclass(frozen=True)
class Pitfall:
    """A pitfall the reply fell into, with the words or numbers that show it."""

    kind: str
    evidence: str

    def label(self, lang: str) -> str:
        """Short name in the UI language."""
        return PITFALLS[self.kind].label(lang)

    def advice(self, lang: str) -> str:
        """What to do instead."""
        return PITFALLS[self.kind].advice(lang)


@dataclass(frozen=True)
class Reading:
    """Everything the coach reads in one reply."""

    kinds: tuple[str, ...]
    """Talking-point kinds covered (POINTS keys)."""
    pitfalls: tuple[Pitfall, ...]
    acts: tuple[str, ...]
    """What the reply does: agree, refuse, question, silent."""
    clauses: tuple[Clause, ...] = field(default=(), repr=False)


def _search(pattern: str, s: str) -> re.Match[str] | None:
    return re.search(pattern, s, re.I)


def _over_budget(amount: float, nums: Numbers) -> bool:
    return nums.affordable is not None and amount > nums.affordable * 1.01


def _implied_monthly(periods: float, nums: Numbers) -> float | None:
    if not nums.debt or not (1 <= periods <= 600):
        return None
    return annuity_payment(nums.debt, nums.apr, int(periods))


def read_reply(
    reply: str,
    lang: str,
    nums: Numbers,
    *,
    agent_line: str = "",
    agent_intent: str | None = None,
) -> Reading:
    """Read a reply to one agent line: points covered, pitfalls, and what it does."""
    lang = "zh" if lang.startswith("zh") else "en"
    s = normal(reply)
    if not s:
        return Reading((), (), ("silent",))
    cl = clauses(reply, lang)
    kinds = [k for k, rx in _REPLY_RX[lang].items() if rx.search(s)]

    committed = [c for c in cl if c.commits]
    money_committed = [a for c in committed for a in c.amounts if a.kind == "money"]
    periods_said = [a for c in cl if not c.negated for a in c.amounts if a.kind in ("periods", "months")]
    monthly_said = [a for c in cl if not c.negated for a in c.amounts if a.kind == "money" and a.monthly]
    offered = [a for c in committed if c.pays for a in c.amounts if a.kind == "money"]
    if monthly_said or periods_said or offered:
        kinds.append("plan")

    acts: list[str] = []
    agrees = any(c.agrees and c.commits for c in cl) and not any(c.negated for c in cl)
    if agrees:
        acts.append("agree")
    if any(c.negated for c in cl):
        acts.append("refuse")
    if any(c.question for c in cl):
        acts.append("question")

    pits: list[Pitfall] = []

    def add(kind: str, evidence: str) -> None:
        if all(p.kind != kind for p in pits):
            pits.append(Pitfall(kind, evidence))

    m = _search(_NO_MONEY_HARD[lang], s)
    if m:
        add("no_money", m.group(0))
    elif refusal := next(
        (c for c in cl if not c.question and _search(_REFUSE_ALL[lang], _ZH_DOUBLE_NEG.sub("", c.text))), None
    ):
        add("no_money", refusal.text)
    elif not money_committed:
        m = _search(_NO_MONEY_SOFT[lang], s)
        if m:
            add("no_money", m.group(0))
    m = _search(_ANGER[lang], reply if lang == "en" else s)
    if m:
        add("angry", m.group(0))
    elif lang == "en" and re.search(r"\b[A-Z]{2,}(?:\s+[A-Z]{2,}){2,}\b", reply):
        add("angry", re.search(r"\b[A-Z]{2,}(?:\s+[A-Z]{2,}){2,}\b", reply).group(0))  # type: ignore[union-attr]

    # Someone else's contact details: a relation with a contact word or a number, given rather than withheld.
    for c in committed:
        rel = _search(_RELATIONS[lang], c.text)
        if not rel:
            continue
        phone = _PHONE.search(c.text)
        contact = _search(_CONTACT_WORD[lang], c.text)
        give = _search(_GIVE[lang], c.text)
        if phone or (contact and (give or re.search(r"(?:是|:|：|\bis\b)", c.text))) or give:
            add("give_contacts", c.text)
            break
    phone = _PHONE.search(s)
    if phone and _search(_RELATIONS[lang], s):
        add("give_contacts", phone.group(0))

    for kind, table in (("private_account", _PRIVATE), ("bank_details", _BANK), ("pay_fee", _FEE)):
        for c in committed:
            m = _search(table[lang], c.text)
            if m and (c.pays or c.agrees or kind == "bank_details"):
                add(kind, c.text)
                break
    for c in committed:
        m = _search(_BORROW[lang], c.text)
        if m and not _search(_TOLD_TO[lang], c.text[: m.start()]):
            add("borrow_to_repay", c.text)
            break

    # Promised amounts against the budget.
    cap = nums.first_cap
    for c in committed:
        if not (c.pays or c.agrees):
            continue
        for a in c.amounts:
            if a.kind != "money":
                continue
            if a.monthly:
                if _over_budget(a.value, nums):
                    add("over_promise", f"{a.text} > {money(nums.affordable or 0)}")
            elif cap is not None and a.value > cap * 1.01:
                add("agree_large_payment", f"{a.text} > {money(cap)}")
        if _search(_LARGE[lang], c.text) and (c.pays or c.agrees):
            add("agree_large_payment", c.text)
    if not monthly_said:
        for c in committed:
            for a in c.amounts:
                if a.kind in ("periods", "months"):
                    m_imp = _implied_monthly(a.value, nums)
                    if m_imp is not None and _over_budget(m_imp, nums):
                        add("over_promise", f"{a.text} → {money(m_imp)} > {money(nums.affordable or 0)}")

    # Agreeing to what the agent asked, without numbers of one's own.
    if agrees and not money_committed and not periods_said:
        pits.extend(_agreed_to(agent_line, agent_intent, lang, nums, s, [p.kind for p in pits]))

    return Reading(tuple(dict.fromkeys(kinds)), tuple(pits), tuple(acts), tuple(cl))


def _agreed_to(
    agent_line: str, intent: str | None, lang: str, nums: Numbers, reply: str, already: Iterable[str]
) -> list[Pitfall]:
    """Pitfalls of saying yes to this agent line."""
    out: dict[str, Pitfall] = {}
    agent = normal(agent_line)
    evidence = f"“{agent_line}” → “{reply}”" if lang == "zh" else f'"{agent_line}" → "{reply}"'
    kind = DEMANDS.get(intent or "")
    if kind:
        out[kind] = Pitfall(kind, evidence)
    for k, table in (
        ("private_account", _PRIVATE),
        ("pay_fee", _FEE),
        ("borrow_to_repay", _BORROW),
        ("agree_large_payment", _LARGE),
    ):
        if _search(table[lang], agent):
            out.setdefault(k, Pitfall(k, evidence))
    if intent in _AMOUNT_DEMANDS or intent is None:
        for a in find_amounts(agent):
            if a.kind == "money" and a.monthly and _over_budget(a.value, nums):
                out.setdefault("over_promise", Pitfall("over_promise", f"{a.text} > {money(nums.affordable or 0)}"))
            elif a.kind == "money" and not a.monthly and nums.first_cap and a.value > nums.first_cap * 1.01:
                out.setdefault(
                    "agree_large_payment", Pitfall("agree_large_payment", f"{a.text} > {money(nums.first_cap)}")
                )
            elif a.kind in ("periods", "months"):
                m_imp = _implied_monthly(a.value, nums)
                if m_imp is not None and _over_budget(m_imp, nums):
                    out.setdefault(
                        "over_promise",
                        Pitfall("over_promise", f"{a.text} → {money(m_imp)} > {money(nums.affordable or 0)}"),
                    )
    # Agreeing to a threat is not a pitfall in itself; agreeing to a small payment today is fine.
    skip = set(already)
    return [p for k, p in out.items() if k not in skip]

"""Build ASR-style and Traditional-Chinese variants of the zh-CN matcher test set.

Reads  tests/data/match_zh.tsv            (header: intent<TAB>text)
Writes tests/data/match_zh_asr.tsv        Vosk-like transcripts: no punctuation,
                                          words split by single spaces, numbers as
                                          Chinese number words, 1-2 homophone errors,
                                          occasional fillers.
       tests/data/match_zh_trad.tsv       OpenCC s2tw conversion.

Deterministic: one random.Random(0) drives every choice, lines are processed in
file order, and no set/dict iteration order influences a random choice.

Run from the repository root:
    .venv/bin/python benchmarks/make_variants.py
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from opencc import OpenCC
from pypinyin import Style, lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "tests" / "data" / "match_zh.tsv"
OUT_ASR = ROOT / "tests" / "data" / "match_zh_asr.tsv"
OUT_TRAD = ROOT / "tests" / "data" / "match_zh_trad.tsv"

# ---------------------------------------------------------------------------
# Homophone table: toneless pinyin -> characters that an ASR model confuses.
# Every candidate is re-checked with pypinyin below; characters whose default
# reading differs from the key are dropped.
# ---------------------------------------------------------------------------
HOMOPHONES: dict[str, str] = {
    "yu": "于余鱼与雨语预域遇愈欲玉育狱誉逾愉渔予宇羽",
    "qi": "期其奇起气器汽七妻齐骑旗企启弃棋",
    "huan": "还环换欢缓患唤幻",
    "kuan": "款宽",
    "li": "利理里力立例丽离李礼历励粒厉",
    "xi": "息西希系戏细喜席吸惜习洗析悉溪",
    "xie": "协鞋些写谢斜歇械",
    "shang": "商上伤尚赏",
    "zhai": "债宅窄摘寨",
    "fa": "罚法发乏伐阀",
    "jin": "金今进近尽紧斤仅禁津锦",
    "e": "额饿俄鹅恶厄",
    "zheng": "征正证整政争睁症挣",
    "xin": "信新心欣辛薪芯",
    "fen": "分份纷粉奋愤芬",
    "bu": "不部步布补捕",
    "yi": "一以已意义亿易议依医衣移艺忆益",
    "ci": "次此词刺瓷辞",
    "xing": "性行星型兴形醒姓幸",
    "shi": "是事时市试式十实使史示士世视识失师诗湿",
    "ni": "你泥尼逆腻拟",
    "wo": "我握卧窝沃",
    "hao": "好号豪浩耗毫",
    "de": "的得德",
    "ke": "可科客课克刻渴",
    "zhi": "之只知支直指制至治志职纸止值智",
    "jie": "借接街节结界届解姐介",
    "dai": "贷带代待袋戴呆",
    "tian": "天田甜添填",
    "you": "有又由友右油游优邮",
    "mei": "没每美梅妹煤媒",
    "qian": "钱前欠千签潜浅迁铅",
    "hu": "户呼胡湖虎护互糊",
    "zhang": "账张章掌涨丈障",
    "dan": "单但担蛋淡胆丹",
    "ming": "名明命鸣铭",
    "shou": "收手首受售守瘦寿",
    "ru": "如入乳辱儒",
    "guan": "关官管观馆惯",
    "fu": "付父服府副富复福负夫妇扶",
    "wei": "为位未委卫味围维伟微尾危",
    "ban": "办半版板班般伴扮",
    "chu": "处出除初储触楚厨",
    "ji": "机及几即记级急计技极集际基积既迹",
    "ju": "局具据举居聚拒句剧巨",
    "tong": "通同统痛童铜筒",
    "su": "诉速素宿塑俗肃",
    "song": "送松宋颂",
    "lu": "录路陆露鹿炉卢",
    "yin": "音因引银印隐饮阴",
    "wen": "问文闻稳温纹吻",
    "ti": "提体题替梯踢",
    "jiao": "交叫教脚焦郊骄",
    "gong": "工公功共攻供宫弓",
    "si": "四思私死司丝似寺",
    "ge": "个各歌哥格隔割",
    "dian": "电点店典垫殿淀",
    "hua": "话化花华画滑划",
    "tai": "太态台抬泰",
    "du": "度读独毒渡杜堵",
    "men": "们门闷",
    "ba": "吧把八爸巴拔霸",
    "ma": "吗妈马码骂麻",
    "zai": "在再载灾宰",
    "zhe": "这者哲折浙",
    "na": "那拿哪纳呐",
    "jiu": "就久九旧救酒舅",
    "zi": "自子字资紫姿",
    "suan": "算酸蒜",
    "chuan": "传穿船串川",
    "ting": "停听庭挺亭",
    "gua": "挂瓜刮寡",
    "tou": "头投透偷",
    "shen": "身深神审伸申甚肾",
    "zhu": "主住注助著猪竹祝",
    "mian": "面免棉眠",
    "jian": "件见间减建简检坚健尖",
    "zhan": "展站占战沾",
    "yan": "延言眼研严盐演烟验",
    "chang": "常场尝厂唱",
    "yuan": "元原员源院远愿圆",
    "kuai": "快块筷",
    "dui": "对队堆兑",
    "shuo": "说硕朔",
    "deng": "等灯登瞪邓",
    "qing": "请清轻青情晴庆",
    "shao": "稍烧少勺绍",
    "hou": "后候厚猴吼",
}

# Characters with several readings that we resolve ourselves (pypinyin has no
# phrase entry for e.g. 还款 and would read it "hai kuan").
HAI_NEXT = set("有是在要没得欠算可会行挺真能剩差想记需很")


def _toneless(ch: str) -> str:
    return lazy_pinyin(ch, style=Style.NORMAL)[0]


def build_homophone_map() -> tuple[dict[str, list[str]], int]:
    """char -> sorted list of other chars with the same toneless default pinyin."""
    groups: dict[str, list[str]] = {}
    n_chars = 0
    for key in sorted(HOMOPHONES):
        ok = [c for c in dict.fromkeys(HOMOPHONES[key]) if _toneless(c) == key]
        n_chars += len(ok)
        groups[key] = ok
    cmap: dict[str, list[str]] = {}
    for key in sorted(groups):
        for c in groups[key]:
            cmap.setdefault(c, [])
            cmap[c].extend(x for x in groups[key] if x != c and x not in cmap[c])
    return cmap, n_chars


def readings_in_context(text: str) -> list[str]:
    """Toneless pinyin for each character of text (non-Han chars map to themselves)."""
    out = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: list(s))
    if len(out) != len(text):  # alignment safety net
        out = [_toneless(c) for c in text]
    for i, c in enumerate(text):
        if c == "还":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            out[i] = "hai" if nxt in HAI_NEXT else "huan"
    return out


# ---------------------------------------------------------------------------
# Numbers -> Chinese number words (Vosk writes 一千五百, not 1500)
# ---------------------------------------------------------------------------
DIG = "零一二三四五六七八九"
# keyword shortly before the number -> read digit by digit (phone, ids, card tails)
DIGITWISE_CONTEXT = re.compile(r"(工号|警号|尾号|后四位|后六位|热线|编号|号码|账号|卡号)")
# number directly followed by these -> a name read digit by digit (360借条 -> 三六零借条)
DIGITWISE_AFTER = ("借条", "金融", "分期")


def _section(n: int) -> str:
    """0 < n < 10000."""
    units = ["", "十", "百", "千"]
    s, zero = "", False
    for pos in (3, 2, 1, 0):
        d = n // 10**pos % 10
        if d == 0:
            if s:
                zero = True
            continue
        if zero:
            s += "零"
            zero = False
        s += ("两" if d == 2 and pos >= 2 else DIG[d]) + units[pos]
    return s


def int_to_zh(n: int) -> str:
    if n == 0:
        return "零"
    if 10 <= n < 20:
        return "十" + (DIG[n % 10] if n % 10 else "")
    parts = []
    yi, rest = divmod(n, 10**8)
    wan, low = divmod(rest, 10**4)
    if yi:
        parts.append(("两" if yi == 2 else int_to_zh(yi)) + "亿")
    if wan:
        if yi and wan < 1000:
            parts.append("零")
        if wan == 2:
            head = "两"
        elif 10 <= wan < 20 and not yi:
            head = int_to_zh(wan)  # 十万, not 一十万
        else:
            head = _section(wan)
        parts.append(head + "万")
    if low:
        if (yi or wan) and low < 1000:
            parts.append("零")
        parts.append(_section(low))
    return "".join(parts)


def chunk_number_word(word: str) -> list[str]:
    """Split 一万两千三百四十五 into 一万 两千 三百 四十五 (each <= 3 chars)."""
    toks, cur = [], ""
    for c in word:
        cur += c
        if c in "万亿千百" or len(cur) == 3:
            toks.append(cur)
            cur = ""
    if cur:
        toks.append(cur)
    return toks


def digits_to_tokens(digs: str, rng: random.Random) -> list[str]:
    spoken = "".join(DIG[int(d)] for d in digs)
    toks, i = [], 0
    while i < len(spoken):
        k = rng.choice((2, 3))
        toks.append(spoken[i : i + k])
        i += k
    return toks


def number_tokens(num: str, before: str, after: str, rng: random.Random) -> list[str]:
    pct = num.endswith("%")
    num = num.rstrip("%")
    if "." in num:
        ip, fp = num.split(".", 1)
        toks = chunk_number_word(int_to_zh(int(ip))) + ["点" + "".join(DIG[int(d)] for d in fp)]
    elif (
        DIGITWISE_CONTEXT.search(before[-6:])
        or after.startswith(DIGITWISE_AFTER)
        or len(num) >= 7
        or (len(num) > 1 and num.startswith("0"))
        or (len(num) == 4 and after.startswith("年"))
    ):
        toks = digits_to_tokens(num, rng)
    else:
        toks = chunk_number_word(int_to_zh(int(num)))
    if pct:
        toks = ["百分之"] + toks
    return toks


# ---------------------------------------------------------------------------
# Crude segmentation: forward maximum matching on a small hand lexicon, runs of
# unknown characters are cut into random 1-2 character chunks.
# ---------------------------------------------------------------------------
LEXICON_TEXT = """
逾期 还款 还钱 还清 还上 利息 罚息 违约金 滞纳金 本金 协商 分期 延期 展期 减免 停息 挂账
结清 欠款 欠钱 账单 账户 金额 总额 一共 合计 剩余 待还 应还 征信 黑名单 通讯录 紧急 联系人
联系 电话 短信 微信 支付宝 银行卡 银行 对公 官方 渠道 个人 私人 收款码 二维码 手续费 保证金
服务费 押金 律师 律师函 起诉 法院 法律 程序 诉讼 传票 立案 执行 派出所 公安 经侦 警官 民警
坐牢 拘留 刑事 责任 诈骗 犯罪 判刑 老赖 不要脸 骗子 废物 小心 注意 安全 上门 外访 户籍
单位 公司 领导 同事 老板 人事 家里 家人 父母 爸妈 老婆 老公 亲戚 朋友 孩子 担保人 本人
身份证 手机号 后四位 姓名 核对 核实 确认 录音 通话 全程 提醒 平台 客服 系统 申请 审批 审核
主管 上级 通知 方案 每期 每月 首期 首付 一半 一次性 全部 全额 一部分 今天 明天 下午 上午 晚上
中午 之前 之后 最后 机会 期限 时间 什么 为什么 怎么 多少 哪天 几号 时候 能不能 可以 不能 没有
需要 必须 已经 现在 目前 这边 那边 我们 你们 他们 咱们 自己 这个 那个 这笔 这次 情况 原因
困难 证明 流水 病历 失业 离职 工作 收入 工资 上班 做生意 其他 还有 一下 一点 先还 直接 处理
帮你 给你 跟你 告诉 知道 不要 不想 不会 不是 就是 还是 但是 如果 的话 所以 因为 而且 然后
您好 你好 请问 麻烦 不好意思 谢谢 好的 稍等 方便 提供 上传 发过来 截图 材料 发票 单据 借款
借呗 花呗 微粒贷 分期乐 借条 金条 京东 安逸花 招联 金融 消费 度小满 美团 拍拍贷 网贷 贷款
信用卡 额度 周转 口子 以贷还贷 套现 提现 优惠 打折 折扣 八折 九折 六折 七成 零头 不可能
合同 产生 范围 规定 政策 业务 支持 接受 正常 方式 权限 回复 结果 登记 复述 说定 定了
扣款 开始 首次 日期 月供 期数 开户行 户名 备注 编号 小程序 公众号 柜台 转账 委托 委外 第三方
外包 机构 催收 律所 事务所 调解 资产 管理 债权 案件 案子 团队 专业 打断 兄弟 收拾 街上 门口
全网 通报 信息 记录 上报 影响 考公 房贷 车贷 信用 清零 全完 央行 消不掉 恶意 拖欠 透支
"""
LEXICON = frozenset(LEXICON_TEXT.split())
PUNCT = re.compile(r"[^\w%.]+")
TOKEN = re.compile(r"\d+(?:\.\d+)?%?|[A-Za-z]+|[\u4e00-\u9fff]+")
FILLERS = ["嗯", "那个", "就是", "呃", "啊"]


def segment_han(run: str, rng: random.Random) -> list[str]:
    toks: list[str] = []
    singles = ""

    def flush() -> None:
        nonlocal singles
        i = 0
        while i < len(singles):
            k = 1 if rng.random() < 0.5 else 2
            toks.append(singles[i : i + k])
            i += k
        singles = ""

    i = 0
    while i < len(run):
        for k in (3, 2):
            if i + k <= len(run) and run[i : i + k] in LEXICON:
                flush()
                toks.append(run[i : i + k])
                i += k
                break
        else:
            singles += run[i]
            i += 1
    flush()
    return toks


def to_asr(text: str, hmap: dict[str, list[str]], rng: random.Random) -> tuple[str, int]:
    clauses = [c for c in PUNCT.split(text) if c]
    tokens: list[str] = []
    for clause in clauses:
        for m in TOKEN.finditer(clause):
            t = m.group(0)
            if t[0].isdigit():
                tokens += number_tokens(t, clause[: m.start()], clause[m.end() :], rng)
            elif t[0].isascii():
                tokens.append(t.lower())
            else:
                tokens += segment_han(t, rng)

    # homophone substitutions, decided on the reading of the whole line
    flat = "".join(tokens)
    reads = readings_in_context(flat)
    eligible = [i for i, c in enumerate(flat) if c in hmap and reads[i] == _toneless(c) and hmap[c]]
    # 还 read as huan is eligible although its default reading is hai
    eligible += [i for i, c in enumerate(flat) if c == "还" and reads[i] == "huan"]
    eligible.sort()
    n_sub = 0
    chars = list(flat)
    if eligible:
        k = min(len(eligible), 1 if rng.random() < 0.6 else 2)
        for i in sorted(rng.sample(eligible, k)):
            c = chars[i]
            cands = hmap[c] if c != "还" else [x for x in HOMOPHONES["huan"] if x != "还"]
            chars[i] = rng.choice(cands)
            n_sub += 1
    # put the substituted characters back into the token boundaries
    out, pos = [], 0
    for t in tokens:
        out.append("".join(chars[pos : pos + len(t)]))
        pos += len(t)

    # fillers
    if rng.random() < 0.4:
        n_fill = 2 if rng.random() < 0.25 else 1
        for _ in range(n_fill):
            out.insert(rng.randint(0, len(out)), rng.choice(FILLERS))
    return " ".join(out), n_sub


def read_tsv(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != "intent\ttext":
        sys.exit(f"{path}: bad or missing header")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        intent, sep, text = line.partition("\t")
        if not sep or not text.strip():
            sys.exit(f"{path}:{n}: expected intent<TAB>text")
        rows.append((intent.strip(), text.strip()))
    return rows


def write_tsv(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write("intent\ttext\n")
        for intent, text in rows:
            f.write(f"{intent}\t{text}\n")


def main() -> None:
    rng = random.Random(0)
    hmap, n_table = build_homophone_map()
    rows = read_tsv(SRC)

    asr_rows, subs, no_sub, fills = [], 0, 0, 0
    for intent, text in rows:
        v, n = to_asr(text, hmap, rng)
        subs += n
        no_sub += n == 0
        fills += sum(1 for t in v.split() if t in FILLERS)
        asr_rows.append((intent, v))
    write_tsv(OUT_ASR, asr_rows)

    cc = OpenCC("s2tw")
    trad_rows = [(intent, cc.convert(text)) for intent, text in rows]
    write_tsv(OUT_TRAD, trad_rows)

    n_none = sum(1 for i, _ in rows if i == "-")
    print(f"homophone table: {n_table} characters in {len(HOMOPHONES)} groups")
    print(f"read  {SRC.relative_to(ROOT)}: {len(rows)} rows ({len(rows) - n_none} intent, {n_none} '-')")
    print(
        f"wrote {OUT_ASR.relative_to(ROOT)}: {len(asr_rows)} rows, "
        f"{subs} homophone substitutions, {no_sub} rows without one, {fills} fillers"
    )
    print(f"wrote {OUT_TRAD.relative_to(ROOT)}: {len(trad_rows)} rows")


if __name__ == "__main__":
    main()

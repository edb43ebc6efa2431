"""The matcher: decisions on typical lines, robustness to ASR and script, reasons, and quality floors."""

from __future__ import annotations

import pytest

from benchmarks.match import SETS, evaluate, read_set
from callassist import playbook as pb
from callassist.matcher import Matcher


@pytest.fixture(scope="module")
def zh() -> Matcher:
    return Matcher(pb.load(language="zh-CN", user_overrides=False))


@pytest.fixture(scope="module")
def en() -> Matcher:
    return Matcher(pb.load(language="en-US", user_overrides=False))


@pytest.mark.parametrize(
    "text", ["喂你好", "请稍等", "嗯好的", "喂 你好", "請稍等", "嗯 好 的", "", "   ", "[9]", "你是谁啊", "你 是 谁"]
)
def test_small_talk_gives_no_suggestion(zh, text):
    assert zh.match(text).intent is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你为什么逾期了", "why-overdue"),
        ("你 为什么 于期 了", "why-overdue"),  # Vosk spaces and a homophone error
        ("你為什麼逾期了", "why-overdue"),  # Traditional
        ("嗯 那个 我们 会 联系 你 的 家人", "threat-family"),
        ("我们是公安局经侦大队的", "impersonate-police"),
        ("你把钱打到我个人的卡上", "private-account"),
        ("你必须一次性把钱全部还清", "pay-in-full"),
    ],
)
def test_typical_lines(zh, text, intent):
    assert zh.match(text).intent == intent


def test_reason_names_example_terms_and_levels(zh):
    m = zh.match("我们会联系你的家人")
    assert m.reason is not None
    assert m.reason.example in zh.playbook.intent(m.intent).examples
    assert set(m.reason.levels) == {"chars", "pinyin", "meaning"}
    assert m.reason.terms


def test_candidates_ranked_best_first_and_capped(zh):
    m = zh.match("我们会联系你的家人")
    d = m.to_json()
    assert len(d["candidates"]) <= 3
    assert d["candidates"][0]["intent"] == d["intent"]
    assert [c["score"] for c in d["candidates"]] == sorted((c["score"] for c in d["candidates"]), reverse=True)


def test_english(en):
    assert en.match("if you don't pay we'll have you arrested").intent == "threat-arrest"
    assert en.match("hello?").intent is None
    # a plain statement of the balance on a credit card is not a threat to the borrower's credit
    for line in (
        "We're collecting $20,000.00 on your Chase credit card account.",
        "Your ACME credit card is past due.",
    ):
        m = en.match(line)
        assert m.intent not in {"credit-report-threat", "bank-info-request"} and not m.also_alerts, line


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Pay with a gift card today", "bank-info-request"),
        ("You can pay with Google Play or iTunes gift cards", "bank-info-request"),
        ("Send it by Western Union or a wire transfer", "bank-info-request"),
        ("I'm calling from ABC Collections", "mini-miranda"),
        ("We can add interest and fees every month", "fee-demand"),
        ("Your Social Security will be taken", "threat-garnish"),
    ],
)
def test_common_us_collector_lines(en, text, intent):
    """Lines an American hears on a collection call that found nothing or the wrong answer: gift cards and wire
    transfers were 'Demanding payment today' or nothing (no word about card or bank details), 'calling from ABC
    Collections' nothing, added interest and fees 'Offering a payment plan', Social Security nothing."""
    assert en.match(text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Can I call you at work?", "contact-time-place"),
        ("What's a good time to call you?", "contact-time-place"),
        ("Can we contact you on Facebook?", "contact-time-place"),
        ("I'll keep calling you every day until you pay", "repeated-calls"),
        ("We'll call you ten times a day", "repeated-calls"),
        ("We'll send someone to your house", "home-visit"),
        ("I'm calling about a debt from 2012", "old-debt-mention"),
        ("Do you dispute this debt?", "validation-notice"),
        ("Did you get our letter?", "validation-notice"),
    ],
)
def test_us_contact_calls_visits_old_debt_and_validation(en, text, intent):
    """Collector lines from a user test that found nothing, or the wrong alert: when and where they may call,
    repeated calls, a home visit, a mere mention of an old debt (not a threat to sue on it), the validation
    notice; asking to use Facebook raised the tell-your-employer-or-family alert."""
    m = en.match(text)
    assert m.intent == intent
    assert "threat-third-party" not in m.also_alerts
    if intent in {"contact-time-place", "old-debt-mention", "validation-notice"}:  # a question or a mention
        assert not en.playbook.intent(intent).is_alert and not m.also_alerts


# Floors a little below the targets in the issue (0.90 clean, 0.85 ASR/Traditional, <= 0.05 false, 0.90 en):
# a regression fails CI; the benchmark prints the real figures.
FLOORS = {"zh clean": 0.90, "zh asr": 0.89, "zh traditional": 0.90, "en": 0.92}


@pytest.mark.parametrize("name", list(SETS))
def test_held_out_quality_floors(zh, en, name):
    lang, file = SETS[name]
    r = evaluate(zh if lang == "zh-CN" else en, read_set(file))
    assert r["n"] >= (300 if lang == "zh-CN" else 100)
    assert r["top1"] >= FLOORS[name], f"{name}: top-1 {r['top1']:.3f}"
    assert r["false"] <= 0.06, f"{name}: false matches {r['false']:.3f}"


def test_the_lenders_own_name_is_not_a_suggestion_to_borrow_elsewhere(zh):
    # 借呗, 花呗, 微粒贷 … are where many borrowers owe: their agents say the name when they call
    for line in ("这里是借呗贷后部门，您的借款已经逾期了", "您好，这里是微粒贷客服中心", "你刚才说的是借呗还是花呗？"):
        assert zh.match(line).intent != "borrow-to-repay", line
    assert zh.match("你可以先用花呗把这笔还上").intent == "borrow-to-repay"

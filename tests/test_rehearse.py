"""Rehearsal core: scenarios load and play to an end along several branches, the coach's readings, the score,
the record, the `rehearse` command and clear errors for bad scenario files."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from callassist import coach, rehearse
from callassist import playbook as pb
from callassist.coach import Numbers, read_reply, zh_number
from callassist.rehearse import Rehearsal, ScenarioError, load_scenario, load_scenarios
from tests.locale_support import set_locale

ZH_NUMBERS = Numbers(debt=23600, apr=24, periods=24, monthly=1247.76, income=5200, affordable=1560)
EN_NUMBERS = Numbers(debt=6400, apr=0, periods=24, monthly=266.67, income=2800, affordable=280)


@pytest.fixture(scope="module")
def books() -> dict[str, pb.Playbook]:
    return {
        "zh": pb.load(language="zh-CN", user_overrides=False),
        "en": pb.load(language="en-US", user_overrides=False),
    }


@pytest.fixture(scope="module")
def matchers(books, tmp_path_factory):
    """One Matcher per language for the whole module (the sentence encoder costs about a second)."""
    from callassist.matcher import Matcher

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CALLASSIST_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
        return {lang: Matcher(book) for lang, book in books.items()}


def play(scenario_id, replies, books, matchers, session=None):
    sc = rehearse.find_scenario(scenario_id)
    r = Rehearsal(sc, books[sc.lang], None, session, matcher=matchers[sc.lang])
    visited, feedback = [], []
    for text in replies:
        assert not r.finished, f"finished before reply {text!r}; visited {visited}"
        visited.append(r.current_turn().id)
        feedback.append(r.reply(text))
    return r, visited, feedback


# Two or three routes through each shipped scenario: (replies, turns visited), ending at an end turn.
ROUTES = {
    "zh-helpful-service": [
        (
            [
                "你好，我想协商还款，我这边也在录音",
                "是我本人，后四位1234",
                "请问本金、利息、罚息分别是多少？年化利率是多少？",
                "好的，我记下了",
                "因为去年底被裁员，工资少了一半，不是不想还",
                "我申请分24期，每期1250元，首期下个月15号",
                "我申请减免罚息和违约金，请帮我登记上报",
                "好的，请把方案用短信发给我",
                "谢谢",
            ],
            ["greet", "identity", "amount", "itemise", "why", "when", "approval", "approved", "written-ok"],
        ),
        (
            ["喂", "是", "我认", "我一分钱都没有，你们就是吸血鬼", "好吧", "好的", "好", "好", "嗯"],
            ["greet", "identity", "amount", "why", "pressure", "offer", "registered", "channel", "bye"],
        ),
    ],
    "zh-refusing-service": [
        (
            [
                "你好，我想申请协商还款，这通电话我也在录音",
                "后四位5678",
                "我理解。我是因为生病住院停工了四个月，不是不想还，我申请分24期，每期900元",
                "一次性还清我做不到。我申请减免罚息，请登记下来，如果不能协商我会向12378投诉",
                "请问您的工号是多少？申请编号是多少，什么时候书面答复？",
                "好的，谢谢，我记下了",
            ],
            ["greet", "identity", "refuse", "full-only", "escalate", "ticket"],
        ),
        (
            ["喂", "嗯", "你们这是什么破平台，骗子！", "你才是老赖，滚！", ""],
            ["greet", "identity", "refuse", "abuse", "hangup"],
        ),
        (
            ["喂", "嗯", "哦", "好的，我今天一次性还清", "好"],
            ["greet", "identity", "refuse", "full-only", "caved"],
        ),
    ],
    "zh-pushy-collector": [
        (
            [
                "请问您怎么称呼，工号多少？哪家机构？我这边在录音。",
                "刘先生，我不是不还，是店关了，现在每月最多能还1500",
                "我没有逃避，我申请分24期，每期1300元",
                "请不要联系我的家人，这是违规的，否则我会向12378投诉，这通电话在录音",
                "家人的电话我不会提供，请只联系我本人",
                "起诉是你们的权利，我有还款意愿，我申请分24期，每期1300元",
                "大额首付我做不到，首期最多付1300元",
                "我只通过官方APP还款，不转个人账户，请把官方还款方式短信发给我",
                "好的，再见",
            ],
            ["open", "name", "amount", "family", "contacts", "lawsuit", "large-first", "private", "close"],
        ),
        (
            ["嗯", "我一分钱都没有", "好，我去网贷借钱还", "好的，我转到你支付宝上", "好"],
            ["open", "amount", "borrow", "private", "scammed"],
        ),
        (
            ["嗯", "我不知道", "你想怎样", "我老婆电话是13812345678", "随便", "不知道", "哦", "哦", "哦"],
            ["open", "amount", "family", "contacts", "employer", "lawsuit", "large-first", "private", "close"],
        ),
        (["嗯", "你们这帮吸血鬼，滚", "滚！！", "……"], ["open", "amount", "abuse", "hangup"]),
    ],
    "en-us-collector": [
        (
            [
                "Before I confirm anything, what is your full name, company name and callback number? This call is being recorded.",
                "I won't give my Social until I know who you are. What is your mailing address?",
                "Thank you.",
                "Please mail me the validation notice and break down principal, interest and fees.",
                "I fell behind because I was laid off in March. I want to resolve this.",
                "I can't pay the full balance. The most I can do is $260 a month for 24 payments.",
                "That's too much for me. I can afford $260 a month; please send me your offer in writing.",
                "Please send that agreement to me in writing before I make the first payment.",
                "Thank you. I will pay by a method I control.",
            ],
            ["open", "verify", "company", "amount", "validation", "full-today", "plan-offer", "approved", "written-ok"],
        ),
        (
            [
                "yes",
                "Sure, 1234, May 5 1980",
                "ok",
                "OK, I'll pay it all today",
                "Sure, my card number is 4111 1111 1111 1111",
                "ok",
            ],
            ["open", "verify", "amount", "full-today", "card", "card-taken"],
        ),
        (
            ["yes", "ok", "ok", "Go to hell, you scammers", "Shut up!!", ""],
            ["open", "verify", "amount", "full-today", "abuse", "close"],
        ),
    ],
}
SHIPPED = sorted(ROUTES)


# -- scenarios ---------------------------------------------------------------------------------------------


def test_shipped_scenarios_are_listed_by_language():
    assert sorted(s.id for s in load_scenarios()) == SHIPPED
    assert {s.id for s in load_scenarios("zh")} == {i for i in SHIPPED if i.startswith("zh")}
    assert [s.id for s in load_scenarios("en-US")] == ["en-us-collector"]


@pytest.mark.parametrize("scenario_id", SHIPPED)
def test_shipped_scenario_is_well_formed(scenario_id, books):
    sc = rehearse.find_scenario(scenario_id)
    assert 8 <= len(sc.turns) <= 14
    assert any(t.end for t in sc.turns)
    assert sum(len(t.next) for t in sc.turns) >= 4, "a scenario should branch"
    intents = {it.id for it in books[sc.lang].intents}
    assert {t.intent for t in sc.turns if t.intent} <= intents
    assert sc.profile.debt and sc.profile.income
    Rehearsal(sc, books[sc.lang])  # checks intents and language against the playbook


@pytest.mark.parametrize(("scenario_id", "route"), [(s, i) for s in SHIPPED for i in range(len(ROUTES[s]))])
def test_scenario_plays_to_an_end(scenario_id, route, books, matchers):
    replies, expected = ROUTES[scenario_id][route]
    r, visited, _ = play(scenario_id, replies, books, matchers)
    assert visited == expected
    assert r.finished and r.current_line() is None and r.current_turn() is None
    assert r.scenario.turn(visited[-1]).end
    with pytest.raises(RuntimeError):
        r.reply("again")


@pytest.mark.parametrize("scenario_id", SHIPPED)
def test_good_run_scores_higher_than_bad_run(scenario_id, books, matchers):
    good, *bad_routes = ROUTES[scenario_id]
    best = play(scenario_id, good[0], books, matchers)[0].report()
    assert best.score >= 80, best
    assert best.finished and not best.pitfalls
    for replies, _ in bad_routes:
        worse = play(scenario_id, replies, books, matchers)[0].report()
        assert worse.score < best.score - 30, (worse.score, worse.parts)
        assert worse.pitfalls or worse.missed


def test_feedback_names_points_pitfalls_and_suggested_answer(books, matchers):
    r, _, fbs = play("zh-helpful-service", ROUTES["zh-helpful-service"][0][0][:6], books, matchers)
    why = fbs[4]
    assert set(why.kinds) == {"willing", "hardship"}
    assert why.covered[0].points, "covered kinds point at the playbook's talking points"
    assert why.suggestion is not None and why.suggestion.intent == "why-overdue"
    assert "去年底被裁员" in why.suggestion.answer and "{" not in why.suggestion.answer
    plan = fbs[5]
    assert plan.kinds == ("plan",) and plan.branch == "plan" and plan.next_turn == "approval"
    assert plan.covered[0].points[0].stage == "propose"
    r2, _, fbs2 = play("zh-helpful-service", ROUTES["zh-helpful-service"][1][0], books, matchers)
    assert {p.kind for p in fbs2[3].pitfalls} == {"no_money", "angry"}
    assert {p.kind for p in fbs2[5].pitfalls} == {"over_promise"}
    assert fbs2[5].branch == "pitfall"


def test_alert_lines_score_calm_handling(books, matchers):
    r, _, fbs = play("zh-pushy-collector", ROUTES["zh-pushy-collector"][0][0], books, matchers)
    alerts = [fb for fb in fbs if fb.calm is not None]
    assert alerts and all(fb.calm for fb in alerts)
    assert all(fb.suggestion and fb.suggestion.alert for fb in alerts)
    rep = r.report()
    assert rep.alerts == len(alerts) and rep.calm == rep.alerts
    r2, _, fbs2 = play("zh-pushy-collector", ROUTES["zh-pushy-collector"][3][0], books, matchers)
    rep2 = r2.report()
    assert rep2.calm < rep2.alerts
    assert [p.kind for _, p in rep2.pitfalls].count("angry") == 2


def test_report_explains_the_score(books, matchers):
    r, _, _ = play("zh-helpful-service", ROUTES["zh-helpful-service"][1][0], books, matchers)
    rep = r.report()
    assert [p.key for p in rep.parts] == ["points", "alerts", "pitfalls"]
    assert rep.score == max(0, min(100, round(sum(p.points for p in rep.parts))))
    assert (
        "说自己一分钱都没有或一分不还 −10" in rep.parts[2].detail
        and "承诺的月供超过可承受额 −15" in rep.parts[2].detail
    )
    assert rep.missed and any("可以这样说" in t for t in rep.tips)
    lines = [t for _, t in rehearse.report_lines(rep)]
    assert lines[1].startswith(f"得分 {rep.score}/100")
    assert r.report() is rep
    assert json.loads(json.dumps(rep.to_json()))["score"] == rep.score


def test_stopping_early_scores_what_was_played(books):
    sc = rehearse.find_scenario("zh-helpful-service")
    r = Rehearsal(sc, books["zh"])
    r.stop()
    rep = r.report()
    assert r.finished and not rep.finished and rep.score == 0 and rep.replies == 0


def test_turn_without_intent_uses_the_matcher(books, matchers):
    sc = rehearse.find_scenario("zh-refusing-service")
    r = Rehearsal(sc, books["zh"], matcher=matchers["zh"])
    for text in ["喂", "嗯", "哦", "哦"]:
        r.reply(text)
    assert r.current_turn().id == "no-waiver"
    r.reply("哦")
    assert r.current_turn().id == "deadline"
    r.reply("哦")
    assert r.current_turn().id == "anything-else" and r.current_turn().intent is None
    r.hint()  # whatever the matcher finds (or nothing): no error


def test_user_values_fill_the_agent_lines(books):
    sc = rehearse.find_scenario("zh-helpful-service")
    from callassist.profile import Profile

    values = rehearse.practice_values(sc, Profile(debt=9000, income=3000, apr=18, periods=12, lender="某某花"))
    assert values["debt"] == "9,000.00"
    r = Rehearsal(sc, books["zh"], values)
    assert "某某花" in r.current_line()
    assert rehearse.practice_values(sc, Profile(name="only a name"))["debt"] == "23,600.00"


PARTIAL_PROFILES = {
    "none": None,
    "empty": {},
    "numbers only": {"debt": 9000, "income": 3000},
    "name only": {"name": "李雷"},
    "no periods": {"debt": 9000, "income": 3000, "apr": 18, "lender": "某某花"},
}


@pytest.mark.parametrize("scenario_id", SHIPPED)
@pytest.mark.parametrize("which", sorted(PARTIAL_PROFILES))
def test_no_placeholder_is_left_in_any_agent_line(scenario_id, which, books):
    """What the profile lacks comes from the scenario's practice values; what it has wins."""
    from callassist.profile import Profile

    sc = rehearse.find_scenario(scenario_id)
    given = PARTIAL_PROFILES[which]
    values = rehearse.practice_values(sc, None if given is None else Profile(**given))
    for t in sc.turns:
        line = pb.fill(t.agent, values)
        assert "{" not in line and "}" not in line, (t.id, line)
    for key, value in (given or {}).items():
        if key in ("name", "lender"):
            assert values[key] == value
        else:
            assert values[key] == pb.fill("{" + key + "}", rehearse.profile_values(Profile(**{key: value})))
    if given and "debt" in given and "periods" not in given:  # the plan mixes the user's debt, practice periods
        assert values["periods"] == str(sc.profile.periods) and values["monthly"] not in ("", None)


def test_cli_partial_profile_fills_the_agent_line(monkeypatch, capsys, isolated_dirs):
    from callassist import profile as prof

    prof.save(prof.Profile(debt=9000, income=3000))
    code, out, err = run_cli(
        monkeypatch, capsys, ["rehearse", "--scenario", "zh-pushy-collector", "--no-record"], "x\n"
    )
    assert code == 0, err
    assert "{" not in out and "对方: 喂，张伟是吧" in out and "闪电贷" in out and "9,000.00" in out


def test_scenario_whose_lines_need_a_value_it_does_not_give_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace('agent = "再见"', 'agent = "再见，{name}，每月 {monthly}"'), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad.toml:13: turn 'b': no practice value for \{name\}"):
        load_scenario(path)
    path.write_text(
        GOOD.replace('agent = "再见"', 'agent = "每月 {monthly}"').replace(
            'language = "zh-CN"', 'language = "zh-CN"\n[profile]\ndebt = 1000'
        ),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"no practice value for \{monthly\} \(give debt and periods"):
        load_scenario(path)


# -- the coach -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一千五", 1500),
        ("一千五百", 1500),
        ("两万", 20000),
        ("一万二", 12000),
        ("三千二百五十", 3250),
        ("一千零五十", 1050),
        ("十二", 12),
        ("二十四", 24),
        ("两万五千", 25000),
        ("1万5", 15000),
        ("1.5万", 15000),
        ("3千", 3000),
        ("1,500", 1500),
        ("二零二四", 2024),
    ],
)
def test_chinese_numerals(text, value):
    assert zh_number(text) == value


def test_amounts_and_what_they_count():
    got = [(a.value, a.kind, a.monthly) for a in coach.find_amounts("分二十四期，每期一千二百元")]
    assert got == [(24, "periods", True), (1200, "money", True)] or got == [
        (24, "periods", False),
        (1200, "money", True),
    ]
    assert [(a.value, a.kind) for a in coach.find_amounts("下个月15号先还五百块")] == [(15, "date"), (500, "money")]
    assert coach.find_amounts("一次性结清") == [] and coach.find_amounts("一分钱都没有") == []
    assert [(a.value, a.monthly) for a in coach.find_amounts("$1,500 a month")] == [(1500, True)]
    assert [a.value for a in coach.find_amounts("twelve payments of two hundred fifty dollars")] == [12, 250]


ZH_PITFALLS = [
    ("我现在一分钱都没有", "no_money", "", None),
    ("没钱，要钱没有", "no_money", "", None),
    ("你们这帮骗子，滚！", "angry", "", None),
    ("好的，我今天一次性还清", "agree_large_payment", "", None),
    ("行，我先还一万二", "agree_large_payment", "", None),
    ("好的", "agree_large_payment", "想分期可以，先还一半再说。", "large-first-payment"),
    ("我每个月还三千", "over_promise", "", None),
    ("可以，每月还两千五", "over_promise", "", None),
    ("好的", "over_promise", "可以给你分六期。", "offer-installment"),
    ("我妈的电话是13812345678", "give_contacts", "", None),
    ("你可以打给我老婆，她的号码是13912345678", "give_contacts", "", None),
    ("好的", "give_contacts", "留一个你家里人的电话给我。", "contacts-request"),
    ("好，我转到你个人支付宝", "private_account", "", None),
    ("好的", "private_account", "你直接转到我个人的支付宝上就行。", "private-account"),
    ("我的卡号是6222021234567890123", "bank_details", "", None),
    ("好，我去网贷借钱还你们", "borrow_to_repay", "", None),
    ("行，手续费我交", "pay_fee", "", None),
    ("我每月還３０００", "over_promise", "", None),
]
EN_PITFALLS = [
    ("I have no money", "no_money", "", None),
    ("I'm broke, I can't pay anything", "no_money", "", None),
    ("You people are scammers, go to hell", "angry", "", None),
    ("OK, I'll pay the full balance today", "agree_large_payment", "", None),
    ("Sure, I can pay $3,000 today", "agree_large_payment", "", None),
    ("I can pay $500 a month", "over_promise", "", None),
    ("Okay, that works", "over_promise", "I can do six payments of about $1,070.", "payment-plan-offer"),
    ("You can call my wife, her number is 555-123-4567", "give_contacts", "", None),
    ("Sure, I'll send it through Zelle to your personal account", "private_account", "", None),
    ("My card number is 4111 1111 1111 1111", "bank_details", "", None),
    ("Fine, I'll pay the processing fee", "pay_fee", "", None),
    ("My mom's number is 312-555-0199 if you can't reach me", "give_contacts", "", None),
    ("This is ridiculous, you people are crooks", "angry", "", None),
]


@pytest.mark.parametrize(("text", "kind", "agent", "intent"), ZH_PITFALLS + EN_PITFALLS)
def test_pitfall_detected(text, kind, agent, intent):
    lang = "en" if text.isascii() else "zh"
    nums = EN_NUMBERS if lang == "en" else ZH_NUMBERS
    got = read_reply(text, lang, nums, agent_line=agent, agent_intent=intent)
    assert kind in {p.kind for p in got.pitfalls}, got


NOT_PITFALLS = [
    ("我现在确实没钱一次性还清，但每月能还1500", "no_money", "", None),
    ("我现在没有能力一次性还清，只能每月还一千左右", "agree_large_payment", "", None),
    ("每月两千我真的还不起，最多一千五", "over_promise", "", None),
    ("我每月能还1500", "over_promise", "", None),
    ("请不要联系我的家人", "give_contacts", "", None),
    ("家人的电话我不会给你", "give_contacts", "", None),
    ("我只通过官方APP还款，不会转到个人账户", "private_account", "", None),
    ("一次性结清我做不到", "agree_large_payment", "", None),
    ("一次性结清可以打折吗？", "agree_large_payment", "", None),
    ("今天我可以先还500", "agree_large_payment", "", None),
    ("请文明沟通，我在录音", "angry", "", None),
    ("我不会借网贷来还", "borrow_to_repay", "", None),
    ("好的", "agree_large_payment", "今天先还个几百块，表示一下诚意。", "pay-something-today"),
    ("好的，我知道了", "pitfall", "你不还我们就打给你爸妈。", "threat-family"),
    ("I can't pay the full balance today", "agree_large_payment", "", None),
    ("I can pay $250 a month", "over_promise", "", None),
    ("Please don't contact my wife or my employer", "give_contacts", "", None),
    ("I will only pay through your official website, not Zelle", "private_account", "", None),
    ("I won't give my card number on the phone", "bank_details", "", None),
    ("Is this a scam?", "angry", "", None),
    ("I don't have the money to pay it all at once, but I can pay $200 a month", "no_money", "", None),
]


@pytest.mark.parametrize(("text", "kind", "agent", "intent"), NOT_PITFALLS)
def test_no_false_pitfall(text, kind, agent, intent):
    lang = "en" if text.isascii() else "zh"
    nums = EN_NUMBERS if lang == "en" else ZH_NUMBERS
    got = {p.kind for p in read_reply(text, lang, nums, agent_line=agent, agent_intent=intent).pitfalls}
    assert (not got) if kind == "pitfall" else kind not in got, got


COVERAGE = [
    ("我不是不想还，我一定会还", "willing"),
    ("我今年被裁员了", "hardship"),
    ("我申请分24期，每期1200元", "plan"),
    ("每月能还一千二", "plan"),
    ("每月两千我真的还不起，最多一千五", "plan"),
    ("我会按时还的，请放心", "willing"),
    ("你说话客气点，请文明沟通", "push_back"),
    ("请把方案用短信发给我", "written"),
    ("请问您贵姓，工号多少", "agent_id"),
    ("年化利率是多少？", "itemised"),
    ("我申请减免罚息", "waiver"),
    ("我申請減免罰息", "waiver"),
    ("你们这样是违规的，我会向12378投诉", "push_back"),
    ("这通电话我在录音", "record"),
    ("I want to pay this", "willing"),
    ("I was laid off", "hardship"),
    ("I can pay $200 a month", "plan"),
    ("Please send it in writing", "written"),
    ("What is your name and company?", "agent_id"),
    ("Can you break down the principal and fees?", "itemised"),
    ("Can you waive the late fees?", "waiver"),
    ("Stop calling my employer, that violates the FDCPA", "push_back"),
    ("This call is being recorded", "record"),
]


@pytest.mark.parametrize(("text", "kind"), COVERAGE)
def test_coverage_detected(text, kind):
    lang = "en" if text.isascii() else "zh"
    got = read_reply(text, lang, EN_NUMBERS if lang == "en" else ZH_NUMBERS)
    assert kind in got.kinds, got


@pytest.mark.parametrize(("text", "lang"), [("好的", "zh"), ("ok", "en"), ("我每月还不了3000", "zh"), ("", "zh")])
def test_no_coverage_for_empty_words(text, lang):
    assert read_reply(text, lang, ZH_NUMBERS).kinds == ()


def test_point_kinds_of_playbook_points(books):
    zh = books["zh"]
    confirm = next(s for s in zh.stages if s.id == "confirm")
    assert "written" in coach.point_kinds(confirm.points[1], "zh")
    assert "plan" in coach.point_kinds("我申请把剩余欠款分 {periods} 期还，每期 {monthly} 元。", "zh")


@pytest.mark.parametrize(
    ("text", "willing"),
    [
        ("我有还款意愿", True),
        ("我是有还款的意愿的，只是现在还不上", True),
        ("还钱的诚意我是有的", True),
        ("我有意愿还，也有诚意", True),
        ("我愿意偿还这笔欠款", True),
        ("我愿意配合还款", True),
        ("我打算还，只是要分期", True),
        ("我愿意还", True),
        ("我没有还款意愿", False),
        ("我毫无还款意愿", False),
        ("我不想还", False),
        ("我不打算还了", False),
        ("我认为这个利息不合理", False),
    ],
)
def test_willingness_said_in_other_words(text, willing):
    """表达还款意愿: the noun form (还款意愿, 诚意) and other verbs count; the same words negated do not."""
    assert ("willing" in read_reply(text, "zh", ZH_NUMBERS).kinds) is willing


def test_willingness_as_a_noun_counts_in_the_report(books):
    sc = rehearse.find_scenario("zh-pushy-collector")
    r = Rehearsal(sc, books["zh"])
    r.reply("我有还款意愿")
    r.stop()
    rep = r.report()
    assert "willing" in rep.covered and "willing" not in rep.missed


@pytest.mark.parametrize(
    ("text", "borrows"),
    [
        ("行，我去网贷再借点钱还你", True),
        ("好吧，我找朋友借一笔钱来还", True),
        ("我在别的平台借点钱先还上", True),
        ("那我去借呗里借一点还你们", True),
        ("我拿信用卡套现还你", True),
        ("好的，我跟亲戚借钱还", True),
        ("我不会去借网贷还钱", False),
        ("我不会借钱来还，只能每月还1500", False),
        ("借新还旧我做不到", False),
        ("我之前借的网贷还没还完", False),
        ("我的借款还有多少没还？", False),
        ("你让我去网贷借钱，这是违规的", False),
    ],
)
def test_agreeing_to_borrow_elsewhere_is_a_pitfall(text, borrows):
    """答应借钱还债 whatever the agent just said: any lender (网贷, 借呗, another platform, friends) and any
    wording between 借 and 还; refusing or merely mentioning a past loan is not it."""
    got = read_reply(text, "zh", ZH_NUMBERS, agent_line="今天下班之前必须处理。", agent_intent="deadline-ultimatum")
    assert ("borrow_to_repay" in {p.kind for p in got.pitfalls}) is borrows, got


def test_agreeing_to_borrow_is_not_handling_the_threat_calmly(books):
    sc = rehearse.find_scenario("zh-pushy-collector")
    r = Rehearsal(sc, books["zh"])
    r.reply("你好")
    r.reply("嗯")
    assert r.current_turn().id == "family"
    fb = r.reply("行，我去网贷再借点钱还你")
    assert "borrow_to_repay" in {p.kind for p in fb.pitfalls}
    assert fb.calm is False and not any("保持冷静很好" in t for t in fb.tips)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("我妈的电话是13900001111，你找她要吧", {"give_contacts"}),
        ("我妈妈的手机号13900001111", {"give_contacts"}),
        ("我爸妈的号码是13900001111", {"give_contacts"}),
        ("她妈的微信是abc123，你加她", {"give_contacts"}),
        ("我老婆电话13812345678，你打给她", {"give_contacts"}),
        ("你直接找我同事要，他电话是13712345678", {"give_contacts"}),
        ("你别打我妈电话", set()),
        ("我妈的电话我不会给你", set()),
        ("我妈有病在住院，请别打扰她", set()),
        ("你们这是利滚利", set()),
        ("妈的，烦死了", {"angry"}),
        ("他妈的，你们有病吧", {"angry"}),
        ("滚！", {"angry"}),
    ],
)
def test_a_relative_is_not_an_insult(text, kinds):
    """Giving a relative's number is 提供了他人的联系方式, not 发火或骂人: 我妈的, 妈妈的 and 我妈有病 are
    ordinary words; the swear words alone still count as anger."""
    got = {p.kind for p in read_reply(text, "zh", ZH_NUMBERS).pitfalls}
    assert got == kinds, got


def test_a_phone_number_is_not_a_complaint_hotline():
    """110 or 12378 inside someone's phone number is not 冷静指出越界; said on their own they are."""
    for text in ("我妈电话13911012345", "我老婆电话13123781234"):
        got = read_reply(text, "zh", ZH_NUMBERS)
        assert "push_back" not in got.kinds and {p.kind for p in got.pitfalls} == {"give_contacts"}, got
    assert "push_back" in read_reply("再这样我就打110", "zh", ZH_NUMBERS).kinds
    assert "push_back" in read_reply("我会打12378", "zh", ZH_NUMBERS).kinds


@pytest.mark.parametrize(
    ("text", "refuses"),
    [
        ("我一分钱也不还", True),
        ("一分都不给你们", True),
        ("我一毛钱都不会还", True),
        ("你们一分钱也别想拿到", True),
        ("我就不还，你爱找谁找谁", True),
        ("我不打算还了", True),
        ("我坚决不还", True),
        ("我不是不还，是真的还不上，每月能还1500", False),
        ("我一分钱也不会少还，只是要分期，每月1500", False),
        ("一分钱也不会不还", False),
        ("这个月先不还，下个月15号还1500", False),
        ("我不会还到你的个人账户", False),
        ("利息我不还，本金我每月还1500", False),
    ],
)
def test_refusing_to_pay_anything_is_flagged(text, refuses):
    """Refusing to pay at all (一分钱也不还, 我就不还) is the no_money pitfall, like 一分钱都没有; refusing one
    thing, putting off a payment, or a double negative is not."""
    got = read_reply(
        text, "zh", ZH_NUMBERS, agent_line="请问您这几个月为什么没有按时还款呢？", agent_intent="why-overdue"
    )
    assert ("no_money" in {p.kind for p in got.pitfalls}) is refuses, got


def test_refusing_to_pay_is_pointed_out_in_the_first_scenario(books):
    sc = rehearse.find_scenario("zh-helpful-service")
    r = Rehearsal(sc, books["zh"])
    for text in ("你好", "是我本人", "好的"):
        r.reply(text)
    assert r.current_turn().id == "why"
    fb = r.reply("我一分钱也不还")
    assert [p.kind for p in fb.pitfalls] == ["no_money"]
    assert any(line.startswith("✗ ") for _, line in rehearse.feedback_lines(fb, "zh"))


# -- the record ------------------------------------------------------------------------------------------------


class FakeSession:
    def __init__(self):
        self.calls: list[tuple] = []

    def utterance(self, speaker, text, **kw):
        self.calls.append(("utterance", speaker, text))
        return {}, None

    def note(self, text):
        self.calls.append(("note", text))

    def system(self, kind, **detail):
        self.calls.append(("system", kind, detail))


def test_engine_journals_lines_replies_feedback_and_report(books, matchers):
    s = FakeSession()
    replies, _ = ROUTES["zh-refusing-service"][2]
    r, _, _ = play("zh-refusing-service", replies, books, matchers, session=s)
    r.report()
    r.report()
    kinds = [c[0] + ":" + str(c[1]) for c in s.calls if c[0] != "note"]
    assert kinds[0] == "system:rehearsal-start"
    assert kinds[-1] == "system:rehearsal-report"
    assert kinds.count("system:rehearsal-report") == 1
    agent = [c[2] for c in s.calls if c[:2] == ("utterance", "agent")]
    me = [c[2] for c in s.calls if c[:2] == ("utterance", "me")]
    assert len(agent) == 5 and me == [t for t in replies if t]
    notes = [c[1] for c in s.calls if c[0] == "note"]
    assert len(notes) == len(replies) + 1 and "得分" in notes[-1]


def test_rehearsal_saved_as_a_record(books, matchers, tmp_path):
    pytest.importorskip("callassist.session")
    sc = rehearse.find_scenario("en-us-collector")
    values = rehearse.practice_values(sc)
    session = rehearse.open_session(sc, books["en"], values, transcripts=tmp_path, matcher=matchers["en"])
    r = Rehearsal(sc, books["en"], values, session, matcher=matchers["en"])
    for text in ROUTES["en-us-collector"][1][0]:
        r.reply(text)
    r.report()
    info = session.close("rehearsal ended")
    lines = [json.loads(x) for x in (info.folder / "journal.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines[0]["mode"] == "rehearsal" and lines[0]["direction"] == "incoming"
    report = [e for e in lines if e["type"] == "system" and e.get("kind") == "rehearsal-report"]
    assert len(report) == 1 and report[0]["score"] == r.report().score
    assert any(e["type"] == "alert" for e in lines), "the agent's alert lines are matched and recorded"
    try:
        from callassist.record import VERIFIED, load
    except ImportError:
        return
    assert load(info.folder).status == VERIFIED


# -- bad scenario files -------------------------------------------------------------------------------------------

GOOD = """\
id = "t"
title = "test"
language = "zh-CN"

[[turn]]
id = "a"
agent = "你好"
[turn.next]
refuse = "c"

[[turn]]
id = "b"
agent = "再见"
end = true

[[turn]]
id = "c"
agent = "为什么？"
end = true
"""


LOOP = """\
title = "loop"
language = "zh-CN"

[[turn]]
id = "a"
agent = "一"
[turn.next]
refuse = "b"
default = "c"

[[turn]]
id = "b"
agent = "二"
[turn.next]
default = "a"

[[turn]]
id = "c"
agent = "三"
[turn.next]
default = "b"
"""


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (GOOD.replace('refuse = "c"', 'refuse = "c'), 9, "bad TOML"),
        (GOOD.replace('title = "test"', 'title = "test"\ntitel = "x"'), 3, "unknown key 'titel'"),
        (GOOD.replace('refuse = "c"', 'nope = "c"'), 9, "unknown reply category 'nope'"),
        (GOOD.replace('refuse = "c"', 'refuse = "z"'), 5, "next.refuse = 'z' is not a turn id"),
        (GOOD.replace('agent = "再见"', 'agent = "再见 {debtt}"'), 13, "unknown placeholder {debtt}"),
        (GOOD.replace('id = "c"', 'id = "b"'), 17, "duplicate turn id 'b'"),
        (GOOD.replace('[turn.next]\nrefuse = "c"\n', ""), 14, "turn 'c' can never be reached"),
        (GOOD.replace('language = "zh-CN"', 'language = "zh-CN"\ngoals = ["wiling"]'), 4, "unknown goal 'wiling'"),
        (
            GOOD.replace(
                'end = true\n\n[[turn]]\nid = "c"', 'end = true\n[turn.next]\nagree = "c"\n\n[[turn]]\nid = "c"'
            ),
            15,
            "end turn has no next",
        ),
        (LOOP, 4, "turn 'a' loops forever"),
        (GOOD.replace('language = "zh-CN"\n', ""), 1, "'language' must be a non-empty string"),
        ("\n".join(GOOD.splitlines()[:3]), None, "no [[turn]] tables"),
        (
            GOOD.replace('language = "zh-CN"', 'language = "zh-CN"\n[profile]\ndebt = "lots"'),
            4,
            "'debt' must be a number",
        ),
    ],
)
def test_bad_scenario_file_names_file_line_and_problem(tmp_path, text, line, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    msg = str(e.value)
    assert problem in msg
    assert msg.startswith(f"{path}:{line}: " if line else f"{path}: "), msg
    assert "\n" not in msg
    # The same in Chinese, for a Chinese UI: file and line first, then a Chinese sentence.
    zh = e.value.message(chinese=True)
    assert zh.startswith(f"{path}:{line}：" if line else f"{path}："), zh
    assert "\n" not in zh and re.search("[\u4e00-\u9fff]", zh.removeprefix(str(path))), zh


def test_good_minimal_scenario_and_intent_checked_against_playbook(tmp_path, books):
    path = tmp_path / "ok.toml"
    path.write_text(GOOD, encoding="utf-8")
    sc = load_scenario(path)
    assert [t.id for t in sc.turns] == ["a", "b", "c"] and sc.turn("a").next == (("refuse", "c"),)
    r = Rehearsal(sc, books["zh"])
    assert r.reply("不行").next_turn == "c"
    bad = tmp_path / "bad.toml"
    bad.write_text(
        GOOD.replace('agent = "为什么？"', 'agent = "为什么？"\nintent = "no-such-intent"'), encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match=r"bad.toml:16: turn 'c': intent 'no-such-intent' is not in playbook"):
        Rehearsal(load_scenario(bad), books["zh"])
    with pytest.raises(ScenarioError, match="is for a zh-CN playbook"):
        Rehearsal(sc, books["en"])


# -- speaking ----------------------------------------------------------------------------------------------------


def _fake_espeak(folder: Path, body: str) -> None:
    exe = folder / "espeak-ng"
    exe.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    exe.chmod(0o755)


def test_speak_without_espeak_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    msg = rehearse.speak("你好", "zh-CN")
    assert msg and "espeak-ng is not installed" in msg


def test_speak_uses_the_pinyin_voice_for_chinese(monkeypatch, tmp_path):
    log = tmp_path / "args"
    _fake_espeak(tmp_path, f'echo "$@" > {log}')
    monkeypatch.setenv("PATH", str(tmp_path))
    assert rehearse.speak("你好", "zh-CN") is None
    assert log.read_text(encoding="utf-8").split()[:2] == ["-v", "cmn-latn-pinyin"]
    assert rehearse.speak("hello", "en-US") is None
    assert log.read_text(encoding="utf-8").split()[:2] == ["-v", "en-us"]


def test_speak_reports_a_missing_sound_device(monkeypatch, tmp_path):
    _fake_espeak(
        tmp_path, 'echo "ALSA lib pcm.c: Unknown PCM default" >&2; echo "error: No such file or directory" >&2'
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    msg = rehearse.speak("hello", "en")
    assert msg and "could not play sound" in msg and "No such file" in msg


# -- the command ---------------------------------------------------------------------------------------------------


def run_cli(monkeypatch, capsys, argv, stdin=""):
    from callassist import cli

    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_lists_scenarios(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, ["rehearse", "--list"])
    assert code == 0 and [ln.split("\t")[0] for ln in out.splitlines()] == SHIPPED
    code, out, _ = run_cli(monkeypatch, capsys, ["rehearse", "--list", "--lang", "en"])
    assert out.split("\t")[0] == "en-us-collector"


def test_cli_plays_from_stdin_and_saves_a_record(monkeypatch, capsys, matchers, isolated_dirs):
    replies, _ = ROUTES["zh-pushy-collector"][0]
    code, out, err = run_cli(
        monkeypatch, capsys, ["rehearse", "--scenario", "zh-pushy-collector"], "\n".join(replies) + "\n"
    )
    assert code == 0, err
    assert "对方: 喂，张伟是吧" in out and "你: 请问您怎么称呼" in out
    assert "✓ 问对方姓名工号" in out and "得分 " in out and "练习记录：" in out
    records = list((isolated_dirs / "transcripts").iterdir())
    assert len(records) == 1 and records[0].name.endswith("rehearsal")


def test_cli_hint_quit_and_no_record(monkeypatch, capsys, isolated_dirs):
    code, out, _ = run_cli(
        monkeypatch,
        capsys,
        ["rehearse", "--scenario", "en-us-collector", "--no-record"],
        "/hint\nWho is this?\n/quit\n",
    )
    assert code == 0
    assert "Please give me your name" in out or "name" in out.split("You: /hint", 1)[1].splitlines()[1]
    assert "(ended early)" in out and "Rehearsal record" not in out
    assert not (isolated_dirs / "transcripts").exists()


def test_cli_errors_are_one_line_with_exit_2(monkeypatch, capsys, isolated_dirs):
    code, _, err = run_cli(monkeypatch, capsys, ["rehearse", "--scenario", "nope"])
    assert code == 2 and "no scenario 'nope'" in err and "zh-helpful-service" in err
    code, _, err = run_cli(monkeypatch, capsys, ["rehearse"])
    assert code == 2 and "--scenario" in err
    user = isolated_dirs / "config" / "scenarios"
    user.mkdir(parents=True)
    (user / "mine.toml").write_text(GOOD.replace('refuse = "c"', 'refuse = "c'), encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, ["rehearse", "--list"])
    assert code == 2
    assert err.strip().count("\n") == 0 and f"{user / 'mine.toml'}:9: bad TOML" in err


def test_cli_rejects_a_playbook_of_another_language(monkeypatch, capsys):
    path = pb.bundled_path("en-US")
    code, _, err = run_cli(
        monkeypatch, capsys, ["rehearse", "--scenario", "zh-helpful-service", "--playbook", str(path)]
    )
    assert code == 2 and "no scenario 'zh-helpful-service'" in err  # only en scenarios fit an en playbook


def test_cli_piped_through_a_real_process(isolated_dirs):
    env = dict(os.environ)
    replies = "\n".join(ROUTES["en-us-collector"][2][0]) + "\n"
    proc = subprocess.run(
        [sys.executable, "-m", "callassist", "rehearse", "--scenario", "en-us-collector"],
        input=replies,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "anger or insults" in proc.stdout and "Score " in proc.stdout


def test_rehearsal_core_imports_no_ui_or_audio():
    code = "import sys, json, callassist.rehearse, callassist.coach, callassist.rehearse_cli; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert [m for m in json.loads(out) if m.split(".")[0] in ("textual", "vosk", "sounddevice")] == []


def test_covered_points_are_the_ones_the_words_speak_to():
    book = pb.load(language="zh-CN", user_overrides=False)
    situation = next(s for s in book.stages if s.id == "situation")
    hardship = [i for i, p in enumerate(situation.points) if "hardship" in coach.point_kinds(p, "zh")]
    assert hardship
    covered = coach.covered_points(situation.points, "我没按时还是因为失业了，不是不想还", "zh", {})
    assert set(hardship) <= set(covered)
    assert coach.covered_points(situation.points, "好的", "zh", {}) == []


def test_cli_scenario_errors_follow_theset_locale(monkeypatch, capsys, isolated_dirs):
    """Chinese under a Chinese locale (no such scenario, a bad scenario file), the English unchanged otherwise."""
    set_locale(monkeypatch, "zh_CN.UTF-8")
    code, _, err = run_cli(monkeypatch, capsys, ["rehearse", "--scenario", "nope"])
    assert (
        code == 2
        and err.startswith("callassist: --scenario：没有 'nope' 这个场景（现有：")
        and "zh-helpful-service" in err
    )
    code, _, err = run_cli(monkeypatch, capsys, ["rehearse"])
    assert code == 2 and err.startswith("callassist: rehearse：") and "--scenario" in err
    user = isolated_dirs / "config" / "scenarios"
    user.mkdir(parents=True)
    (user / "mine.toml").write_text(GOOD.replace('refuse = "c"', 'refuse = "c'), encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, ["rehearse", "--list"])
    assert code == 2 and err.startswith(f"callassist: {user / 'mine.toml'}:9：TOML 格式有误：") and err.count("\n") == 1
    monkeypatch.setenv("LANG", "C.UTF-8")
    code, _, err = run_cli(monkeypatch, capsys, ["rehearse", "--list"])
    assert code == 2 and err.startswith(f"callassist: {user / 'mine.toml'}:9: bad TOML: ")


class _Terminal(io.StringIO):
    """Replies typed at a terminal: the rehearsal asks for a scenario by number."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("locale", "prompt", "other"), [("zh_CN.UTF-8", "编号：", "number:"), ("C.UTF-8", "number: ", "编号")]
)
def test_cli_scenario_menu_prompt_follows_the_locale(monkeypatch, capsys, locale, prompt, other):
    """The menu's prompt is in the UI's language, like the error for a number that is not on it."""
    from callassist import cli

    set_locale(monkeypatch, locale)
    monkeypatch.setattr(sys, "stdin", _Terminal("99\n"))
    assert cli.main(["rehearse", "--no-record"]) == 2
    out, err = capsys.readouterr()
    assert "zh-helpful-service" in out and out.rstrip().endswith(prompt.rstrip()) and other not in out, out
    assert ("没有编号为 '99' 的场景" if locale.startswith("zh") else "no scenario number '99'") in err


def test_cli_reply_that_is_not_utf8(isolated_dirs):
    """A reply with bytes that are not UTF-8 (a GBK terminal, a pasted file) crashed the coach (opencc cannot
    encode the lone surrogates Python reads them as) and left the record without its closing line."""
    proc = subprocess.run(
        [sys.executable, "-m", "callassist", "rehearse", "--scenario", "zh-pushy-collector"],
        input="你好\n".encode() + b"\xff\xfe\xd6\xd0" + "坏\n/quit\n".encode(),
        capture_output=True,
        env=dict(os.environ, LANG="zh_CN.UTF-8"),
        timeout=120,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0 and "Traceback" not in err, err
    from callassist.record import load

    (folder,) = (isolated_dirs / "transcripts").iterdir()
    rec = load(folder)
    assert rec.status == "verified"
    assert [e["text"] for e in rec.utterances() if e["speaker"] == "me"] == ["你好", "\ufffd" * 4 + "坏"]


def test_cli_prints_a_scenarios_own_brackets_as_written(monkeypatch, capsys, isolated_dirs):
    """A user's scenario title or description with [brackets] was read as rich markup ('[/x]' crashed)."""
    from callassist.rehearse import user_scenarios_dir

    user_scenarios_dir().mkdir(parents=True, exist_ok=True)
    (user_scenarios_dir() / "mine.toml").write_text(
        GOOD.replace('title = "test"', 'title = "[练习] 催收[/x]"\ndescription = "对方[很凶]，先稳住"'),
        encoding="utf-8",
    )
    code, out, err = run_cli(monkeypatch, capsys, ["rehearse", "--scenario", "t", "--no-record"], "不行\n")
    assert code == 0, err
    assert "[练习] 催收[/x]" in out and "对方[很凶]，先稳住" in out


def test_the_report_counts_a_repeated_pitfall_once_with_its_number(books, matchers):
    """Agreeing three times to pay a private account listed '答应转入个人账户 −20' three times in the report."""
    r, _, _ = play("zh-pushy-collector", ["好的我转到你个人账户"] * 3, books, matchers)
    rep = r.report()
    pitfalls = next(p for p in rep.parts if p.key == "pitfalls")
    assert pitfalls.detail.count("答应转入个人账户") == 1 and "−20 ×3" in pitfalls.detail, pitfalls.detail
    lines = [text for _, text in rehearse.report_lines(rep)]
    assert "（提前结束）" in lines[1] and "(提前结束)" not in lines[1]
    assert any(line.startswith("  避开误区：") for line in lines), lines


@pytest.mark.parametrize(
    ("text", "refuses"),
    [
        ("I'm not paying this", True),
        ("I won't pay you people anything", True),
        ("I'm never going to pay", True),
        ("I'm not paying anything today.", False),
        ("I won't pay on this call.", False),
        ("I'm not paying anything until I get it in writing.", False),
        ("I won't pay until I see the validation notice", False),
        ("I won't pay that fee", False),
        ("I'm not paying a processing fee, it's not in my contract", False),
        ("I'm not paying by gift card", False),
        ("I'm not paying over the phone, send me the plan first", False),
    ],
)
def test_refusing_to_pay_anything_is_flagged_en(text, refuses):
    """English like the Chinese above: 'I won't pay' is the no_money pitfall, but refusing to pay today, on this
    call, a fee, by gift card or before it is in writing is what the playbook itself advises ('I won't make a
    payment on this call', 'I won't pay a fee that isn't in my contract') and is not."""
    got = read_reply(text, "en", EN_NUMBERS, agent_line="I need a payment from you today.", agent_intent="pay-today")
    assert ("no_money" in {p.kind for p in got.pitfalls}) is refuses, got


def test_english_report_suggests_words_to_say_not_homework(books, matchers):
    """'calmly named the line they crossed — you could say: Report violations to the CFPB at
    consumerfinance.gov/complaint; the company generally replies within 15 days.' is something to do after the
    call, not a line for the collector. 'you could say' is followed by a quoted line; a kind whose talking points
    are all instructions gets its advice instead."""
    sc = rehearse.find_scenario("en-us-collector")
    r = Rehearsal(sc, books["en"], None, None, matcher=matchers["en"])
    while not r.finished:
        r.reply("Okay.")
    tips = r.report().tips
    push = next(t for t in tips if t.startswith("calmly named the line they crossed"))
    assert "CFPB at consumerfinance.gov" not in push, push
    assert push == "calmly named the line they crossed — Name the violation, ask them to stop, say you will report it."
    said = [t for t in tips if "you could say:" in t]
    assert said and all(re.search(r"you could say: .*['‘“]", t) for t in said), said

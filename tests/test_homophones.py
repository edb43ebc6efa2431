"""Homophone errors of the recogniser are set right with the playbook's own words, and nothing else is changed."""

from __future__ import annotations

import pytest

from callassist import playbook as pb
from callassist.homophones import HomophoneFixer
from callassist.matcher import Matcher

BOOK = ["你的贷款已经逾期了", "逾期会影响征信", "我们可以给您办理分期", "分期还款需要审批", "征信报告上会有记录"]


def test_a_run_the_playbook_never_uses_becomes_the_word_that_sounds_the_same():
    fix = HomophoneFixer(BOOK)
    assert fix("你已经于期三天了") == "你已经逾期三天了"
    assert fix("可以申请分妻") == "可以申请分期"
    assert fix("会影响征心") == "会影响征信"


def test_the_playbooks_own_text_and_unrelated_words_stay():
    fix = HomophoneFixer(BOOK)
    for line in BOOK:
        assert fix(line) == line
    assert fix("我想吃鱼") == "我想吃鱼"  # no word of the playbook sounds like it
    # 语气 sounds like 逾期 but shares no character with it: two errors in one word are rare
    assert fix("语气很凶") == "语气很凶"
    assert fix("hello 于期 ok") == "hello 逾期 ok"


def test_a_word_must_be_common_and_its_sound_unambiguous():
    assert HomophoneFixer(["只说一次逾期"])("于期") == "于期"  # seen once: not a target
    both = ["逾期", "逾期", "余期", "余期"]  # two words that sound alike, neither twice as common
    assert HomophoneFixer(both)("于期") == "于期"
    assert HomophoneFixer([])("于期") == "于期"


@pytest.fixture(scope="module")
def zh():
    return Matcher(pb.load(language="zh-CN", user_overrides=False))


def test_the_matcher_reads_recogniser_output_with_the_playbooks_words(zh):
    m = zh.match("你 的 征心 会 受到 影想")
    assert m.intent == "threat-credit"
    assert "征信" in m.reason.heard and "影响" in m.reason.heard  # what the reason shows as heard
    assert zh.match("把 钱 转 到 我 的 个 人 账护 上").intent == "private-account"

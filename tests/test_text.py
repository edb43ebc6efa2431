"""Normalisation: what the recogniser and the user write should meet the playbook's form."""

from __future__ import annotations

from callassist import text as T


def test_traditional_becomes_simplified():
    assert T.clean("您為什麼逾期還款？") == "您为什么逾期还款"


def test_vosk_spaces_and_punctuation_are_removed_between_chinese_words():
    assert T.clean("你 为什么 逾期 了") == "你为什么逾期了"
    assert T.clean("你好，ＡＢＣ  公司！") == "你好abc公司"


def test_english_keeps_word_spaces_and_lowercases():
    assert T.clean("We'll  SUE you!") == "we ll sue you"


def test_fillers_are_dropped():
    assert T.normalize("嗯 那个 你 什么 时候 还") == "你什么时候还"
    assert T.normalize("uh we will um call your boss") == "we will call your boss"


def test_numbers_in_words_and_digits_compare_equal():
    assert T.normalize("分十二期每期一千五百块") == T.normalize("分12期每期1500块")


def test_homophones_share_pinyin():
    assert T.pinyin_syllables("逾期") == T.pinyin_syllables("于期") == ["yu", "qi"]


def test_asr_tokens_are_removed():
    assert T.clean("[9] 你 好 <UNK>") == "你好"


def test_synonyms_rewrite_to_canonical_longest_first():
    rw = T.SynonymRewriter({"逾期": ["拖欠", "没按时还"], "起诉": ["告你", "打官司"]})
    assert rw("你拖欠了三个月") == "你逾期了三个月"
    assert rw("再不还就告你") == "再不还就起诉"


def test_clean_survives_undecodable_bytes():
    from callassist.text import clean, valid_text

    assert valid_text("\udcff坏了") == "\ufffd坏了"  # a byte the terminal could not decode (surrogateescape)
    assert valid_text("\ud800ok") == "\ufffdok" and valid_text("好") == "好"
    assert clean("\udcff坏了") == clean("\ufffd坏了") == "坏了"

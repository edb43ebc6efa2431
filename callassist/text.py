"""Text normalisation for matching: script, width, punctuation, Vosk spaces, fillers, numbers, pinyin."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
# Spaces Vosk puts between Chinese words carry no meaning; spaces between Latin words do.
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])\\s+|\\s+(?=[{_CJK}])")
_PUNCT = re.compile(r"[^\w\s%#]", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Vosk sometimes emits tokens like [9] or <UNK>; they are not speech.
_ASR_TOKENS = re.compile(r"\[[^\]]*\]|<[^>]*>")

_ZH_DIGITS = "零〇一二三四五六七八九十百千万亿两"
_NUMBER_RE = re.compile(rf"(?:\d+(?:[.,]\d+)*|[{_ZH_DIGITS}]{{2,}}|[{_ZH_DIGITS}](?=[期块元号点天月年次%个万千百岁]))")

# Hesitation sounds and verbal fillers: they never change what the speaker wants.
ZH_FILLERS = (
    "那个那个",
    "就是说",
    "然后呢",
    "那个",
    "这个这个",
    "嗯",
    "呃",
    "额",
    "啊",
    "哦",
    "唉",
    "诶",
    "哎",
    "呀",
    "嘛",
)
EN_FILLERS = ("uh", "um", "uhm", "erm", "hmm", "like", "you know", "i mean")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def has_cjk(text: str) -> bool:
    """True if the text contains Chinese characters."""
    return bool(_CJK_RE.search(text))


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (other text unchanged; lone surrogates, which opencc cannot take, as
    U+FFFD)."""
    return _t2s().convert(valid_text(text)) if has_cjk(text) else text


def valid_text(text: str) -> str:
    """The text with lone surrogates (bytes the terminal could not decode as UTF-8) as U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def clean(text: str) -> str:
    """Width, case, script, ASR tokens, punctuation and spaces: the form every level starts from."""
    text = unicodedata.normalize("NFKC", valid_text(text))
    text = _ASR_TOKENS.sub(" ", text)
    text = to_simplified(text).lower()
    text = _PUNCT.sub(" ", text)
    text = _SPACE_BETWEEN_CJK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def strip_fillers(text: str, fillers: Iterable[str] = ZH_FILLERS) -> str:
    """Remove hesitation fillers (嗯, 那个, uh) from cleaned text."""
    for f in fillers:
        if f.isascii():
            text = re.sub(rf"\b{re.escape(f)}\b", " ", text)
        else:
            text = text.replace(f, "")
    return _SPACES.sub(" ", text).strip()


# Words that start with 一 but are no number: 八百一共 is 800 + 一共, not 801.
_YI_WORDS = re.compile("一(?=[共起下直般样定些旦切致同点儿天])")


def mask_numbers(text: str) -> str:
    """Replace amounts and counts (12, 一千五百, 三期) by '#': the number rarely decides the intent."""
    text = _YI_WORDS.sub("\x00", text)
    return _NUMBER_RE.sub("#", text).replace("\x00", "一")


class SynonymRewriter:
    """Rewrites domain variants (拖欠, 没按时还) to one canonical term (逾期), longest variant first."""

    def __init__(self, synonyms: Mapping[str, Iterable[str]]):
        pairs: dict[str, str] = {}
        for canonical, variants in synonyms.items():
            c = clean(canonical)
            for v in variants:
                v = clean(v)
                if v and v != c:
                    pairs.setdefault(v, c)
        self._pairs = pairs
        if pairs:
            alts = sorted(pairs, key=len, reverse=True)
            self._re: re.Pattern[str] | None = re.compile(
                "|".join(rf"\b{re.escape(a)}\b" if a.isascii() else re.escape(a) for a in alts)
            )
        else:
            self._re = None

    def __call__(self, text: str) -> str:
        if self._re is None:
            return text
        return self._re.sub(lambda m: self._pairs[m.group(0)], text)


def normalize(text: str, rewrite: SynonymRewriter | None = None) -> str:
    """The full normal form used for lexical matching."""
    text = clean(text)
    text = strip_fillers(text, ZH_FILLERS if has_cjk(text) else EN_FILLERS)
    text = mask_numbers(text)
    if rewrite is not None:
        text = rewrite(text)
    return text


@lru_cache(maxsize=8192)
def char_pinyin(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(ch, style=Style.NORMAL)[0]


def pinyin_syllables(text: str) -> list[str]:
    """Toneless pinyin of each Chinese character; other characters and words are kept as they are.

    Converted one character at a time so that the same character always gives the same syllable
    (homophone errors from the recogniser then compare equal; polyphones stay consistent).
    """
    out: list[str] = []
    word = ""
    for ch in text:
        if _CJK_RE.match(ch):
            if word:
                out.append(word)
                word = ""
            out.append(char_pinyin(ch))
        elif ch.isspace():
            if word:
                out.append(word)
                word = ""
        else:
            word += ch
    if word:
        out.append(word)
    return out

"""Homophone errors of the recogniser, set right with the playbook's own words.

A speech recogniser writes what it hears: 逾期 comes out as 于期, 分期 as 分妻, 工资 as 工紫. The pinyin level of
the matcher already sees through that, but the character level and the sentence encoder do not. The playbook says
what words to expect, so a run of two to four characters that appears nowhere in it, yet sounds exactly like a word
it uses often (same toneless pinyin) and shares a character with it, is read as that word. Text the playbook already
contains is never changed, so a written line in the playbook's own words stays as it is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from callassist import text as T

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LENGTHS = (4, 3, 2)  # longest first: 个性化 before 性化


class HomophoneFixer:
    """Replaces character runs the playbook never uses by the playbook word that sounds the same."""

    def __init__(self, texts: Iterable[str], min_count: int = 2) -> None:
        """`texts`: the playbook's lines (cleaned here); a word must occur `min_count` times to be a target."""
        grams: Counter[str] = Counter()
        for text in texts:
            for run in _CJK_RUN.findall(T.clean(text).replace(" ", "")):
                for n in _LENGTHS:
                    grams.update(run[i : i + n] for i in range(len(run) - n + 1))
        self.known = frozenset(grams)
        by_sound: dict[tuple[str, ...], list[tuple[int, str]]] = {}
        for gram, count in grams.items():
            if count >= min_count:
                by_sound.setdefault(_sound(gram), []).append((count, gram))
        # A sound shared by two common words is ambiguous: only a clear favourite (twice as common) is used.
        self.words: dict[tuple[str, ...], str] = {}
        for sound, found in by_sound.items():
            found.sort(reverse=True)
            if len(found) == 1 or found[0][0] >= 2 * found[1][0]:
                self.words[sound] = found[0][1]

    def __call__(self, text: str) -> str:
        """The cleaned text with unknown runs that sound like a playbook word replaced by that word."""
        if not self.words:
            return text
        return _CJK_RUN.sub(lambda m: self._fix_run(m.group(0)), text)

    def _fix_run(self, run: str) -> str:
        if len(run) < 2:
            return run
        sounds = [T.char_pinyin(ch) for ch in run]
        out: list[str] = []
        i = 0
        while i < len(run):
            for n in _LENGTHS:
                window = run[i : i + n]
                if len(window) < n or window in self.known:
                    continue
                word = self.words.get(tuple(sounds[i : i + n]))
                if word is not None and any(a == b for a, b in zip(window, word, strict=True)):
                    out.append(word)
                    i += n
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)


def _sound(chars: str) -> tuple[str, ...]:
    return tuple(T.char_pinyin(ch) for ch in chars)

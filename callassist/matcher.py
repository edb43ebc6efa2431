"""Match what the agent said to a playbook intent: several levels of comparison, a decision, and why."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

from callassist import text as T
from callassist.playbook import Playbook

CHATTER = "__chatter__"


@dataclass(frozen=True)
class Candidate:
    """One ranked intent."""

    intent: str
    score: float


@dataclass(frozen=True)
class Reason:
    """Why an intent was chosen: the closest example, shared terms and the score at each level."""

    example: str
    terms: tuple[str, ...]
    levels: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    """The matcher's answer for one utterance."""

    text: str
    intent: str | None
    score: float
    candidates: tuple[Candidate, ...]
    reason: Reason | None = None
    why_none: str = ""

    def to_json(self) -> dict:
        """The fixed JSON shape of `callassist match --jsonl`."""
        return {
            "text": self.text,
            "intent": self.intent,
            "score": round(self.score, 4),
            "candidates": [{"intent": c.intent, "score": round(c.score, 4)} for c in self.candidates[:3]],
        }


@dataclass(frozen=True)
class Settings:
    """Weights of each level and the decision threshold (tuned on a dev half, see benchmarks/match.py)."""

    w_chars: float = 0.30
    w_pinyin: float = 0.25
    w_meaning: float = 0.45
    keyword_bonus: float = 0.06
    threshold: float = 0.42
    margin_over_chatter: float = 0.0


class _SparseIndex:
    """TF-IDF vectors of documents as an inverted index in numpy arrays; cosine scores for a query."""

    def __init__(self, docs: list[Counter[str]]):
        self.n = len(docs)
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        self.idf = {f: math.log((self.n + 1) / (c + 1)) + 1.0 for f, c in df.items()}
        self.unseen_idf = math.log(self.n + 1) + 1.0
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for i, d in enumerate(docs):
            vec = {f: (1 + math.log(c)) * self.idf[f] for f, c in d.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for f, v in vec.items():
                ids, vals = postings.setdefault(f, ([], []))
                ids.append(i)
                vals.append(v / norm)
        self.post = {f: (np.array(a, dtype=np.int32), np.array(b, dtype=np.float32)) for f, (a, b) in postings.items()}

    def scores(self, q: Counter[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        if not q:
            return out
        vec = {f: (1 + math.log(c)) * self.idf.get(f, self.unseen_idf) for f, c in q.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        for f, v in vec.items():
            p = self.post.get(f)
            if p is not None:
                out[p[0]] += (v / norm) * p[1]
        return out


def _char_grams(s: str, ns: Iterable[int] = (1, 2, 3)) -> Counter[str]:
    s = s.replace(" ", "")
    c: Counter[str] = Counter()
    for n in ns:
        c.update(s[i : i + n] for i in range(len(s) - n + 1))
    return c


def _syllable_grams(sylls: list[str]) -> Counter[str]:
    c: Counter[str] = Counter(sylls)
    c.update(f"{a}_{b}" for a, b in zip(sylls, sylls[1:], strict=False))
    return c


_WORD = re.compile(r"[a-z0-9#']+")


def _stem(w: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: -len(suf)]
    return w


def _en_words(s: str) -> Counter[str]:
    words = [_stem(w) for w in _WORD.findall(s)]
    c: Counter[str] = Counter(words)
    c.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    return c


def _en_chars(s: str) -> Counter[str]:
    c: Counter[str] = Counter()
    for w in _WORD.findall(s):
        w = f" {w} "
        c.update(w[i : i + 4] for i in range(len(w) - 3))
    return c


class Matcher:
    """Ranks a playbook's intents for an utterance and decides whether any of them fits."""

    def __init__(self, playbook: Playbook, *, encoder=None, use_meaning: bool = True, settings: Settings | None = None):
        from callassist import encoder as enc

        self.playbook = playbook
        self.settings = settings or Settings()
        self.zh = playbook.lang == "zh"
        self.rewrite = T.SynonymRewriter(playbook.synonyms)
        labels: list[str] = []
        texts: list[str] = []
        for it in playbook.intents:
            for ex in it.examples:
                labels.append(it.id)
                texts.append(ex)
        for ex in playbook.chatter:
            labels.append(CHATTER)
            texts.append(ex)
        self.labels = labels
        self.texts = texts
        self.intent_ids = [it.id for it in playbook.intents] + [CHATTER]
        self._label_idx = np.array([self.intent_ids.index(lab) for lab in labels], dtype=np.int32)
        norm = [self._norm(t) for t in texts]
        self._norm_texts = norm
        self.chars = _SparseIndex([self._lex(n) for n in norm])
        self.pinyin = _SparseIndex([_syllable_grams(T.pinyin_syllables(n)) for n in norm]) if self.zh else None
        self.keywords = {
            it.id: tuple(k for k in (self._norm(k) for k in it.keywords) if len(k) >= 2) for it in playbook.intents
        }
        self.encoder = (encoder or enc.shared()) if use_meaning else None
        self._vecs = self.encoder.encode_cached([self._meaning_text(t) for t in texts]) if self.encoder else None

    def _norm(self, text: str) -> str:
        return T.normalize(text, self.rewrite)

    def _lex(self, norm: str) -> Counter[str]:
        return _char_grams(norm) if self.zh else _en_words(norm) + _en_chars(norm)

    def _meaning_text(self, text: str) -> str:
        t = T.clean(text)
        return T.strip_fillers(t, T.ZH_FILLERS if T.has_cjk(t) else T.EN_FILLERS)

    def doc_scores(self, text: str) -> tuple[str, dict[str, np.ndarray]]:
        """Per-example scores at each level (for the decision and for benchmarks)."""
        norm = self._norm(text)
        levels: dict[str, np.ndarray] = {"chars": self.chars.scores(self._lex(norm))}
        if self.pinyin is not None:
            levels["pinyin"] = self.pinyin.scores(_syllable_grams(T.pinyin_syllables(norm)))
        if self.encoder is not None and self._vecs is not None and norm:
            q = self.encoder.encode([self._meaning_text(text)])[0]
            levels["meaning"] = self._vecs @ q
        return norm, levels

    def _combine(self, levels: dict[str, np.ndarray]) -> np.ndarray:
        s = self.settings
        if "meaning" in levels:
            meaning = np.clip((levels["meaning"] - 0.2) / 0.7, 0.0, 1.0)
        else:
            meaning = None
        if self.zh:
            lex = s.w_chars * levels["chars"] + s.w_pinyin * levels["pinyin"]
            lex_w = s.w_chars + s.w_pinyin
        else:
            lex = (s.w_chars + s.w_pinyin) * levels["chars"]
            lex_w = s.w_chars + s.w_pinyin
        if meaning is None:
            return lex / lex_w
        return lex + s.w_meaning * meaning

    def match(self, text: str) -> Match:
        """Rank the intents for one utterance; decide the best one or none, and say why."""
        norm, levels = self.doc_scores(text)
        if not norm.replace("#", "").strip():
            return Match(text, None, 0.0, (), None, "nothing to match")
        combined = self._combine(levels)
        per_intent = np.full(len(self.intent_ids), -1.0, dtype=np.float32)
        np.maximum.at(per_intent, self._label_idx, combined)
        kw_hits: dict[str, list[str]] = {}
        for iid, kws in self.keywords.items():
            hits = [k for k in kws if k in norm]
            if hits:
                kw_hits[iid] = hits
                per_intent[self.intent_ids.index(iid)] += self.settings.keyword_bonus
        per_intent = np.clip(per_intent, 0.0, 1.0)
        order = np.argsort(-per_intent)
        ranked = [Candidate(self.intent_ids[i], float(per_intent[i])) for i in order]
        intents_only = tuple(c for c in ranked if c.intent != CHATTER)
        best = ranked[0]
        chatter_score = float(per_intent[self.intent_ids.index(CHATTER)])
        if best.intent == CHATTER:
            return Match(text, None, intents_only[0].score, intents_only[:3], None, "sounds like small talk")
        if best.score < self.settings.threshold:
            return Match(text, None, best.score, intents_only[:3], None, "no intent is close enough")
        if best.score - chatter_score < self.settings.margin_over_chatter:
            return Match(text, None, best.score, intents_only[:3], None, "too close to small talk")
        mask = np.array([lab == best.intent for lab in self.labels])
        ex_i = int(np.argmax(np.where(mask, combined, -np.inf)))
        reason = Reason(
            example=self.texts[ex_i],
            terms=tuple(dict.fromkeys(kw_hits.get(best.intent, []) + _shared_terms(norm, self._norm_texts[ex_i]))),
            levels={k: round(float(v[ex_i]), 3) for k, v in levels.items()},
        )
        return Match(text, best.intent, best.score, intents_only[:3], reason)


def _shared_terms(a: str, b: str, min_len: int = 2) -> list[str]:
    """Substrings of at least two characters that the utterance and the example share."""
    a2, b2 = a.replace(" ", "") if T.has_cjk(a) else a, b.replace(" ", "") if T.has_cjk(b) else b
    blocks = SequenceMatcher(None, a2, b2, autojunk=False).get_matching_blocks()
    terms = [a2[m.a : m.a + m.size].strip() for m in blocks if m.size >= min_len]
    return [t for t in terms if len(t) >= min_len and t != "#"]

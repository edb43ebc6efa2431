"""Match what the agent said to a playbook intent: several levels of comparison, a decision, and why."""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property

import numpy as np

from callassist import text as T
from callassist.homophones import HomophoneFixer
from callassist.playbook import Playbook

CHATTER = "__chatter__"
NAME_MASK = "某某"  # the [synonyms] entry whose variants are names of lenders and platforms


@dataclass(frozen=True)
class Candidate:
    """One ranked intent."""

    intent: str
    score: float


@dataclass(frozen=True)
class Reason:
    """Why an intent was chosen: the closest example, shared terms and the score at each level."""

    example: str
    levels: dict[str, float] = field(default_factory=dict)
    keyword_hits: tuple[str, ...] = ()
    heard: str = field(default="", repr=False)  # the utterance and the example, normalised: terms come from them
    example_norm: str = field(default="", repr=False)

    @cached_property
    def terms(self) -> tuple[str, ...]:
        """Keywords heard, then the longer pieces the utterance shares with the example (worked out when shown)."""
        return tuple(dict.fromkeys([*self.keyword_hits, *_shared_terms(self.heard, self.example_norm)]))


@dataclass(frozen=True)
class Match:
    """The matcher's answer for one utterance."""

    text: str
    intent: str | None
    score: float
    candidates: tuple[Candidate, ...]
    reason: Reason | None = None
    why_none: str = ""
    # Other intents with an alert that score high too (Settings.also_alert): one sentence can cross several lines
    # ("上门找你，还要通知你单位"); each is recorded. The suggestion stays the best intent's.
    also_alerts: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The fixed JSON shape of `callassist match --jsonl`."""
        return {
            "text": self.text,
            "intent": self.intent,
            "score": round(self.score, 4),
            "candidates": [{"intent": c.intent, "score": round(c.score, 4)} for c in self.candidates[:3]],
        }


# Why nothing was suggested: the matcher's words (kept in English for scripts) and the same for Chinese screens.
WHY_NONE_ZH = {
    "nothing to match": "没有可以匹配的文字",
    "no intent is close enough": "没有足够接近的应对",
    "closer to small talk than to any intent": "更像寒暄，不需要应对",
}


def why_none_text(m: Match, zh: bool) -> str:
    """Why this match has no suggestion, in Chinese or English."""
    return WHY_NONE_ZH.get(m.why_none, m.why_none) if zh else m.why_none


# The levels of comparison a Reason scores, as Chinese screens name them.
LEVEL_NAMES_ZH = {"chars": "字面", "pinyin": "拼音", "meaning": "语义"}


def level_name(name: str, zh: bool) -> str:
    """A level's name (chars, pinyin, meaning) for a person: Chinese or as the matcher calls it."""
    return LEVEL_NAMES_ZH.get(name, name) if zh else name


@dataclass(frozen=True)
class Settings:
    """The decision threshold on the learned score (0..1); see benchmarks/match.py for how it was chosen."""

    threshold: float = 0.4
    # Another intent with an alert is recorded beside the best one when its own score reaches this: stricter than
    # the threshold, since one misheard word (家人 in a line about fees) can lift a second intent a little.
    also_alert: float = 0.5


# What the scorer looks at for each (utterance, intent) pair. The weights are learned from the playbook itself
# (leave-one-out over its examples and chatter), so a user's playbook gets weights fitted to it.
FEATURES = (
    "meaning_max",
    "meaning_mean",
    "meaning_gap",
    "chars_max",
    "pinyin_max",
    "lexical_gap",
    "keyword",
    "chatter_meaning",
    "self_talk",
    "classifier",
    "classifier_chatter",
)
_SCORER_VERSION = 8
# A softmax classifier over meaning vectors adds what nearest examples miss; above this size it is skipped.
_CLASSIFIER_MAX_INTENTS = 400
# The borrower talking about themselves ("我下个月发工资就还") is not the agent saying something to answer.
_ZH_SELF = re.compile(r"我(?!们)")
_ZH_YOU = re.compile(r"[你您]")
_EN_SELF = re.compile(r"\b(i|i'm|i've|i'll|my|me)\b")
_EN_YOU = re.compile(r"\b(you|your|you're|you'll|you've)\b")


class _SparseIndex:
    """TF-IDF vectors of documents as an inverted index in numpy arrays; cosine scores for a query."""

    def __init__(self, docs: list[Counter[str]]):
        self.n = len(docs)
        # Flat (document, feature, count) triples, then numpy does the weighting and grouping.
        fid: dict[str, int] = {}
        doc_of, feat_of, counts = [], [], []
        for i, d in enumerate(docs):
            for f, c in d.items():
                doc_of.append(i)
                feat_of.append(fid.setdefault(f, len(fid)))
                counts.append(c)
        docs_a = np.array(doc_of, dtype=np.int32)
        feats_a = np.array(feat_of, dtype=np.int64)
        df = np.bincount(feats_a, minlength=len(fid))
        idf = np.log((self.n + 1) / (df + 1)) + 1.0
        w = (1 + np.log(np.array(counts, dtype=np.float64))) * idf[feats_a]
        norms = np.sqrt(np.bincount(docs_a, weights=w * w, minlength=self.n))
        w = (w / np.where(norms > 0, norms, 1.0)[docs_a]).astype(np.float32)
        order = np.argsort(feats_a, kind="stable")
        bounds = np.searchsorted(feats_a[order], np.arange(len(fid) + 1))
        d_sorted, w_sorted = docs_a[order], w[order]
        self._idf = idf
        self.unseen_idf = math.log(self.n + 1) + 1.0
        self._fid = fid
        self._docs, self._w = d_sorted, w_sorted
        self._start, self._len = bounds[:-1].astype(np.int64), np.diff(bounds).astype(np.int64)
        # In very large playbooks the commonest characters appear in thousands of examples and carry almost no
        # weight (low idf); skipping them keeps a query fast. Small playbooks are unaffected.
        self.max_postings = max(2000, self.n // 5)

    def scores(self, q: Counter[str]) -> np.ndarray:
        if not q:
            return np.zeros(self.n, dtype=np.float32)
        j = np.fromiter(map(self._fid.get, q, itertools.repeat(-1)), dtype=np.int64, count=len(q))
        known = j >= 0
        v = (1 + np.log(np.fromiter(q.values(), dtype=np.float64, count=len(q)))) * np.where(
            known, self._idf[j], self.unseen_idf
        )
        norm = math.sqrt(float(v @ v)) or 1.0
        ids, qw = j[known], v[known] / norm
        lens = self._len[ids]
        keep = lens <= self.max_postings
        ids, qw, lens = ids[keep], qw[keep], lens[keep]
        # Every posting of every query feature, gathered at once: position = feature start + offset within it.
        pos = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(self._start[ids] - (np.cumsum(lens) - lens), lens)
        out = np.bincount(self._docs[pos], weights=self._w[pos] * np.repeat(qw, lens), minlength=self.n)
        return out.astype(np.float32)


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


_WORD = re.compile(r"[\w#']+")  # any script's words (Korean too), not just Latin


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

    def __init__(
        self,
        playbook: Playbook,
        *,
        encoder=None,
        use_meaning: bool = True,
        settings: Settings | None = None,
        warm: bool = True,
    ):
        """`warm`: prepare the playbook's words for the encoder in the background (for a stream of utterances)."""
        from callassist import encoder as enc

        self.playbook = playbook
        self.settings = settings or Settings()
        self.encoder = (encoder or enc.shared()) if use_meaning else None
        self.zh = playbook.lang == "zh"
        self.rewrite = T.SynonymRewriter(playbook.synonyms)
        # Names (lenders, platforms) are hidden from the meaning level too: the agent of 借呗 says 借呗 all the time,
        # which must not read as "borrow from 借呗" (the playbook lists them as synonyms of NAME_MASK).
        self._names = T.SynonymRewriter({k: v for k, v in playbook.synonyms.items() if k == NAME_MASK})
        labels: list[str] = []
        texts: list[str] = []
        for it in playbook.intents:
            for ex in it.examples:
                labels.append(it.id)
                texts.append(ex)
        self.n_examples = len(texts)
        for ex in playbook.chatter:
            labels.append(CHATTER)
            texts.append(ex)
        self.labels = labels
        self.texts = texts
        # What is heard (not the playbook's own lines) gets its homophone errors set right with the playbook's words.
        self._homophones = HomophoneFixer(texts) if self.zh else None
        meaning_texts = [self._meaning_text(t) for t in texts]
        if self.encoder is not None:
            self.encoder.load_in_background(warm=meaning_texts if warm else ())
        self.intent_ids = [it.id for it in playbook.intents]
        self._alerting = frozenset(it.id for it in playbook.intents if it.alert)
        counts = [len(it.examples) for it in playbook.intents]
        self._starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self._counts = np.array(counts, dtype=np.float32)
        self._owner = np.repeat(np.arange(len(counts)), counts)
        norm = [self._norm(t) for t in texts]
        self._norm_texts = norm
        self._lex_docs = [self._lex(n) for n in norm]
        self._py_docs = [_syllable_grams(T.pinyin_syllables(n)) for n in norm] if self.zh else None
        self.chars = _SparseIndex(self._lex_docs)
        self.pinyin = _SparseIndex(self._py_docs) if self._py_docs is not None else None
        self.keywords = [
            tuple(k for k in (self._norm(k) for k in it.keywords) if len(k) >= 2) for it in playbook.intents
        ]
        owners: dict[str, list[int]] = {}
        for i, kws in enumerate(self.keywords):
            for w in kws:
                owners.setdefault(w, []).append(i)
        self._kw_owner = {w: np.array(v) for w, v in owners.items()}
        # Overlapping matches are found with a lookahead, so 通讯录 and 讯录 both count.
        self._kw_re = (
            re.compile("(?=(" + "|".join(re.escape(w) for w in sorted(owners, key=len, reverse=True)) + "))")
            if owners
            else None
        )
        self._vecs = self.encoder.encode_cached(meaning_texts) if self.encoder else None
        self._weights = self._load_or_fit_weights()

    # -- text forms -----------------------------------------------------------------------------------------

    def _norm(self, text: str) -> str:
        return T.normalize(text, self.rewrite)

    def _lex(self, norm: str) -> Counter[str]:
        return _char_grams(norm) if self.zh else _en_words(norm) + _en_chars(norm)

    def _meaning_text(self, text: str) -> str:
        return self._forms(text)[1]

    def _forms(self, text: str) -> tuple[str, str]:
        """The lexical normal form (as _norm) and the text the sentence encoder sees, sharing their first steps."""
        t = T.clean(text)
        t = T.strip_fillers(t, T.ZH_FILLERS if T.has_cjk(t) else T.EN_FILLERS)
        if self._homophones is not None:
            t = self._homophones(t)
        return self.rewrite(T.mask_numbers(t)), self._names(t)

    # -- levels and features --------------------------------------------------------------------------------

    def doc_scores(self, text: str) -> tuple[str, dict[str, np.ndarray], np.ndarray | None]:
        """Per-example similarity at each level (characters, pinyin, meaning), and the meaning vector."""
        norm, meaning_text = self._forms(text)
        q = None
        levels: dict[str, np.ndarray] = {"chars": self.chars.scores(self._lex(norm))}
        if self.pinyin is not None:
            levels["pinyin"] = self.pinyin.scores(_syllable_grams(T.pinyin_syllables(norm)))
        if self._vecs is not None and self.encoder is not None and norm:
            q = self.encoder.encode([meaning_text])[0]
            levels["meaning"] = self._vecs @ q
        return norm, levels, q

    def _features(
        self, norm: str, levels: dict[str, np.ndarray], probs: np.ndarray | None, exclude: int | None = None
    ) -> np.ndarray:
        """One row of FEATURES per intent; `exclude` leaves one example out (for fitting the weights)."""
        n = self.n_examples
        k = len(self.intent_ids)
        copy = exclude is not None  # only leaving an example out changes the arrays
        chars = levels["chars"][:n].astype(np.float32, copy=copy)
        pinyin = levels["pinyin"][:n].astype(np.float32, copy=copy) if "pinyin" in levels else chars.copy()
        meaning = levels.get("meaning")
        counts = self._counts.copy() if copy else self._counts
        if meaning is not None:
            m = meaning[:n].astype(np.float32, copy=copy)
            chat = meaning[n:]
        else:
            m = np.zeros(n, dtype=np.float32)
            chat = np.zeros(0, dtype=np.float32)
        if exclude is not None:
            if exclude < n:
                counts[self._owner[exclude]] -= 1
                for arr in (chars, pinyin):
                    arr[exclude] = -1.0
                mean_fix = m[exclude]
                m_for_max = m.copy()
                m_for_max[exclude] = -1.0
            else:
                chat = np.delete(chat, exclude - n) if chat.size else chat
                m_for_max, mean_fix = m, 0.0
        else:
            m_for_max, mean_fix = m, 0.0
        mmax = np.maximum.reduceat(m_for_max, self._starts)
        msum = np.add.reduceat(m, self._starts)
        if exclude is not None and exclude < n:
            msum[self._owner[exclude]] -= mean_fix
        mmean = msum / np.maximum(counts, 1)
        cmax = np.maximum.reduceat(chars, self._starts)
        pmax = np.maximum.reduceat(pinyin, self._starts)
        if copy:  # an intent whose only example was left out has nothing to compare with
            for arr in (mmax, cmax, pmax):
                arr[counts == 0] = 0.0
        lex = (cmax + pmax) / 2
        kw = np.zeros(k, dtype=np.float32)
        if self._kw_re is not None:
            for hit in set(self._kw_re.findall(norm)):
                kw[self._kw_owner[hit]] = 1.0
        me, you = (_ZH_SELF, _ZH_YOU) if self.zh else (_EN_SELF, _EN_YOU)
        out = np.empty((k, len(FEATURES)), dtype=np.float32)
        out[:, 0], out[:, 1], out[:, 2] = mmax, mmean, _gap(mmax)
        out[:, 3], out[:, 4], out[:, 5], out[:, 6] = cmax, pmax, _gap(lex), kw
        out[:, 7] = float(chat.max()) if chat.size else 0.0
        out[:, 8] = float(bool(me.search(norm)) and not you.search(norm))
        out[:, 9] = 0.0 if probs is None else probs[:k]
        out[:, 10] = 0.0 if probs is None else float(probs[k])
        return out

    # -- the learned scorer ---------------------------------------------------------------------------------

    def _class_targets(self) -> np.ndarray:
        """Class of every example for the classifier: its intent, or the extra chatter class."""
        k = len(self.intent_ids)
        return np.concatenate([self._owner, np.full(len(self.texts) - self.n_examples, k)]).astype(np.int64)

    def _noisy_copies(self) -> list[str]:
        """A recogniser-like copy of each example: one or two characters swapped for a homophone.

        Homophones come from the playbook's own characters, so the scorer learns to lean on pinyin
        when the characters disagree (逾期 heard as 于期) without being shown any test data.
        """
        groups: dict[str, list[str]] = {}
        for ch in sorted(set("".join(self.texts))):
            if T.has_cjk(ch):
                groups.setdefault(T.char_pinyin(ch), []).append(ch)
        rng = random.Random(0)
        out = []
        for text in self.texts:
            chars = list(text)
            spots = [j for j, ch in enumerate(chars) if T.has_cjk(ch) and len(groups[T.char_pinyin(ch)]) > 1]
            for j in rng.sample(spots, min(len(spots), rng.choice((1, 2)))):
                chars[j] = rng.choice([c for c in groups[T.char_pinyin(chars[j])] if c != chars[j]])
            out.append("".join(chars))
        return out

    def _out_of_fold_probs(self, vecs: np.ndarray, folds: int = 5) -> np.ndarray | None:
        """Classifier probabilities of each example (and its noisy copies) from a model that did not see it."""
        if self._vecs is None or len(self.intent_ids) > _CLASSIFIER_MAX_INTENTS:
            return None
        n = len(self.texts)
        y = np.tile(self._class_targets(), len(vecs) // n)
        fold = np.tile(np.arange(n) % folds, len(vecs) // n)
        out = np.zeros((len(vecs), len(self.intent_ids) + 1), dtype=np.float32)
        for f in range(folds):
            train, test = fold != f, fold == f
            w, b = _fit_ridge(vecs[train], y[train], len(self.intent_ids) + 1)
            out[test] = vecs[test] @ w + b
        return out

    def _training_rows(self, limit: int = 1500) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Leave-one-out features of the playbook's examples, chatter and their noisy copies; 1 for the true intent.

        Also returns every meaning vector used (clean, then noisy) so the classifier trains on the same.
        """
        n = len(self.texts)
        variants = [self.texts]
        if self.zh and n <= limit:  # large generated playbooks skip the noisy copies: weights only, no classifier
            variants.append(self._noisy_copies())
        vecs = None
        if self._vecs is not None and self.encoder is not None:
            extra = [self.encoder.encode([self._meaning_text(t) for t in v]) for v in variants[1:]]
            vecs = np.concatenate([self._vecs, *extra]) if extra else self._vecs
        oof = self._out_of_fold_probs(vecs) if vecs is not None else None
        rng = np.random.default_rng(0)
        idx = np.arange(n)
        if n > limit:
            idx = np.sort(rng.choice(idx, size=limit, replace=False))
        xs, ys = [], []
        for v, texts in enumerate(variants):
            for i in idx:
                row = v * n + int(i)
                norm = self._norm_texts[i] if v == 0 else self._norm(texts[i])
                levels = {"chars": self.chars.scores(self._lex_docs[i] if v == 0 else self._lex(norm))}
                if self.pinyin is not None and self._py_docs is not None:
                    py = self._py_docs[i] if v == 0 else _syllable_grams(T.pinyin_syllables(norm))
                    levels["pinyin"] = self.pinyin.scores(py)
                if vecs is not None and self._vecs is not None:
                    levels["meaning"] = self._vecs @ vecs[row]
                xs.append(self._features(norm, levels, None if oof is None else oof[row], exclude=int(i)))
                y = np.zeros(len(self.intent_ids), dtype=np.float32)
                if i < self.n_examples:
                    y[self._owner[i]] = 1.0
                ys.append(y)
        return np.concatenate(xs), np.concatenate(ys), vecs

    def _load_or_fit_weights(self) -> np.ndarray:
        import hashlib

        from callassist import locations

        key = hashlib.sha256(
            "\x1f".join([str(_SCORER_VERSION), str(self._vecs is not None), *self.labels, *self.texts]).encode()
            + "\x1f".join(f"{i}:{'|'.join(k)}" for i, k in enumerate(self.keywords)).encode()
            + repr(sorted(self.playbook.synonyms.items())).encode()
        ).hexdigest()[:32]
        path = locations.cache_dir() / "scorers" / f"{key}.npz"
        try:
            with np.load(path, allow_pickle=False) as z:
                w, cw, cb = z["w"], z["cw"], z["cb"]
            if w.shape == (len(FEATURES) + 1,):
                self._clf = (cw, cb) if cw.size else None
                return w
        except (OSError, ValueError, KeyError):
            pass
        x, y, vecs = self._training_rows()
        self._clf = None
        if vecs is not None and len(self.intent_ids) <= _CLASSIFIER_MAX_INTENTS:
            targets = np.tile(self._class_targets(), len(vecs) // len(self.texts))
            self._clf = _fit_ridge(vecs, targets, len(self.intent_ids) + 1)
        w = _fit_logistic(x, y)
        cw, cb = self._clf if self._clf is not None else (np.zeros(0), np.zeros(0))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp.npz")
            np.savez(tmp, w=w, cw=cw, cb=cb)
            tmp.replace(path)
        except OSError:
            pass  # a cache that cannot be written only costs time next start
        return w

    def scores(self, norm: str, levels: dict[str, np.ndarray], q: np.ndarray | None) -> np.ndarray:
        """The learned score (0..1) of every intent."""
        probs = None
        if q is not None and self._clf is not None:
            probs = q @ self._clf[0] + self._clf[1]
        f = self._features(norm, levels, probs)
        z = f @ self._weights[:-1] + self._weights[-1]
        return 1.0 / (1.0 + np.exp(-z))

    def _closeness(self, levels: dict[str, np.ndarray]) -> np.ndarray:
        """How close each example (intents, then chatter) is, all levels together: picks the example to show."""
        lex = (levels["chars"] + levels.get("pinyin", levels["chars"])) / 2
        return 0.6 * levels["meaning"] + 0.4 * lex if "meaning" in levels else lex

    # -- the decision ---------------------------------------------------------------------------------------

    def match(self, text: str) -> Match:
        """Rank the intents for one utterance; decide the best one or none, and say why."""
        norm, levels, q = self.doc_scores(text)
        if not norm.replace("#", "").strip():
            return Match(text, None, 0.0, (), None, "nothing to match")
        s = self.scores(norm, levels, q)
        order = np.argsort(-s)[:3]
        cands = tuple(Candidate(self.intent_ids[i], float(s[i])) for i in order)
        best = cands[0]
        closeness = self._closeness(levels)
        chatter_best = closeness[self.n_examples :].max() if closeness.size > self.n_examples else -1.0
        if chatter_best >= closeness[: self.n_examples].max():
            return Match(text, None, best.score, cands, None, "closer to small talk than to any intent")
        if best.score < self.settings.threshold:
            return Match(text, None, best.score, cands, None, "no intent is close enough")
        k = int(order[0])
        lo, hi = int(self._starts[k]), int(self._starts[k] + self._counts[k])
        ex_i = lo + int(np.argmax(closeness[lo:hi]))
        reason = Reason(
            example=self.texts[ex_i],
            levels={name: round(float(v[ex_i]), 3) for name, v in levels.items()},
            keyword_hits=tuple(w for w in self.keywords[k] if w in norm),
            heard=norm,
            example_norm=self._norm_texts[ex_i],
        )
        bar = max(self.settings.also_alert, self.settings.threshold)
        also = tuple(c.intent for c in cands[1:] if c.intent in self._alerting and c.score >= bar)
        return Match(text, best.intent, best.score, cands, reason, also_alerts=also)


def _gap(x: np.ndarray) -> np.ndarray:
    """How far each entry is above the best of the others (negative for all but the top one)."""
    if x.size < 2:
        return np.zeros_like(x)
    top = int(np.argmax(x))
    first = x[top]
    second = max(x[:top].max(initial=-np.inf), x[top + 1 :].max(initial=-np.inf))
    out = x - first
    out[top] = first - second
    return out


def _fit_ridge(x: np.ndarray, y: np.ndarray, k: int, l2: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A ridge classifier on meaning vectors: one linear solve (milliseconds), a score per class."""
    x = x.astype(np.float64)
    mean = x.mean(axis=0)
    xc = x - mean
    onehot = np.eye(k)[y]
    target_mean = onehot.mean(axis=0)
    w = np.linalg.solve(xc.T @ xc + l2 * np.eye(x.shape[1]), xc.T @ (onehot - target_mean))
    b = target_mean - mean @ w
    return w.astype(np.float32), b.astype(np.float32)


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, iters: int = 30) -> np.ndarray:
    """Logistic regression by Newton's method (L2, bias unpenalised); returns weights with the bias last."""
    xb = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        g = xb.T @ (p - y) + reg @ w
        h = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w.astype(np.float64)


def _shared_terms(a: str, b: str, min_len: int = 2) -> list[str]:
    """Substrings of at least two characters that the utterance and the example share."""
    a2, b2 = a.replace(" ", "") if T.has_cjk(a) else a, b.replace(" ", "") if T.has_cjk(b) else b
    blocks = SequenceMatcher(None, a2, b2, autojunk=False).get_matching_blocks()
    terms = [a2[m.a : m.a + m.size].strip() for m in blocks if m.size >= min_len]
    return [t for t in terms if len(t) >= min_len and t != "#"]

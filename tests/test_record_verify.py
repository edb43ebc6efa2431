"""Verification: every changed, inserted or deleted byte is caught; torn lines, unknown versions and junk are
reported without raising; recovery appends, never rewrites."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil

import pytest

from callassist.record import journal as J
from callassist.record import load
from callassist.record.recover import looks_finished, recover, recover_all, unfinished
from callassist.session import CallSession
from tests.record_helpers import StubMatcher, make_record, tiny_playbook


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    """A small closed record and its journal bytes."""
    folder = make_record(tmp_path_factory.mktemp("closed"), n=3)
    return folder, (folder / "journal.jsonl").read_bytes()


def _status_after(folder, data: bytes) -> tuple[str, list]:
    rec = load(folder, data=data)  # the same check as on the file, without thousands of writes
    return rec.status, rec.problems


def test_intact_record_verifies(closed):
    folder, data = closed
    rec = load(folder)
    assert rec.status == "verified" and rec.problems == [] and rec.ok
    assert rec.final_digest == rec.closing["hash"]
    assert rec.journal_sha256 == hashlib.sha256(data).hexdigest()


def _copy(closed, tmp_path):
    folder, data = closed
    work = tmp_path / "work"
    shutil.copytree(folder, work)
    return work, data


def test_checking_bytes_is_the_same_as_checking_the_file(closed, tmp_path):
    work, data = _copy(closed, tmp_path)
    changed = data.replace("家人".encode(), "家里".encode(), 1)
    (work / "journal.jsonl").write_bytes(changed)
    a, b = load(work), load(work, data=changed)
    assert (a.status, a.problems, a.final_digest) == (b.status, b.problems, b.final_digest)


def test_every_changed_byte_is_detected(closed, tmp_path):
    work, data = _copy(closed, tmp_path)
    rng = random.Random(7)
    missed = []
    for i in range(len(data)):
        new = bytearray(data)
        new[i] = (data[i] + rng.randint(1, 255)) % 256
        status, _ = _status_after(work, bytes(new))
        if status == "verified":
            missed.append(i)
    assert missed == [], f"changes at {missed[:10]} went unnoticed"


def test_every_deleted_byte_is_detected(closed, tmp_path):
    work, data = _copy(closed, tmp_path)
    missed = [i for i in range(len(data)) if _status_after(work, data[:i] + data[i + 1 :])[0] == "verified"]
    assert missed == []


def test_inserted_bytes_are_detected(closed, tmp_path):
    work, data = _copy(closed, tmp_path)
    rng = random.Random(3)
    newlines = [i + 1 for i, b in enumerate(data) if b == 0x0A]
    positions = sorted(set(rng.sample(range(len(data) + 1), 400) + newlines + [0, len(data)]))
    missed = []
    for i in positions:
        for ins in (b" ", b"\n", b"x", "中".encode()):
            if _status_after(work, data[:i] + ins + data[i:])[0] == "verified":
                missed.append((i, ins))
    assert missed == []


def test_deleted_or_moved_lines_are_named(closed, tmp_path):
    work, data = _copy(closed, tmp_path)
    lines = data.split(b"\n")
    status, problems = _status_after(work, b"\n".join(lines[:3] + lines[4:]))
    assert status == "broken" and problems[-1].line == 4 and problems[-1].code == "prev"
    status, problems = _status_after(work, b"\n".join([lines[0], lines[2], lines[1]] + lines[3:]))
    assert status == "broken" and problems[-1].line == 2
    status, problems = _status_after(work, b"\n".join(lines[:-2]) + b"\n")  # the closing line removed
    assert status == "open" and problems[-1].code == "no-close"


def test_a_changed_line_is_reported_with_its_number_in_both_languages(closed, tmp_path):
    work, data = _copy(closed, tmp_path)
    (work / "journal.jsonl").write_bytes(data.replace("再不还就告诉你家人".encode(), "再不还就告诉你家里".encode(), 1))
    rec = load(work)
    assert rec.status == "broken"
    p = rec.fatal
    assert p.line == 4 and p.code == "hash"
    assert p.message("en").startswith("line 4: ") and "changed" in p.message("en")
    assert p.message("zh").startswith("第 4 行：") and "修改" in p.message("zh")
    assert [e["seq"] for e in rec.events] == [1, 2]  # what precedes the break is still readable


def test_torn_last_line_is_reported_not_fatal_and_recovered(tmp_path):
    folder = make_record(tmp_path, close=False)
    path = folder / "journal.jsonl"
    data = path.read_bytes()
    whole = load(folder)
    assert whole.status == "open"
    torn = data + data.split(b"\n")[-2][:37]  # half of a line, as a crash mid-write would leave
    path.write_bytes(torn)
    rec = load(folder)
    assert rec.status == "open" and not rec.fatal
    assert rec.problems[0].code == "torn" and rec.problems[0].line == whole.lines + 1
    assert [e["hash"] for e in rec.events] == [e["hash"] for e in whole.events]
    assert not looks_finished(path) and unfinished(tmp_path) == [folder]
    result = recover(folder)
    assert result.action == "marked"
    after = path.read_bytes()
    assert after.startswith(torn)  # appended, never rewritten
    rec = load(folder)
    assert rec.status == "interrupted" and rec.ok
    assert rec.closing["torn"] == {
        "line": whole.lines + 1,
        "bytes": 37,
        "sha256": hashlib.sha256(data.split(b"\n")[-2][:37]).hexdigest(),
    }
    assert rec.closing["last_seq"] == whole.events[-1]["seq"]
    assert [p.code for p in rec.problems] == ["torn-declared"]
    assert recover_all(tmp_path) == [] and looks_finished(path)
    # Changing the torn fragment afterwards is caught too.
    path.write_bytes(after.replace(data.split(b"\n")[-2][:37], data.split(b"\n")[-2][:36] + b"X"))
    assert load(folder).status == "broken"


def test_a_whole_line_missing_only_its_newline_is_kept(tmp_path):
    folder = make_record(tmp_path, close=False)
    path = folder / "journal.jsonl"
    rec = load(folder)
    line, _ = J.encode(
        {"seq": rec.lines, "type": "note", "at": "2026-11-20T14:10:00.000+08:00", "text": "x"}, rec.final_digest
    )
    path.write_bytes(path.read_bytes() + line[:-1])
    assert recover(folder).action == "marked"
    rec = load(folder)
    assert rec.status == "interrupted" and rec.closing["torn"] is None
    assert rec.events[-2]["text"] == "x"


def test_a_running_call_is_not_marked_interrupted(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    s.utterance("me", "你好")
    assert unfinished(tmp_path) == [s.folder]
    assert recover(s.folder).action == "running"
    assert recover_all(tmp_path)[0].action == "running"
    s.close()
    assert unfinished(tmp_path) == []
    assert load(s.folder).status == "verified"


def test_starting_a_call_marks_earlier_cut_off_calls(tmp_path):
    old = make_record(tmp_path, close=False)
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    assert [r.folder for r in s.recovered] == [old] and s.recovered[0].action == "marked"
    s.close()
    assert load(old).status == "interrupted"


def test_unknown_version_is_a_clear_problem(tmp_path):
    folder = make_record(tmp_path)
    path = folder / "journal.jsonl"
    lines = path.read_bytes().split(b"\n")
    header = json.loads(lines[0])
    header.pop("hash")
    prev = header.pop("prev")
    header["version"] = 2
    lines[0] = J.encode(header, prev)[0][:-1]
    path.write_bytes(b"\n".join(lines))
    rec = load(folder)
    assert rec.status == "broken" and rec.fatal.code == "version"
    assert "version 2" in rec.fatal.message("en") and "update callassist" in rec.fatal.message("en")
    # The same when someone edited the version by hand (the digest no longer matches).
    path.write_bytes(path.read_bytes().replace(b'"version":2', b'"version":3', 1))
    assert load(folder).fatal.code == "version"


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"not json at all\n", b'{"type":"header"}\n', b"\xff\xfe\x00garbage", b'{"seq":0}' * 1000],
)
def test_junk_never_raises(tmp_path, content):
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "journal.jsonl").write_bytes(content)
    rec = load(folder)
    assert rec.status == "broken" and rec.problems and rec.problems[0].message("zh")


def test_random_junk_never_raises(tmp_path, closed):
    _, data = closed
    folder = tmp_path / "rec"
    folder.mkdir()
    rng = random.Random(11)
    for _ in range(300):
        cut = rng.randint(0, len(data))
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        load(folder, data=data[:cut] + junk + data[cut + len(junk) :])  # must not raise


def test_missing_journal_and_unreadable_folder(tmp_path):
    rec = load(tmp_path / "nothing")
    assert rec.status == "broken" and rec.problems[0].code == "missing"


def test_recovery_that_cannot_write_is_reported_not_raised(tmp_path, monkeypatch):
    import errno

    folder = make_record(tmp_path, close=False)

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(J, "_write_all", full)
    result = recover(folder)
    assert result.action == "failed" and "disk is full" in result.message
    monkeypatch.undo()
    assert load(folder).status == "open"  # unchanged; the next start tries again
    assert recover(folder).action == "marked"


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data.split(b"\n", 1)[1],  # the header deleted: line 1 is now an event
        lambda data: b"not json at all\n" + data.split(b"\n", 1)[1],
        lambda data: data.replace(b'"seq":0', b'"seq":0 ', 1),  # the header no longer a line callassist wrote
        lambda data: b"{" * 10,  # no complete first line
    ],
)
def test_a_damaged_header_is_described_in_the_language_asked(closed, tmp_path, damage):
    """The Chinese message for a damaged first line had an English or code-word detail in it
    ("不是 callassist 记录的文件头（the first line is not a callassist header）", "（format）")."""
    work, data = _copy(closed, tmp_path)
    rec = load(work, data=damage(data))
    assert rec.status == "broken" and rec.fatal.code in ("header", "hash") and rec.fatal.line == 1
    zh, en = rec.fatal.message("zh"), rec.fatal.message("en")
    assert not re.search(r"[A-Za-z]{2,}", zh.replace("callassist", "")), zh
    assert not re.search(r"[\u4e00-\u9fff]", en) and "(format)" not in en and "(json)" not in en, en

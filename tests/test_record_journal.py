"""The journal: line format, hash chain, durability, permissions, and what happens when the disk says no."""

from __future__ import annotations

import errno
import json
import os
import stat
import time
from datetime import datetime

import pytest

from callassist.record import journal as J
from callassist.record import load
from callassist.record.paths import RecordError, RecordWriteError, new_record_dir, transcripts_root
from callassist.session import CallSession
from tests.record_helpers import StubMatcher, make_record, tiny_playbook


def test_line_format_and_digest():
    line, digest = J.encode({"seq": 3, "type": "note", "text": "对方说要起诉"}, "a" * 64)
    assert line.endswith(b'"}\n') and b"\xe5" in line  # UTF-8, not \u escapes: readable with any tool
    event, why = J.check_line(line[:-1])
    assert why == "" and event["hash"] == digest and event["prev"] == "a" * 64 and event["text"] == "对方说要起诉"
    assert list(event)[-2:] == ["prev", "hash"]
    # The digest covers the exact bytes before ,"hash":" so the line can be checked with any SHA-256 tool.
    import hashlib

    assert hashlib.sha256(line[: line.rindex(b',"hash":"')]).hexdigest() == digest


def test_folders_and_files_are_private(tmp_path):
    folder = make_record(tmp_path / "tr")
    assert stat.S_IMODE((tmp_path / "tr").stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "journal.jsonl").stat().st_mode) == 0o600


def test_header_fields(tmp_path):
    folder = make_record(tmp_path, numbers=["95188"], direction="incoming")
    h = load(folder).header
    assert h["format"] == "callassist-journal" and h["version"] == 1
    assert h["started"] == "2026-11-20T14:03:12.000+08:00" and h["utc_offset"] == "+08:00"
    assert h["app"].startswith("callassist ")
    assert h["playbook"] == {"id": "tiny", "title": "测试话术", "language": "zh-CN", "sha256": "0" * 64}
    assert h["lender"] == "借呗" and h["direction"] == "incoming" and h["numbers"] == ["95188"]
    assert h["agent"] == {"name": "王", "id": "", "company": ""}
    assert "derived" in h["transcript"]


def test_time_zone_name_only_when_it_describes_the_start(tmp_path, monkeypatch):
    """The machine's zone name is recorded for a call started now, not for a start time in another offset."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        now = CallSession.start(tmp_path / "a", tiny_playbook(), matcher=StubMatcher())
        now.close()
        assert load(now.folder).header["time_zone"] == "Asia/Shanghai"
        other = CallSession.start(
            tmp_path / "b",
            tiny_playbook(),
            matcher=StubMatcher(),
            started_at=datetime.fromisoformat("2026-11-20T14:03:12-05:00"),
        )
        other.close()
        h = load(other.folder).header
        assert h["time_zone"] == "" and h["utc_offset"] == "-05:00"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_every_append_is_synced_before_it_returns(tmp_path, monkeypatch):
    synced: list[int] = []
    real = J._sync

    def counting(fd):
        real(fd)
        synced.append(os.fstat(fd).st_size)

    monkeypatch.setattr(J, "_sync", counting)
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    before = len(synced)
    ev, _ = s.utterance("me", "你好")
    assert len(synced) == before + 1
    # What was synced already holds the event that utterance() returned.
    assert (s.folder / "journal.jsonl").read_bytes()[: synced[-1]].endswith(ev["hash"].encode() + b'"}\n')
    s.close()


def test_closing_line(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    s.utterance("agent", "你什么时候还钱")
    info = s.close()
    rec = load(info.folder)
    c = rec.closing
    assert c["type"] == "close" and c["hash"] == info.final_digest == rec.final_digest
    assert c["events"] == len(rec.events) and c["audio"] is None and c["duration"] >= 0
    assert info.events == len(rec.events)


def _fail_after(monkeypatch, n_ok: int, partial: bool):
    """Make the (n_ok+1)-th journal write fail with ENOSPC, optionally after writing half the line."""
    real = J._write_all
    calls = {"n": 0}

    def write(fd, data):
        calls["n"] += 1
        if calls["n"] > n_ok:
            if partial:
                os.write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(J, "_write_all", write)
    return lambda: monkeypatch.setattr(J, "_write_all", real)


@pytest.mark.parametrize("partial", [False, True])
def test_full_disk_keeps_what_was_written_and_retries(tmp_path, monkeypatch, partial):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    s.utterance("me", "第一句")
    restore = _fail_after(monkeypatch, 0, partial)
    with pytest.raises(RecordWriteError) as err:
        s.note("写不进去的备注")
    msg = str(err.value)
    assert "journal.jsonl" in msg and "disk is full" in msg and "safe" in msg
    assert s.pending == 1
    rec = load(s.folder)  # the file still ends with a whole line: the half line was cut back
    assert rec.status == "open" and [e["type"] for e in rec.events] == ["utterance"]
    assert not any(p.code == "torn" for p in rec.problems)
    with pytest.raises(RecordWriteError):
        s.utterance("me", "还是写不进去")
    assert s.pending == 2
    restore()
    seen = []
    s.subscribe(seen.append)
    s.retry()
    assert [e["type"] for e in seen] == ["note", "utterance"] and s.pending == 0
    s.close()
    rec = load(s.folder)
    assert rec.status == "verified"
    assert [e.get("text") for e in rec.events if e["type"] in ("note", "utterance")] == [
        "第一句",
        "写不进去的备注",
        "还是写不进去",
    ]


def test_full_disk_on_close_keeps_the_record_open_until_it_works(tmp_path, monkeypatch):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    s.utterance("agent", "你好")
    restore = _fail_after(monkeypatch, 0, True)
    with pytest.raises(RecordWriteError):
        s.close()
    assert not s.closed
    restore()
    info = s.close()
    assert load(info.folder).status == "verified"


def test_a_half_line_that_cannot_be_cut_back_is_left_for_recovery(tmp_path, monkeypatch):
    from callassist.record.recover import recover

    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    s.utterance("agent", "你好")
    _fail_after(monkeypatch, 0, True)
    monkeypatch.setattr(J.os, "ftruncate", lambda fd, n: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    with pytest.raises(RecordWriteError, match="could not be cut back"):
        s.note("半行")
    with pytest.raises(RecordWriteError, match="could not be cut back"):
        s.note("之后的也写不了")
    s.journal.close_file()  # the process ends
    monkeypatch.undo()
    rec = load(s.folder)
    assert rec.status == "open" and rec.problems[0].code == "torn"
    assert recover(s.folder).action == "marked"
    rec = load(s.folder)
    assert rec.status == "interrupted" and rec.closing["torn"]["bytes"] > 0


def test_unwritable_transcripts_folder_is_one_clear_error(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: simulate the refusal the OS gives other users
        real_mkdir = os.mkdir

        def refuse(path, mode=0o777, *a, **k):
            if str(path).startswith(str(ro)):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_mkdir(path, mode, *a, **k)

        monkeypatch.setattr(os, "mkdir", refuse)
    else:
        ro.chmod(0o500)
    with pytest.raises(RecordWriteError) as err:
        CallSession.start(ro / "transcripts", tiny_playbook(), matcher=StubMatcher())
    assert "transcripts" in str(err.value) and "not writable" in str(err.value)
    ro.chmod(0o700)


def test_transcripts_path_that_is_a_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(RecordWriteError, match="afile"):
        CallSession.start(f / "transcripts", tiny_playbook(), matcher=StubMatcher())


def test_new_record_dir_names_do_not_collide(tmp_path):
    from datetime import datetime

    t = datetime(2026, 11, 20, 14, 3, 12).astimezone()
    a = new_record_dir(tmp_path, t, "借呗 / 花呗")
    b = new_record_dir(tmp_path, t, "借呗 / 花呗")
    assert a.name == "20261120-140312-借呗-花呗" and b.name == "20261120-140312-借呗-花呗-2"


def test_transcripts_root_order(tmp_path, monkeypatch):
    cfg = tmp_path / "config"
    cfg.mkdir(exist_ok=True)
    monkeypatch.setenv("CALLASSIST_CONFIG_DIR", str(cfg))
    assert transcripts_root("/x/y") == __import__("pathlib").Path("/x/y")
    monkeypatch.setenv("CALLASSIST_TRANSCRIPTS", str(tmp_path / "env"))
    assert transcripts_root() == tmp_path / "env"
    monkeypatch.delenv("CALLASSIST_TRANSCRIPTS")
    (cfg / "config.toml").write_text('transcripts = "~/calls"\n', encoding="utf-8")
    assert transcripts_root() == __import__("pathlib").Path("~/calls").expanduser()
    (cfg / "config.toml").write_text('transcripts = "calls"\n', encoding="utf-8")
    assert transcripts_root() == cfg / "calls"
    (cfg / "config.toml").write_text("transcripts = [1\n", encoding="utf-8")
    with pytest.raises(Exception, match="config.toml"):
        transcripts_root()


def test_events_are_plain_json_lines(tmp_path):
    folder = make_record(tmp_path)
    lines = (folder / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    types = [json.loads(x)["type"] for x in lines]
    assert types[0] == "header" and types[-1] == "close"
    assert {"utterance", "suggestion", "alert", "note", "bookmark", "agreed"} <= set(types)


def test_full_disk_still_gives_the_suggestion_and_queues_it(tmp_path, monkeypatch):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    s.utterance("me", "你好")
    restore = _fail_after(monkeypatch, 0, False)
    with pytest.raises(RecordWriteError) as err:
        s.utterance("agent", "再不还就告诉你家人")
    assert err.value.match.intent == "threat-family"  # the app can still show the answer
    seq = err.value.event["seq"]
    assert seq == 2 and err.value.event["pending"] and s.pending == 3  # utterance, suggestion, alert
    restore()
    s.bookmark("威胁")
    info = s.close()
    rec = load(info.folder)
    assert rec.status == "verified"
    assert [(e["seq"], e["type"], e.get("ref")) for e in rec.events[1:5]] == [
        (2, "utterance", None),
        (3, "suggestion", 2),
        (4, "alert", 2),
        (5, "bookmark", 2),
    ]


def test_a_call_that_cannot_start_leaves_nothing_behind(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(J, "_write_all", full)
    with pytest.raises(RecordWriteError, match="disk is full"):
        CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher(), audio_channels=("me", "agent"))
    assert list(tmp_path.iterdir()) == []


def test_transcripts_folder_that_is_a_file_or_has_no_parent_is_said_in_chinese(tmp_path):
    """The records folder set to an existing file gave "无法创建通话记录文件夹：File exists", and one under a missing
    path "No such file or directory": the system's English inside the Chinese line."""
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(RecordWriteError) as err:
        CallSession.start(f, tiny_playbook(), matcher=StubMatcher())
    assert err.value.zh == f"{f}：不是文件夹", err.value.zh
    assert str(err.value) == f"{f}: is not a folder"
    from callassist.record.paths import os_problem_zh

    assert os_problem_zh(FileNotFoundError(errno.ENOENT, "No such file or directory")) == "路径不存在"


def test_text_that_utf8_cannot_hold_never_wedges_the_record(tmp_path):
    """A reply read from a non-UTF-8 terminal or pipe holds lone surrogates. Its line could not be encoded, stayed
    queued, and every later line failed with it: the rest of the call, the closing line included, was lost."""
    s = CallSession.start(tmp_path / "tr", tiny_playbook(), matcher=StubMatcher())
    s.utterance("me", "坏\udcff\udcfe字")
    s.note("\udcff")
    with pytest.raises(RecordError):
        s.journal.append("system", {"kind": "level", "value": float("nan")})  # refused, not queued
    s.utterance("agent", "之后的话")
    rec = load(s.close().folder)
    assert rec.status == "verified"
    texts = [e.get("text") for e in rec.events if e["type"] in ("utterance", "note")]
    assert texts == ["坏\ufffd\ufffd字", "\ufffd", "之后的话"]


def test_a_header_value_utf8_cannot_hold_is_recorded_as_a_replacement(tmp_path):
    """`import --lender` with bytes a non-UTF-8 terminal sent (lone surrogates in argv) crashed with a traceback."""
    s = CallSession.start(
        tmp_path / "tr", tiny_playbook(), matcher=StubMatcher(), lender="\udcff借呗", agent_name="\udcfe"
    )
    rec = load(s.close().folder)
    assert rec.status == "verified" and rec.header["lender"] == "\ufffd借呗" and rec.header["agent"]["name"] == "\ufffd"

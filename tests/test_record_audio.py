"""The WAV writer: one channel per source, a header that keeps up so a crash leaves a playable file, a digest
at close that verify checks."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from callassist.record import load
from callassist.record.audio import WavWriter
from callassist.record.verify import file_sha256
from callassist.session import CallSession
from tests.record_helpers import StubMatcher, tiny_playbook

ROOT = Path(__file__).resolve().parent.parent


def tone(n: int, value: int) -> bytes:
    return np.full(n, value, dtype=np.int16).tobytes()


def test_two_sources_become_two_channels(tmp_path):
    w = WavWriter(tmp_path / "a.wav", ("me", "agent"), 16000)
    w.write("me", tone(1600, 100))
    w.write("agent", tone(800, -7))
    w.write("agent", tone(800, -7))
    info = w.close()
    with wave.open(str(tmp_path / "a.wav")) as f:
        assert (f.getnchannels(), f.getframerate(), f.getsampwidth(), f.getnframes()) == (2, 16000, 2, 1600)
        frames = np.frombuffer(f.readframes(1600), dtype=np.int16).reshape(-1, 2)
    assert (frames[:, 0] == 100).all() and (frames[:, 1] == -7).all()
    assert info.frames == 1600 and info.sha256 == file_sha256(tmp_path / "a.wav") and info.seconds == 0.1
    assert oct(os.stat(tmp_path / "a.wav").st_mode & 0o777) == "0o600"


def test_a_silent_source_is_padded_so_the_other_is_not_held_back(tmp_path):
    w = WavWriter(tmp_path / "a.wav", ("me", "agent"), 1000, max_lag=0.5)
    w.write("me", tone(2000, 5))  # agent's device is gone
    assert w.frames == 2000
    info = w.close()
    with wave.open(str(tmp_path / "a.wav")) as f:
        frames = np.frombuffer(f.readframes(info.frames), dtype=np.int16).reshape(-1, 2)
    assert (frames[:, 0] == 5).all() and (frames[:, 1] == 0).all()


def test_close_pads_the_shorter_channel(tmp_path):
    w = WavWriter(tmp_path / "a.wav", ("me", "agent"), 16000)
    w.write("me", tone(100, 1))
    w.write("agent", tone(60, 2))
    assert w.close().frames == 100


def test_bad_blocks_are_refused(tmp_path):
    w = WavWriter(tmp_path / "a.wav", ("me", "agent"), 16000)
    with pytest.raises(ValueError):
        w.write("nobody", tone(10, 0))
    with pytest.raises(ValueError):
        w.write(0, b"\x00")
    w.close()


def test_header_is_current_without_close(tmp_path):
    w = WavWriter(tmp_path / "a.wav", ("mono",), 8000, header_every=0.0)
    for _ in range(5):
        w.write(0, tone(800, 3))
    # No close: as if the process died now. The file plays all 4000 frames.
    with wave.open(str(tmp_path / "a.wav")) as f:
        assert f.getnframes() == 4000


def test_killed_writer_leaves_a_playable_file(tmp_path):
    code = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from callassist.record.audio import WavWriter
w = WavWriter(__import__("pathlib").Path({str(tmp_path / "k.wav")!r}), ("me", "agent"), 16000, header_every=0.05)
block = bytes(640)
print("go", flush=True)
while True:
    w.write("me", block); w.write("agent", block)
    time.sleep(0.005)
"""
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert p.stdout.readline().strip() == b"go"
    time.sleep(0.4)
    p.send_signal(signal.SIGKILL)
    p.wait()
    size = (tmp_path / "k.wav").stat().st_size
    with wave.open(str(tmp_path / "k.wav")) as f:
        n = f.getnframes()
        assert f.getnchannels() == 2 and n > 0
        assert len(f.readframes(n)) == n * 4  # every frame the header declares is in the file
    assert 44 + n * 4 <= size


def test_session_records_audio_and_verify_checks_it(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher(), audio_channels=("me", "agent"))
    w = s.audio_writer()  # the one started with the call
    w.write("me", tone(1600, 9))
    w.write("agent", tone(1600, 9))
    s.utterance("agent", "再不还就告诉你家人", start=0.01, end=0.09, confidence=0.8)
    info = s.close()
    rec = load(info.folder)
    assert rec.header["audio"] == {"file": "audio.wav", "channels": ["me", "agent"], "rate": 16000, "sample_width": 2}
    assert rec.status == "verified" and info.audio_sha256 == file_sha256(info.folder / "audio.wav")
    assert rec.closing["audio"]["sha256"] == info.audio_sha256 and rec.closing["audio"]["frames"] == 1600
    assert rec.audio.checked and rec.audio.ok
    # Any change to the audio is caught; so is a missing file.
    wav = info.folder / "audio.wav"
    data = wav.read_bytes()
    wav.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    rec = load(info.folder)
    assert rec.status == "broken" and rec.problems[-1].code == "audio-hash"
    wav.unlink()
    rec = load(info.folder)
    assert rec.status == "broken" and "audio.wav" in rec.problems[-1].message("en")


def test_audio_writer_started_mid_call_is_journaled(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    s.utterance("me", "开始录音")
    w = s.audio_writer(("me", "agent"), 8000)
    assert s.audio_writer() is w
    w.write_frames(struct.pack("<hh", 1, 2) * 80)
    info = s.close()
    rec = load(info.folder)
    assert [e["type"] for e in rec.events] == ["utterance", "audio", "close"]
    assert rec.status == "verified" and rec.closing["audio"]["frames"] == 80


def test_interrupted_call_keeps_its_audio_as_found(tmp_path):
    from callassist.record.recover import recover

    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher(), audio_channels=("me",))
    w = s.audio_writer()
    w.write("me", tone(4000, 1))
    w.flush()
    s.journal.close_file()  # crash: neither the audio nor the journal is closed
    before = (s.folder / "audio.wav").read_bytes()
    assert recover(s.folder).action == "marked"
    rec = load(s.folder)
    assert rec.status == "interrupted" and rec.audio.ok
    assert rec.closing["audio"]["sha256"] == file_sha256(s.folder / "audio.wav")
    assert (s.folder / "audio.wav").read_bytes() == before  # never modified

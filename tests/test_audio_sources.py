"""Audio sources without a sound card: WAV reading and pacing, resampling, channels, speakers, dropped blocks."""

from __future__ import annotations

import time

import numpy as np
import pytest

from callassist.audio import sources as S
from callassist.audio.errors import WavError
from tests.audio_support import read_pcm, write_pcm


def tone(freq: float, seconds: float, rate: int, amp: float = 8000.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def peak_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec) * rate / len(x))


def read_all(src: S.AudioSource) -> list[S.Block]:
    blocks = []
    src.start()
    while (b := src.read(timeout=5)) is not None:
        blocks.append(b)
    src.stop()
    return blocks


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_resampler_keeps_pitch_and_level_in_any_chunking(rate):
    x = tone(440.0, 2.0, rate).astype(np.float64)
    whole = S.Resampler(rate).process(x)
    r = S.Resampler(rate)
    pieces, i, sizes = [], 0, [1, 7, 333, 1024, 4410, 5]
    while i < len(x):
        n = sizes[len(pieces) % len(sizes)]
        pieces.append(r.process(x[i : i + n]))
        i += n
    chunked = np.concatenate(pieces)
    assert abs(len(whole) - 2.0 * S.RATE) <= 2
    assert np.allclose(whole[: len(chunked)], chunked[: len(whole)], atol=1e-6)
    mid = whole[2000:-2000]
    assert abs(peak_hz(mid, S.RATE) - 440.0) < 2.0
    assert 0.9 < np.sqrt(np.mean(mid**2)) / (8000 / np.sqrt(2)) < 1.1


def test_downsampling_removes_what_16k_cannot_carry():
    rate = 48000
    x = tone(12000.0, 1.0, rate).astype(np.float64)  # above the 8 kHz Nyquist limit of 16 kHz audio
    y = S.Resampler(rate).process(x)[500:-500]
    assert np.sqrt(np.mean(y**2)) < 0.02 * 8000  # attenuated, not folded back as a false tone


def test_wav_source_blocks_and_audio_clock(tmp_path):
    x = tone(300.0, 1.05, 16000)
    path = write_pcm(tmp_path / "a.wav", x)
    src = S.WavSource(path)
    assert src.duration == pytest.approx(1.05)
    blocks = read_all(src)
    assert [round(b.t0, 3) for b in blocks[:3]] == [0.0, 0.1, 0.2]
    assert b"".join(b.data for b in blocks) == x.astype("<i2").tobytes()  # 16 kHz mono passes through untouched
    assert blocks[-1].t1 == pytest.approx(1.05)
    assert src.read() is None


def test_wav_source_picks_a_channel_or_mixes(tmp_path):
    left, right = tone(300.0, 0.5, 16000), tone(1000.0, 0.5, 16000)
    path = write_pcm(tmp_path / "st.wav", np.stack([left, right], axis=1))
    got_right = np.frombuffer(b"".join(b.data for b in read_all(S.WavSource(path, channel=1))), "<i2")
    assert np.array_equal(got_right, right)
    mixed = np.frombuffer(b"".join(b.data for b in read_all(S.WavSource(path))), "<i2")
    assert np.allclose(mixed, (left.astype(int) + right.astype(int)) / 2, atol=1)
    with pytest.raises(WavError, match="has 2 channel"):
        S.WavSource(path, channel=2)


def test_wav_source_resamples_44k_and_reads_8_bit(tmp_path):
    p44 = write_pcm(tmp_path / "44.wav", tone(500.0, 1.0, 44100), rate=44100)
    y = np.frombuffer(b"".join(b.data for b in read_all(S.WavSource(p44))), "<i2").astype(float)
    assert abs(len(y) - 16000) <= 2 and abs(peak_hz(y[1000:-1000], 16000) - 500) < 2
    p8 = write_pcm(tmp_path / "u8.wav", tone(500.0, 0.5, 16000), sampwidth=1)
    z = np.frombuffer(b"".join(b.data for b in read_all(S.WavSource(p8))), "<i2").astype(float)
    assert abs(peak_hz(z, 16000) - 500) < 3


def test_wrong_wavs_are_one_clear_line(tmp_path):
    low = write_pcm(tmp_path / "low.wav", tone(300.0, 0.5, 4000), rate=4000)
    with pytest.raises(WavError, match=r"sample rate 4000 Hz is too low .*at least 8000 Hz"):
        S.WavSource(low)
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with pytest.raises(WavError, match="not a PCM WAV file we can read"):
        S.wav_info(text)
    with pytest.raises(WavError, match="file not found"):
        S.wav_info(tmp_path / "missing.wav")
    for err in (WavError("x"),):
        assert "\n" not in str(err)


def test_realtime_source_keeps_pace_and_drops_nothing_when_read(tmp_path):
    path = write_pcm(tmp_path / "a.wav", tone(300.0, 1.0, 16000))
    src = S.WavSource(path, realtime=True)
    t = time.monotonic()
    blocks = read_all(src)
    took = time.monotonic() - t
    assert 0.95 < took < 1.6
    assert len(blocks) == 10 and src.dropped == 0


def test_blocks_dropped_by_a_stalled_consumer_are_counted_and_leave_a_gap(tmp_path):
    path = write_pcm(tmp_path / "a.wav", tone(300.0, 1.0, 16000))
    src = S.WavSource(path, realtime=True, queue_seconds=0.1)  # room for 4 blocks
    src.start()
    time.sleep(0.75)  # nobody reads: the pacing thread has to throw blocks away
    blocks = []
    while (b := src.read(timeout=2)) is not None:
        blocks.append(b)
    src.stop()
    assert src.dropped == 10 - len(blocks) > 0
    steps = [round(b.t0 - a.t0, 3) for a, b in zip(blocks, blocks[1:], strict=False)]
    assert max(steps) == pytest.approx(0.1 * (src.dropped + 1))  # the audio clock shows the gap


def test_mixed_source_speaker_toggles_on_the_audio_clock(tmp_path):
    path = write_pcm(tmp_path / "a.wav", tone(300.0, 1.0, 16000))
    src = S.WavSource(path, speaker=S.AGENT)
    src.start()
    for _ in range(3):
        src.read()
    assert src.toggle_speaker() == S.ME  # at 0.3 s
    for _ in range(3):
        src.read()
    src.set_speaker(S.AGENT)  # at 0.6 s
    assert [src.speaker_at(t) for t in (0.0, 0.29, 0.3, 0.59, 0.6, 0.99)] == [
        S.AGENT,
        S.AGENT,
        S.ME,
        S.ME,
        S.AGENT,
        S.AGENT,
    ]
    src.stop()


def test_read_pcm_roundtrip(tmp_path):
    x = tone(300.0, 0.2, 16000)
    data, rate, ch = read_pcm(write_pcm(tmp_path / "r.wav", x))
    assert rate == 16000 and ch == 1 and np.array_equal(data[:, 0], x)

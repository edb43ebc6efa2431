"""Audio sources behind one small interface: microphone or second device (sounddevice) and WAV files.

Every source delivers 16 kHz mono int16 blocks stamped with the audio clock (seconds of audio since the
source started). Live sources fill a queue from the PortAudio callback, which only copies bytes and counts
overflows; conversion (channel choice, resampling) happens on the consumer side, in the recognizer's thread.
"""

from __future__ import annotations

import bisect
import queue
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callassist.audio.errors import DeviceError, WavError, import_sounddevice

RATE = 16000
"""The rate every source delivers and every Vosk model here expects."""
BLOCK_SECONDS = 0.1
MIN_RATE = 8000
ME, AGENT = "me", "agent"


@dataclass(frozen=True)
class Block:
    """A piece of audio: 16 kHz mono int16 little-endian bytes and the audio-clock time of its first sample."""

    data: bytes
    t0: float

    @property
    def samples(self) -> int:
        """Number of samples in the block."""
        return len(self.data) // 2

    @property
    def t1(self) -> float:
        """Audio-clock time just after the last sample."""
        return self.t0 + self.samples / RATE


class Resampler:
    """Streaming rate conversion of float samples: windowed-sinc low-pass, then linear interpolation."""

    def __init__(self, src_rate: int, dst_rate: int = RATE, taps: int = 63):
        self.step = src_rate / dst_rate
        self.h: np.ndarray | None = None
        if src_rate > dst_rate:
            fc = 0.45 * dst_rate / src_rate  # cut-off in cycles per input sample, a little under Nyquist
            n = np.arange(taps) - (taps - 1) / 2
            h = 2 * fc * np.sinc(2 * fc * n) * np.hamming(taps)
            self.h = h / h.sum()
            self.hist = np.zeros(taps - 1)
        self.carry = np.zeros(0)
        self.pos = 0.0

    def process(self, x: np.ndarray) -> np.ndarray:
        """Convert the next piece of the stream; state carries over to the next call."""
        if self.h is not None:
            buf = np.concatenate([self.hist, x])
            self.hist = buf[len(buf) - len(self.hist) :]
            x = np.convolve(buf, self.h, mode="valid")
        z = np.concatenate([self.carry, x])
        if len(z) < 2:
            self.carry = z
            return np.zeros(0)
        n = int(np.floor((len(z) - 1 - self.pos) / self.step)) + 1
        if (n - 1) * self.step + self.pos >= len(z) - 1:
            n -= 1
        n = max(n, 0)
        idx = self.pos + np.arange(n) * self.step
        out = np.interp(idx, np.arange(len(z)), z)
        nxt = self.pos + n * self.step
        keep = min(int(np.floor(nxt)), len(z))  # the next output may lie beyond this piece
        self.carry = z[keep:]
        self.pos = nxt - keep
        return out


class Converter:
    """Turns raw interleaved int16 frames into 16 kHz mono int16 bytes (one channel, or all mixed)."""

    def __init__(self, rate: int, channels: int, channel: int | None = None, sampwidth: int = 2):
        self.rate, self.channels, self.channel, self.sampwidth = rate, channels, channel, sampwidth
        self.resampler = Resampler(rate) if rate != RATE else None

    def __call__(self, raw: bytes) -> bytes:
        if self.rate == RATE and self.channels == 1 and self.sampwidth == 2:
            return raw
        x = _pcm_to_float(raw, self.sampwidth)
        frames = len(x) // self.channels
        x = x[: frames * self.channels].reshape(frames, self.channels)
        mono = x[:, self.channel] if self.channel is not None else x.mean(axis=1)
        if self.resampler is not None:
            mono = self.resampler.process(mono)
        return np.clip(np.rint(mono), -32768, 32767).astype("<i2").tobytes()


def _pcm_to_float(raw: bytes, sampwidth: int) -> np.ndarray:
    """PCM samples of any common width as floats on the int16 scale."""
    if sampwidth == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.float64)
    if sampwidth == 1:  # WAV 8-bit is unsigned
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    if sampwidth == 3:
        b = np.frombuffer(raw[: len(raw) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v & 0x800000, v - (1 << 24), v)
        return v.astype(np.float64) / 256.0
    if sampwidth == 4:
        return np.frombuffer(raw, dtype="<i4").astype(np.float64) / 65536.0
    raise WavError(f"{sampwidth * 8}-bit samples are not supported", zh=f"不支持 {sampwidth * 8} 位的采样")


class AudioSource:
    """One stream of audio with a speaker label; subclasses fill `_next_raw`.

    Lifecycle: start(), then read() until it returns None (end of file, stop(), or a lost device: `error`
    then says why), then stop(). Counters: `overflows` (the device had to throw audio away) and `dropped`
    (blocks lost because the consumer fell behind).
    """

    live = False

    def __init__(self, name: str, speaker: str):
        self.name = name
        self._changes: list[tuple[float, str]] = [(0.0, speaker)]
        self.overflows = 0
        self.dropped = 0
        self.error: str | None = None
        self.error_zh: str | None = None
        """`error` in Chinese, when there is one."""
        self.started_at: float | None = None  # wall clock (epoch seconds) of the first sample
        self._clock = 0  # input frames delivered so far
        self._in_rate = RATE
        self._lock = threading.Lock()

    @property
    def speaker(self) -> str:
        """The current speaker label."""
        return self._changes[-1][1]

    def set_speaker(self, speaker: str) -> None:
        """Label audio from now on (the current capture position) as this speaker."""
        with self._lock:
            at = self.captured_seconds
            if self._changes[-1][0] >= at:
                self._changes[-1] = (self._changes[-1][0], speaker)
            else:
                self._changes.append((at, speaker))

    def toggle_speaker(self) -> str:
        """Flip between me and agent (for one mixed stream, e.g. a speakerphone); returns the new label."""
        new = ME if self.speaker == AGENT else AGENT
        self.set_speaker(new)
        return new

    def speaker_at(self, t: float) -> str:
        """Who was speaking at audio-clock time t, according to the user's toggles."""
        with self._lock:
            i = bisect.bisect_right([c[0] for c in self._changes], t) - 1
            return self._changes[max(i, 0)][1]

    @property
    def captured_seconds(self) -> float:
        """Audio-clock position of the newest audio captured (live) or read (file)."""
        return self._clock / self._in_rate

    @property
    def duration(self) -> float | None:
        """Length in seconds when known (files), else None."""
        return None

    def start(self) -> None:
        """Begin capturing (live) or reading (file)."""
        if self.started_at is None:
            self.started_at = time.time()

    def read(self, timeout: float | None = None) -> Block | None:
        """The next block, or None at the end; raises TimeoutError if a live source has nothing yet."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop capturing; blocks already captured can still be read, then read() returns None."""

    def __enter__(self) -> AudioSource:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def describe(self) -> str:
        """One line for status displays and the record."""
        return f"{self.name} ({self.speaker})"


_END = None


class _QueuedSource(AudioSource):
    """A source whose producer (PortAudio callback or pacing thread) pushes raw bytes into a queue."""

    def __init__(self, name: str, speaker: str, *, queue_seconds: float, block_seconds: float):
        super().__init__(name, speaker)
        self._q: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
        self._max_blocks = max(4, int(queue_seconds / block_seconds))
        self._block_seconds = block_seconds
        self._convert: Converter | None = None
        self._frame_bytes = 2
        self._ended = False
        self._end_sent = False
        self._stopping = False

    def _push(self, raw: bytes) -> None:
        """Producer side: copy into the queue with its capture position, or count a dropped block when the
        consumer is far behind (the gap then shows in the block times)."""
        if self._q.qsize() >= self._max_blocks:
            self.dropped += 1
        else:
            self._q.put((self._clock, raw))
        self._clock += len(raw) // self._frame_bytes

    def _end(self, error: str | None = None, error_zh: str | None = None) -> None:
        """Mark the end of the stream once (with the reason if it was not asked for)."""
        if error and self.error is None:
            self.error, self.error_zh = error, error_zh
        if not self._end_sent:
            self._end_sent = True
            self._q.put(_END)

    def read(self, timeout: float | None = None) -> Block | None:
        if self._ended:
            return None
        try:
            item = self._q.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None
        if item is _END:
            self._ended = True
            return None
        frame, raw = item
        assert self._convert is not None
        return Block(self._convert(raw), frame / self._in_rate)

    @property
    def queued(self) -> int:
        """Blocks waiting for the consumer."""
        return self._q.qsize()


@dataclass(frozen=True)
class InputDevice:
    """An input device as PortAudio sees it."""

    index: int
    name: str
    hostapi: str
    channels: int
    default_rate: float
    is_default: bool

    def describe(self) -> str:
        """One line: index, name, channels, rate."""
        star = "*" if self.is_default else " "
        return f"{star}{self.index:>3}  {self.name}  ({self.hostapi}, {self.channels} ch, {self.default_rate:.0f} Hz)"


def list_input_devices() -> list[InputDevice]:
    """Input devices with their channels and default rate (AudioUnavailable without PortAudio)."""
    sd = import_sounddevice()
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except sd.PortAudioError as e:
        raise DeviceError(f"cannot list sound devices: {e}", zh=f"无法列出声音设备：{e}") from None
    out = []
    for d in devices:
        if d["max_input_channels"] > 0:
            out.append(
                InputDevice(
                    index=d["index"],
                    name=d["name"],
                    hostapi=apis[d["hostapi"]]["name"],
                    channels=d["max_input_channels"],
                    default_rate=d["default_samplerate"],
                    is_default=d["index"] == default_in,
                )
            )
    return out


def rescan_devices() -> None:
    """Make PortAudio look for devices again (after a headset is plugged in or a sound server starts).

    PortAudio only scans when it starts; sounddevice documents _terminate()/_initialize() for this.
    Call it only while no stream is open.
    """
    sd = import_sounddevice()
    sd._terminate()
    sd._initialize()


def resolve_device(device: int | str | None) -> InputDevice:
    """The input device for an index, a (part of a) name, or None for the default; DeviceError if none."""
    devices = list_input_devices()
    if not devices:
        raise DeviceError(
            "no sound input device found: plug in a microphone or headset (or start PulseAudio/PipeWire), "
            "or type what the agent says",
            zh="没有找到录音设备：请插上麦克风或耳机（或启动 PulseAudio/PipeWire），也可以把对方说的话打字输入",
        )
    if device is None or device == "":
        for d in devices:
            if d.is_default:
                return d
        return devices[0]
    if isinstance(device, int) or (isinstance(device, str) and device.strip().isdigit()):
        idx = int(device)
        for d in devices:
            if d.index == idx:
                return d
        raise DeviceError(
            f"no input device number {idx} (see `callassist devices`)",
            zh=f"没有编号为 {idx} 的录音设备（可用 `callassist devices` 查看）",
        )
    want = str(device).lower()
    exact = [d for d in devices if d.name.lower() == want]
    hits = exact or [d for d in devices if want in d.name.lower()]
    if not hits:
        raise DeviceError(
            f"no input device named like '{device}' (see `callassist devices`)",
            zh=f"没有名字像“{device}”的录音设备（可用 `callassist devices` 查看）",
        )
    if len(hits) > 1:
        names = ", ".join(f"{d.index}: {d.name}" for d in hits[:4])
        raise DeviceError(
            f"'{device}' matches several input devices ({names}): give the number",
            zh=f"“{device}”对得上好几个录音设备（{names}）：请改用编号",
        )
    return hits[0]


class MicrophoneSource(_QueuedSource):
    """A sound input device through sounddevice's RawInputStream.

    Opened at 16 kHz mono int16 when the device allows it, otherwise at the device's own rate (and with
    enough channels to reach `channel`), converted on the consumer side. For one mixed stream (a
    speakerphone) use `toggle_speaker()`.
    """

    live = True

    def __init__(
        self,
        device: int | str | None = None,
        *,
        speaker: str = ME,
        name: str | None = None,
        channel: int | None = None,
        block_seconds: float = BLOCK_SECONDS,
        queue_seconds: float = 30.0,
    ):
        super().__init__(name or speaker, speaker, queue_seconds=queue_seconds, block_seconds=block_seconds)
        self.device = device
        self.channel = channel
        self.info: InputDevice | None = None
        self.rate = RATE
        self._stream = None

    def start(self) -> None:
        """Open and start the stream; DeviceError or AudioUnavailable with one clear line."""
        sd = import_sounddevice()
        info = resolve_device(self.device)
        if self.channel is not None and self.channel >= info.channels:
            raise DeviceError(
                f"device '{info.name}' has {info.channels} input channels, no channel {self.channel + 1}",
                zh=f"设备“{info.name}”只有 {info.channels} 个输入声道，没有第 {self.channel + 1} 声道",
            )
        channels = 1 if self.channel is None else self.channel + 1
        rate = RATE
        try:
            sd.check_input_settings(device=info.index, samplerate=RATE, channels=channels, dtype="int16")
        except Exception:  # PortAudio reports an unsupported rate in several ways
            rate = int(info.default_rate)
        self.info, self.rate, self._in_rate = info, rate, rate
        self._frame_bytes = 2 * channels
        self._convert = Converter(rate, channels, self.channel if channels > 1 else None)
        try:
            self._stream = sd.RawInputStream(
                device=info.index,
                samplerate=rate,
                channels=channels,
                dtype="int16",
                blocksize=int(rate * self._block_seconds),
                callback=self._callback,
                finished_callback=self._finished,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as e:
            self._stream = None
            raise DeviceError(
                f"cannot open input device '{info.name}': {e}", zh=f"无法打开录音设备“{info.name}”：{e}"
            ) from None
        super().start()

    def _callback(self, indata, frames, time_info, status) -> None:
        if status.input_overflow:
            self.overflows += 1
        self._push(bytes(indata))

    def _finished(self) -> None:
        if not self._stopping:
            name = self.info.name if self.info else str(self.device)
            self._end(
                f"input device '{name}' stopped delivering audio (unplugged or its sound server stopped)",
                f"录音设备“{name}”没有声音进来了（可能被拔掉了，或声音服务停止了）",
            )
        else:
            self._end()

    def stop(self) -> None:
        """Stop and close the stream; already captured blocks stay readable."""
        if self._stopping:
            return
        self._stopping = True
        stream, self._stream = self._stream, None
        if stream is None:
            self._end()
            return
        try:
            stream.stop()
            stream.close()
        except Exception as e:  # a vanished device can fail to close; the capture is over either way
            if self.error is None:
                self.error = f"input device closed with an error: {e}"
                self.error_zh = f"录音设备关闭时出错：{e}"
        self._end()

    @property
    def active(self) -> bool:
        """True while the stream runs."""
        return self._stream is not None and bool(self._stream.active)

    def describe(self) -> str:
        name = self.info.name if self.info else str(self.device or "default")
        return f"{self.name}: {name} ({self.speaker}, {self.rate} Hz)"


@dataclass(frozen=True)
class WavInfo:
    """What a WAV file holds."""

    path: Path
    rate: int
    channels: int
    sampwidth: int
    frames: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.rate if self.rate else 0.0


# What a file that is not a WAV most likely is, by its first bytes (phones record m4a, amr, mp3).
_SIGNATURES = (
    (0, b"ID3", "MP3"),
    (0, b"\xff\xfb", "MP3"),
    (0, b"\xff\xf3", "MP3"),
    (0, b"\xff\xf2", "MP3"),
    (4, b"ftyp", "M4A/MP4"),
    (0, b"#!AMR", "AMR"),
    (0, b"OggS", "Ogg"),
    (0, b"fLaC", "FLAC"),
    (0, b"FORM", "AIFF"),
)


def _not_wav_reason(path: Path, err: BaseException) -> tuple[str, str]:
    """Why the wave module refused a file, in words (its own messages can be empty, e.g. EOFError()): in
    English and in Chinese."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as e:
        text = str(e) or type(e).__name__
        return text, text
    if not head:
        return "the file is empty", "文件是空的"
    for offset, magic, kind in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return f"not a RIFF/WAVE file, it looks like {kind} audio", f"不是 RIFF/WAVE 文件，看起来是 {kind} 音频"
    if not head.startswith(b"RIFF"[: len(head)]) or (len(head) >= 4 and not head.startswith(b"RIFF")):
        return "not a RIFF/WAVE file (it does not start with RIFF)", "不是 RIFF/WAVE 文件（开头不是 RIFF）"
    if len(head) < 12:
        return f"too short to be a WAV file ({len(head)} bytes)", f"太短了，不可能是 WAV 文件（只有 {len(head)} 字节）"
    if head[8:12] != b"WAVE":
        kind = head[8:12].decode("latin-1").strip() or "?"
        return f"a RIFF file but not WAVE ({kind})", f"是 RIFF 文件，但不是 WAVE（{kind}）"
    text = str(err)
    if text.startswith("unknown format: 3"):
        return text, f"采样是浮点数格式，不支持（{text}）"
    if text and text != "not a WAVE file":
        return text, text  # e.g. "unknown format: 6" (A-law)
    return "its header is damaged or the file is cut short", "文件头已损坏，或文件不完整"


def wav_info(path: str | Path) -> WavInfo:
    """Read and check a WAV header: PCM, at least 8 kHz; WavError otherwise."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as w:
            info = WavInfo(path, w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes())
    except FileNotFoundError:
        raise WavError(f"{path}: file not found", zh=f"{path}：文件不存在") from None
    except IsADirectoryError:
        raise WavError(f"{path}: is a folder, not a WAV file", zh=f"{path}：这是一个文件夹，不是 WAV 文件") from None
    except (wave.Error, EOFError) as e:
        hint = " (convert it: sox IN -b 16 OUT.wav, or ffmpeg -i IN -ac 1 -ar 16000 OUT.wav)"
        hint_zh = "（可以先转换：sox IN -b 16 OUT.wav，或 ffmpeg -i IN -ac 1 -ar 16000 OUT.wav）"
        why, why_zh = _not_wav_reason(path, e)
        raise WavError(
            f"{path}: not a PCM WAV file we can read: {why}{hint}",
            zh=f"{path}：不是能读取的 PCM WAV 文件：{why_zh}{hint_zh}",
        ) from None
    except OSError as e:
        from callassist.record.paths import os_problem_zh

        raise WavError(f"{path}: cannot read: {e.strerror}", zh=f"{path}：无法读取：{os_problem_zh(e)}") from None
    if info.channels < 1:
        raise WavError(f"{path}: no audio channels", zh=f"{path}：没有音频声道")
    if info.rate < MIN_RATE:
        raise WavError(
            f"{path}: sample rate {info.rate} Hz is too low for speech recognition (need at least {MIN_RATE} Hz; "
            f"16000 Hz is best)",
            zh=f"{path}：采样率 {info.rate} Hz 太低，无法做语音识别（至少要 {MIN_RATE} Hz，16000 Hz 最好）",
        )
    if info.sampwidth not in (1, 2, 3, 4):
        raise WavError(
            f"{path}: {info.sampwidth * 8}-bit samples are not supported",
            zh=f"{path}：不支持 {info.sampwidth * 8} 位的采样",
        )
    return info


class WavSource(_QueuedSource):
    """Audio from a WAV file (any PCM rate ≥ 8 kHz, any channel count), optionally paced like a live device.

    `channel` (0-based) picks one channel; None mixes all channels. With `realtime=True` a thread pushes
    blocks at the pace of the audio through the same queue as a microphone, so `dropped` counts blocks a
    slow consumer would have lost.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        channel: int | None = None,
        speaker: str = AGENT,
        name: str | None = None,
        realtime: bool = False,
        block_seconds: float = BLOCK_SECONDS,
        queue_seconds: float = 30.0,
    ):
        super().__init__(name or speaker, speaker, queue_seconds=queue_seconds, block_seconds=block_seconds)
        self.info = wav_info(path)
        if channel is not None and not 0 <= channel < self.info.channels:
            raise WavError(
                f"{path}: has {self.info.channels} channel(s), no channel {channel + 1}",
                zh=f"{path}：只有 {self.info.channels} 个声道，没有第 {channel + 1} 声道",
            )
        self.channel = channel
        self.realtime = realtime
        self._in_rate = self.info.rate
        self._frame_bytes = self.info.sampwidth * self.info.channels
        self._convert = Converter(self.info.rate, self.info.channels, channel, self.info.sampwidth)
        self._wave: wave.Wave_read | None = None
        self._thread: threading.Thread | None = None
        self._frames_per_block = max(1, int(self.info.rate * block_seconds))
        self.paced_from: float | None = None  # time.monotonic() of audio time 0 when paced (for latency figures)

    @property
    def duration(self) -> float:
        return self.info.duration

    def start(self) -> None:
        """Open the file; with realtime=True start the pacing thread."""
        if self._wave is not None:
            return
        self._wave = wave.open(str(self.info.path), "rb")
        super().start()
        if self.realtime:
            self._thread = threading.Thread(target=self._pace, name=f"wav-{self.name}", daemon=True)
            self._thread.start()

    def _pace(self) -> None:
        """Push blocks at the audio's own pace, like a sound card would."""
        assert self._wave is not None
        begin = self.paced_from = time.monotonic()
        while not self._stopping:
            raw = self._wave.readframes(self._frames_per_block)
            if not raw:
                break
            # a sound card hands over a block once its last sample has been captured
            due = begin + (self._clock + len(raw) // self._frame_bytes) / self.info.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._push(raw)
        self._end()

    def read(self, timeout: float | None = None) -> Block | None:
        if self.realtime:
            return super().read(timeout)
        if self._wave is None:
            self.start()
        assert self._wave is not None
        if self._ended or self._stopping:
            self._ended = True
            return None
        raw = self._wave.readframes(self._frames_per_block)
        if not raw:
            self._ended = True
            return None
        t0 = self._clock / self.info.rate
        self._clock += len(raw) // self._frame_bytes
        assert self._convert is not None
        return Block(self._convert(raw), t0)

    def stop(self) -> None:
        """Stop reading (or pacing); the file is closed."""
        self._stopping = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if self._wave is not None:
            self._wave.close()
            self._wave = None
        if not self.realtime:
            self._ended = True

    def describe(self) -> str:
        ch = f", channel {self.channel + 1}" if self.channel is not None else ""
        return f"{self.name}: {self.info.path.name}{ch} ({self.speaker})"


def microphone(device: int | str | None = None, *, channel: int | None = None) -> MicrophoneSource:
    """The user's own microphone: speech from it is labelled 'me'."""
    return MicrophoneSource(device, speaker=ME, name=ME, channel=channel)


def agent_device(device: int | str, *, channel: int | None = None) -> MicrophoneSource:
    """A second input for the other party (softphone monitor, phone on a cable or Bluetooth): 'agent'."""
    return MicrophoneSource(device, speaker=AGENT, name=AGENT, channel=channel)


def mixed(device: int | str | None = None, *, speaker: str = AGENT) -> MicrophoneSource:
    """One stream with both voices (speakerphone); the user toggles who is speaking."""
    return MicrophoneSource(device, speaker=speaker, name="mixed")

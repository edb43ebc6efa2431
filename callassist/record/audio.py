"""A crash-safe WAV writer: one channel per source, written as audio arrives, header kept up to date.

The RIFF and data sizes in the header are rewritten about once a second (after the data is synced), so a
process killed mid-call leaves a file that plays up to the last update. The file is hashed when closed and
never touched again.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from callassist.record.paths import FILE_MODE, RecordError, RecordWriteError, fsync_dir, os_problem
from callassist.record.verify import file_sha256

HEADER_SIZE = 44
MAX_DATA = 0xFFFFFFFF - HEADER_SIZE


@dataclass(frozen=True)
class AudioInfo:
    """What the closing line says about the audio file."""

    file: str
    sha256: str
    bytes: int
    frames: int
    rate: int
    channels: tuple[str, ...]

    @property
    def seconds(self) -> float:
        """Length of the recording."""
        return self.frames / self.rate if self.rate else 0.0

    def to_json(self) -> dict:
        """The fields journaled in the closing line."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "frames": self.frames,
            "seconds": round(self.seconds, 3),
            "rate": self.rate,
            "channels": list(self.channels),
        }


def wav_header(channels: int, rate: int, sample_width: int, data_bytes: int) -> bytes:
    """A canonical 44-byte PCM WAV header."""
    block = channels * sample_width
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,
        channels,
        rate,
        rate * block,
        block,
        sample_width * 8,
        b"data",
        data_bytes,
    )


class WavWriter:
    """Writes PCM audio from one or more sources into one WAV file, a channel per source. Thread-safe.

    `write(channel, pcm)` takes mono 16-bit blocks from one source; blocks are interleaved as soon as every
    channel has data. A source that falls silent (a lost device) is padded with silence once it lags more
    than `max_lag` seconds, so the other channels are never held back for long.
    """

    def __init__(
        self,
        path: Path,
        channels: Sequence[str] = ("audio",),
        rate: int = 16000,
        *,
        sample_width: int = 2,
        header_every: float = 1.0,
        max_lag: float = 2.0,
    ):
        if not channels:
            raise ValueError("at least one channel")
        self.path = Path(path)
        self.channels = tuple(channels)
        self.rate = int(rate)
        self.sample_width = int(sample_width)
        self.header_every = header_every
        self._max_lag_bytes = int(max_lag * self.rate) * self.sample_width
        self._bufs = [bytearray() for _ in self.channels]
        self._lock = threading.Lock()
        self._data_bytes = 0
        self._header_bytes = 0
        self._last_header = time.monotonic()
        self._info: AudioInfo | None = None
        try:
            self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except OSError as e:
            raise RecordWriteError(f"{self.path}: cannot create the audio file: {os_problem(e)}") from None
        try:
            os.write(self._fd, wav_header(len(self.channels), self.rate, self.sample_width, 0))
            os.fsync(self._fd)
            fsync_dir(self.path.parent)
        except OSError as e:
            os.close(self._fd)
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise RecordWriteError(f"{self.path}: cannot write the audio file: {os_problem(e)}") from None

    @property
    def frames(self) -> int:
        """Frames written so far."""
        return self._data_bytes // (self.sample_width * len(self.channels))

    @property
    def seconds(self) -> float:
        """Audio written so far, in seconds: the audio clock of the call."""
        return self.frames / self.rate

    def _index(self, channel: int | str) -> int:
        if isinstance(channel, str):
            try:
                return self.channels.index(channel)
            except ValueError:
                raise ValueError(f"unknown audio channel {channel!r} (have {', '.join(self.channels)})") from None
        if not 0 <= channel < len(self.channels):
            raise ValueError(f"audio channel {channel} out of range")
        return channel

    def write(self, channel: int | str, pcm: bytes) -> None:
        """Add a block of mono samples from one source."""
        i = self._index(channel)
        if len(pcm) % self.sample_width:
            raise ValueError("a block must hold whole samples")
        with self._lock:
            if self._fd is None:
                raise RecordError(f"{self.path}: the audio file is already closed")
            self._bufs[i] += pcm
            self._drain(pad=False)
            self._maybe_update_header()

    def write_frames(self, interleaved: bytes) -> None:
        """Add frames already interleaved in channel order (all sources at once)."""
        if len(interleaved) % (self.sample_width * len(self.channels)):
            raise ValueError("a block must hold whole frames")
        with self._lock:
            if self._fd is None:
                raise RecordError(f"{self.path}: the audio file is already closed")
            self._append(interleaved)
            self._maybe_update_header()

    def _drain(self, *, pad: bool) -> None:
        sw = self.sample_width
        lens = [len(b) for b in self._bufs]
        longest = max(lens)
        if pad or longest - min(lens) > self._max_lag_bytes:
            for b in self._bufs:  # a stalled source: fill its gap with silence
                if len(b) < longest:
                    b += bytes(longest - len(b))
        n = min(len(b) for b in self._bufs) // sw
        if n == 0:
            return
        if len(self._bufs) == 1:
            out = bytes(self._bufs[0][: n * sw])
        else:
            import numpy as np

            dtype = {1: np.uint8, 2: np.int16, 4: np.int32}[sw]
            cols = [np.frombuffer(bytes(b[: n * sw]), dtype=dtype) for b in self._bufs]
            out = np.column_stack(cols).tobytes()
        for b in self._bufs:
            del b[: n * sw]
        self._append(out)

    def _append(self, data: bytes) -> None:
        assert self._fd is not None
        if self._data_bytes + len(data) > MAX_DATA:
            raise RecordWriteError(f"{self.path}: the audio file reached the 4 GB limit of WAV; recording stopped")
        try:
            os.lseek(self._fd, HEADER_SIZE + self._data_bytes, os.SEEK_SET)
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as e:
            raise RecordWriteError(
                f"{self.path}: cannot write audio: {os_problem(e)}; the recording up to "
                f"{self._header_bytes / (self.sample_width * len(self.channels) * self.rate):.1f} s is kept"
            ) from None
        self._data_bytes += len(data)

    def _maybe_update_header(self) -> None:
        if time.monotonic() - self._last_header >= self.header_every:
            self._update_header()

    def _update_header(self) -> None:
        """Sync the samples, then declare them in the header: a crash never leaves a header that overstates."""
        assert self._fd is not None
        try:
            os.fdatasync(self._fd) if hasattr(os, "fdatasync") else os.fsync(self._fd)
            os.pwrite(self._fd, struct.pack("<I", 36 + self._data_bytes), 4)
            os.pwrite(self._fd, struct.pack("<I", self._data_bytes), 40)
        except OSError as e:
            raise RecordWriteError(f"{self.path}: cannot update the audio header: {os_problem(e)}") from None
        self._header_bytes = self._data_bytes
        self._last_header = time.monotonic()

    def flush(self) -> None:
        """Bring the header up to date now."""
        with self._lock:
            if self._fd is not None:
                self._update_header()

    def close(self) -> AudioInfo:
        """Write what is buffered (padding lagging channels), finish the header, sync, and hash the file."""
        with self._lock:
            if self._info is not None:
                return self._info
            if self._fd is None:
                raise RecordError(f"{self.path}: the audio file was not closed properly")
            try:
                self._drain(pad=True)
                self._update_header()
                os.fsync(self._fd)
            finally:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                self._fd = None
            try:
                digest = file_sha256(self.path)
            except OSError as e:
                raise RecordWriteError(f"{self.path}: cannot read back the audio file: {os_problem(e)}") from None
            self._info = AudioInfo(
                file=self.path.name,
                sha256=digest,
                bytes=HEADER_SIZE + self._data_bytes,
                frames=self.frames,
                rate=self.rate,
                channels=self.channels,
            )
            return self._info

    @property
    def info(self) -> AudioInfo | None:
        """The closing information, once closed."""
        return self._info

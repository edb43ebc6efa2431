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


# -- the same lines in Chinese under a Chinese locale (English unchanged otherwise) -----------------------


def _case_files(tmp_path):
    """Files for the locale cases: a mono, a stereo, a too-low-rate and an MP3 'WAV', a plain file, a folder."""
    mono = write_pcm(tmp_path / "a.wav", np.zeros(16000, dtype=np.int16))
    stereo = write_pcm(tmp_path / "st.wav", np.zeros((16000, 2), dtype=np.int16))
    low = write_pcm(tmp_path / "low.wav", np.zeros(4000, dtype=np.int16), rate=4000)
    mp3 = tmp_path / "phone.wav"
    mp3.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(40))
    plain = tmp_path / "afile"
    plain.write_text("x", encoding="utf-8")
    (tmp_path / "folder.wav").mkdir()
    (tmp_path / "empty-model").mkdir()
    return mono, stereo, low, mp3, plain


HINT_EN = " (convert it: sox IN -b 16 OUT.wav, or ffmpeg -i IN -ac 1 -ar 16000 OUT.wav)"
HINT_ZH = "（可以先转换：sox IN -b 16 OUT.wav，或 ffmpeg -i IN -ac 1 -ar 16000 OUT.wav）"
KNOWN = "vosk-model-small-cn-0.22, vosk-model-cn-0.22, vosk-model-small-en-us-0.15, vosk-model-en-us-0.22"

# (arguments, English line, Chinese line); {d} is the test's folder
LOCALE_CASES = {
    "wav missing": (
        ["transcribe", "{d}/nowhere.wav"],
        "{d}/nowhere.wav: file not found",
        "{d}/nowhere.wav：文件不存在",
    ),
    "wav is a folder": (
        ["transcribe", "{d}/folder.wav"],
        "{d}/folder.wav: is a folder, not a WAV file",
        "{d}/folder.wav：这是一个文件夹，不是 WAV 文件",
    ),
    "mp3 named .wav": (
        ["transcribe", "{d}/phone.wav"],
        "{d}/phone.wav: not a PCM WAV file we can read: not a RIFF/WAVE file, it looks like MP3 audio" + HINT_EN,
        "{d}/phone.wav：不是能读取的 PCM WAV 文件：不是 RIFF/WAVE 文件，看起来是 MP3 音频" + HINT_ZH,
    ),
    "rate too low": (
        ["transcribe", "{d}/low.wav"],
        "{d}/low.wav: sample rate 4000 Hz is too low for speech recognition (need at least 8000 Hz; 16000 Hz is best)",
        "{d}/low.wav：采样率 4000 Hz 太低，无法做语音识别（至少要 8000 Hz，16000 Hz 最好）",
    ),
    "no such channel": (
        ["transcribe", "{d}/st.wav", "--agent-channel", "3"],
        "{d}/st.wav: has 2 channel(s), no channel 3 (--agent-channel)",
        "{d}/st.wav：只有 2 个声道，没有第 3 声道（--agent-channel）",
    ),
    "channel 0": (
        ["transcribe", "{d}/st.wav", "--agent-channel", "0"],
        "--agent-channel: channels are numbered from 1 (1 = left, 2 = right)",
        "--agent-channel：声道从 1 开始编号（1 = 左声道，2 = 右声道）",
    ),
    "bad --started": (
        ["transcribe", "{d}/a.wav", "--started", "yesterday"],
        "--started yesterday: not an ISO 8601 time (2026-03-01T14:05)",
        "--started yesterday：不是 ISO 8601 格式的时间（例如 2026-03-01T14:05）",
    ),
    "--model nowhere": (
        ["transcribe", "{d}/a.wav", "--model", "{d}/notamodel"],
        "--model {d}/notamodel: no such folder or installed model (see `callassist models list`)",
        "--model {d}/notamodel：没有这个文件夹，也没有这个名字的已安装模型（可用 `callassist models list` 查看）",
    ),
    "--model is a file": (
        ["transcribe", "{d}/a.wav", "--model", "{d}/afile"],
        "{d}/afile: is a file, not a model folder (unzip it first)",
        "{d}/afile：这是一个文件，不是模型文件夹（下载的压缩包要先解压）",
    ),
    "empty model folder": (
        ["models", "check", "{d}/empty-model"],
        "{d}/empty-model: not a Vosk model: no am/final.mdl (a Vosk model folder holds am/, conf/ and graph/)",
        "{d}/empty-model：不是 Vosk 语音模型：缺少 am/final.mdl（Vosk 模型文件夹里应有 am/、conf/ 和 graph/）",
    ),
    "unknown model name": (
        ["models", "download", "no-such-model", "--dir", "{d}/models"],
        f"unknown model 'no-such-model' (known: {KNOWN}); for another model pass --url",
        f"没有叫“no-such-model”的模型（已知的有：{KNOWN}）；要下载其他模型请加上 --url",
    ),
    "--dir is a file": (
        ["models", "download", "vosk-model-small-cn-0.22", "--dir", "{d}/afile"],
        "cannot create {d}/afile: File exists",
        "{d}/afile：无法创建这个文件夹：已有同名的文件，不是文件夹",
    ),
}


@pytest.mark.parametrize("case", LOCALE_CASES, ids=list(LOCALE_CASES))
def test_speech_errors_follow_the_locale(tmp_path, monkeypatch, capsys, case):
    from callassist.audio import models as M
    from callassist.cli import main
    from tests.locale_support import set_locale

    def no_network(*a, **k):
        raise AssertionError("the network was used")

    monkeypatch.setattr(M, "_open", no_network)  # every case fails before any download
    _case_files(tmp_path)
    args, english, chinese = LOCALE_CASES[case]
    argv = [a.format(d=tmp_path) for a in args]
    for lang, expected in (("C.UTF-8", english), ("en_US.UTF-8", english), ("zh_CN.UTF-8", chinese)):
        set_locale(monkeypatch, lang)
        assert main(argv) == 2, lang
        captured = capsys.readouterr()
        assert captured.err == f"callassist: {expected.format(d=tmp_path)}\n", lang
        assert not captured.out


def test_no_model_anywhere_in_chinese(tmp_path, monkeypatch, capsys):
    from callassist.cli import main
    from tests.locale_support import set_locale

    mono = _case_files(tmp_path)[0]
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.delenv("CALLASSIST_MODEL", raising=False)
    set_locale(monkeypatch, "zh_CN.UTF-8")
    assert main(["transcribe", str(mono)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("callassist: 在 ./models 和 ") and err.count("\n") == 1
    assert "里都没有找到中文语音模型：可以用 `callassist models download vosk-model-small-cn-0.22` 下载" in err
    assert main(["transcribe", str(mono), "--lang", "en-US"]) == 2
    assert "都没有找到英文语音模型：可以用 `callassist models download vosk-model-small-en-us-0.15` 下载" in (
        capsys.readouterr().err
    )
    monkeypatch.setenv("CALLASSIST_MODEL", str(tmp_path / "gone"))
    assert main(["transcribe", str(mono)]) == 2
    assert capsys.readouterr().err == f"callassist: $CALLASSIST_MODEL={tmp_path / 'gone'}：这个文件夹不存在\n"


def test_missing_vosk_and_portaudio_in_chinese(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env["LANG"] = "zh_CN.UTF-8"
    line = one_line_error(run_cli(["devices"], prelude=NO_PORTAUDIO, env=env))
    assert line.startswith("callassist: 使用麦克风需要系统里的 PortAudio 库，目前没有安装（Debian/Ubuntu：")
    line = one_line_error(run_cli(["devices"], prelude=NO_SOUNDDEVICE, env=env))
    assert line == "callassist: 使用麦克风需要先安装 sounddevice 组件：pip install 'callassist[audio]'"
    wav = write_pcm(tmp_path / "a.wav", np.zeros(16000, dtype=np.int16))
    model = tmp_path / "m"
    for rel in ("am/final.mdl", "conf/mfcc.conf", "graph/HCLG.fst"):
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_bytes(b"x")
    p = run_cli(
        ["transcribe", str(wav), "--model", str(model), "--transcripts", str(tmp_path)], prelude=NO_VOSK, env=env
    )
    assert one_line_error(p) == "callassist: 语音识别需要先安装 vosk 组件：pip install 'callassist[audio]'"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"agent: hello\nme: hi\n", "不是 RIFF/WAVE 文件（开头不是 RIFF）"),
        (b"", "文件是空的"),
        (b"RIFF\x00\x00", "太短了，不可能是 WAV 文件（只有 6 字节）"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", "是 RIFF 文件，但不是 WAVE（AVI）"),
        (b"\x00\x00\x00\x18ftypM4A " + bytes(40), "不是 RIFF/WAVE 文件，看起来是 M4A/MP4 音频"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "文件头已损坏，或文件不完整"),
    ],
    ids=["text", "empty", "short", "avi", "m4a", "cut-short"],
)
def test_a_file_that_is_not_a_wav_says_why_in_chinese(tmp_path, data, why):
    from callassist.audio.errors import WavError
    from callassist.audio.sources import wav_info

    bad = tmp_path / "notwav.wav"
    bad.write_bytes(data)
    with pytest.raises(WavError) as e:
        wav_info(bad)
    assert e.value.message(True) == f"{bad}：不是能读取的 PCM WAV 文件：{why}{HINT_ZH}"
    assert str(e.value).startswith(f"{bad}: not a PCM WAV file we can read: ") and str(e.value).endswith(HINT_EN)


class _Sink:
    """An app sink that keeps what it is told."""

    def __init__(self):
        self.states: list[tuple[str, str, dict | None]] = []

    def final(self, *a, **k):
        pass

    def partial(self, *a, **k):
        pass

    def state(self, state, detail="", dropouts=None, record=None):
        self.states.append((state, detail, record))


class _UnpluggedSource:
    """A source whose device cannot be opened."""

    name, speaker, live = "mixed", "agent", True

    def start(self):
        from callassist.audio.errors import DeviceError

        raise DeviceError("cannot open input device 'USB': busy", zh="无法打开录音设备“USB”：busy")

    def stop(self):
        pass


@pytest.mark.parametrize("chinese", [False, True])
def test_live_audio_failure_in_the_app_language(chinese):
    from callassist.audio.errors import AudioError
    from callassist.audio.live import LiveAudio

    sink = _Sink()
    live = LiveAudio(sink, object(), [_UnpluggedSource()], chinese=chinese)
    with pytest.raises(AudioError) as e:
        live.start()
    assert e.value.message(True) == "无法打开录音设备“USB”：busy"
    assert str(e.value) == "cannot open input device 'USB': busy"
    ((state, detail, record),) = sink.states
    assert state == "failed" and detail == ("无法打开录音设备“USB”：busy" if chinese else str(e.value))
    assert record["message"] == "cannot open input device 'USB': busy"  # the record stays in English
    assert live.problems_zh == ["无法打开录音设备“USB”：busy"]


class _BrokenKaldi:
    def AcceptWaveform(self, data):
        raise Exception("decoder exploded")


class _FakeModel:
    name = "fake"

    def recognizer(self, rate, grammar=None):
        return _BrokenKaldi()


def test_recognizer_failure_and_lost_device_carry_chinese(tmp_path):
    from callassist.audio.recognizer import Recognizer
    from callassist.audio.sources import WavSource

    wav = write_pcm(tmp_path / "a.wav", np.zeros(16000, dtype=np.int16))
    seen = []
    rec = Recognizer(_FakeModel(), WavSource(wav), on_status=seen.append).start()
    assert rec.join(10)
    failed = [s for s in seen if s.kind == "failed"]
    assert [(s.message, s.message_zh) for s in failed] == [
        ("speech recognition failed: decoder exploded", "语音识别出错：decoder exploded")
    ]
    assert rec.error_zh == "语音识别出错：decoder exploded"

    class Lost(WavSource):
        def read(self, timeout=None):
            self._end("input device 'USB' stopped delivering audio", "录音设备“USB”没有声音进来了")
            return None

    class Quiet(_FakeModel):
        def recognizer(self, rate, grammar=None):
            return object()

    seen.clear()
    rec = Recognizer(Quiet(), Lost(wav), on_status=seen.append).start()
    assert rec.join(10)
    stopped = [s for s in seen if s.kind == "stopped"]
    assert [(s.message, s.message_zh) for s in stopped] == [
        ("listening stopped: input device 'USB' stopped delivering audio", "停止收听：录音设备“USB”没有声音进来了")
    ]

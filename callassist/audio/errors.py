"""Errors of the audio stack: each is one line a user can act on; the app carries on in typed mode."""

from __future__ import annotations

from callassist.errors import CallassistError


class AudioError(CallassistError):
    """Sound input cannot be used (library, device or file)."""


class AudioUnavailable(AudioError):
    """The sounddevice package or the PortAudio library is missing."""


class DeviceError(AudioError):
    """No input device, an unknown device, or a device that cannot be opened."""


class WavError(AudioError):
    """A WAV file that cannot be read or has a format we cannot use."""


class ModelError(CallassistError):
    """A speech model that is missing, broken, or cannot be downloaded."""


class ModelNotFound(ModelError):
    """No model for the language in any of the places callassist looks (the app then says so in its language)."""


class RecognizerError(CallassistError):
    """Vosk failed while creating a recognizer or decoding."""


def import_sounddevice():
    """The sounddevice module, or AudioUnavailable with the fix in one line."""
    try:
        import sounddevice
    except ImportError:
        raise AudioUnavailable(
            "sound input needs the 'sounddevice' package: pip install 'callassist[audio]'",
            zh="使用麦克风需要先安装 sounddevice 组件：pip install 'callassist[audio]'",
        ) from None
    except OSError:
        raise AudioUnavailable(
            "sound input needs the PortAudio library, which is not installed "
            "(Debian/Ubuntu: sudo apt install libportaudio2; Fedora: sudo dnf install portaudio; "
            "macOS: brew install portaudio)",
            zh="使用麦克风需要系统里的 PortAudio 库，目前没有安装"
            "（Debian/Ubuntu：sudo apt install libportaudio2；Fedora：sudo dnf install portaudio；"
            "macOS：brew install portaudio）",
        ) from None
    return sounddevice


def import_vosk():
    """The vosk module with its Kaldi logging silenced, or ModelError with the fix in one line."""
    try:
        import vosk
    except ImportError:
        raise ModelError(
            "speech recognition needs the 'vosk' package: pip install 'callassist[audio]'",
            zh="语音识别需要先安装 vosk 组件：pip install 'callassist[audio]'",
        ) from None
    except OSError as e:
        raise ModelError(
            f"the vosk library cannot be loaded on this machine: {e}", zh=f"这台电脑无法加载 vosk 语音识别库：{e}"
        ) from None
    vosk.SetLogLevel(-1)
    return vosk

"""The app's view of live speech: whether a model and an input device are there, and the live audio of a call.

Everything from callassist.audio but its tiny status module is imported inside functions: the app starts fast
and carries on in typed mode when the audio part, a model or a microphone is missing.
"""

from __future__ import annotations

from typing import Any

from callassist.audio.status import Probe

# What the home screen says about speech recognition: the audio part's own probe result.
SpeechStatus = Probe


def probe(model: str | None = None, language: str | None = None) -> SpeechStatus:
    """Look for a model and input devices (imports the audio stack: run it in a thread worker)."""
    try:
        from callassist.audio.live import probe as audio_probe
    except ImportError as e:  # the audio part is optional; numpy or a submodule may be missing
        return SpeechStatus(
            problem=f"the live speech part cannot be loaded ({e})", problem_zh=f"语音部分无法加载（{e}）"
        )
    return audio_probe(model, language)


def live_audio(services: Any, sink: Any, session: Any) -> Any:
    """The live audio of a call on the user's devices (the microphone as one mixed stream, labelled 'agent'
    until the user toggles it); the model is found and loaded in start(), which runs in a thread worker."""
    from callassist.audio.live import LiveAudio, sources_for

    return LiveAudio(
        sink,
        services.model,
        sources_for(),
        call_started=session.started_at,
        language=services.playbook.lang,
        chinese=services.lang == "zh",
    )

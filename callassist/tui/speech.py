"""The app's view of live speech: whether a model and an input device are there, and the live audio of a call.

Everything from callassist.audio is imported inside functions: the app starts fast and carries on in typed
mode when the audio part, a model or a microphone is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SpeechStatus:
    """What the home screen says about speech recognition."""

    model: str = ""
    """Name of the model that will be used, if one was found."""
    model_path: str = ""
    problem: str = ""
    """Why recognition cannot be used (no model, no library); empty when it can."""
    devices: tuple[str, ...] = field(default_factory=tuple)
    device_problem: str = ""

    @property
    def ready(self) -> bool:
        """A model and at least one input device."""
        return bool(self.model) and not self.problem and bool(self.devices) and not self.device_problem


def probe(model: str | None = None, language: str | None = None) -> SpeechStatus:
    """Look for a model and input devices (imports the audio stack: run it in a thread worker)."""
    try:
        from callassist.audio.live import probe as audio_probe
    except ImportError as e:  # the audio part is optional; numpy or a submodule may be missing
        return SpeechStatus(problem=f"the live speech part cannot be loaded ({e})")
    p = audio_probe(model, language)
    return SpeechStatus(p.model, p.model_path, p.problem, tuple(p.devices), p.device_problem)


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
    )

"""The app's view of live speech: is a model and an input device there, and the live audio of a call.

Everything from callassist.audio is imported inside functions: the app starts fast and carries on in typed
mode when the audio part, a model or a microphone is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        return bool(self.model) and not self.problem and bool(self.devices)


def probe(model: str | None = None) -> SpeechStatus:
    """Look for a model and input devices (imports the audio stack: run it in a thread worker)."""
    return SpeechStatus(problem="the live speech part is not installed")

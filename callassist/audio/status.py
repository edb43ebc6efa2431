"""Whether live speech can be used: a tiny module the app can import at start without the audio stack."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Probe:
    """Whether live speech can be used: the model found, input devices, and why not if not."""

    model: str = ""
    """Name of the model that will be used, if one was found."""
    model_path: str = ""
    problem: str = ""
    """Why recognition cannot be used (a broken model, a missing library); empty when it can or none was found."""
    devices: tuple[str, ...] = field(default_factory=tuple)
    device_problem: str = ""

    @property
    def ready(self) -> bool:
        """A model and at least one input device."""
        return bool(self.model) and not self.problem and bool(self.devices) and not self.device_problem

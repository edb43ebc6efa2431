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
    problem_zh: str = ""
    """`problem` in Chinese, when there is one."""
    device_problem_zh: str = ""
    """`device_problem` in Chinese, when there is one."""

    def why(self, chinese: bool = False) -> str:
        """Why recognition cannot be used, in Chinese when asked and known."""
        return self.problem_zh if chinese and self.problem_zh else self.problem

    def why_no_devices(self, chinese: bool = False) -> str:
        """Why no input device can be used, in Chinese when asked and known."""
        return self.device_problem_zh if chinese and self.device_problem_zh else self.device_problem

    @property
    def ready(self) -> bool:
        """A model and at least one input device."""
        return bool(self.model) and not self.problem and bool(self.devices) and not self.device_problem

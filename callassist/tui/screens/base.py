"""What every screen shares: UI text, the theme key, and binding descriptions in the UI language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from textual.binding import ActiveBinding, Binding
from textual.screen import ModalScreen, Screen

from callassist.tui.strings import textual_text, translator

if TYPE_CHECKING:
    from callassist.tui.app import CallAssist
    from callassist.tui.services import Services

T = TypeVar("T", bound=type)
_LOCALIZED: dict[tuple[type, str, tuple[tuple[str, str], ...]], type] = {}


def localized(cls: T, lang: str, keymap: Mapping[str, str] | None = None) -> T:
    """A subclass of a screen whose binding descriptions (written as string keys) are in the UI language, and
    whose keys are the user's where keys.toml remaps them (binding id → keys).

    Textual reads BINDINGS from the classes, so translated copies of the bindings of the class and its bases
    are made once per class, language and keymap.
    """
    keymap = keymap or {}
    key = (cls, lang, tuple(sorted(keymap.items())))
    if key not in _LOCALIZED:
        t = translator(lang)
        # The class's own keys first (the footer shows them in this order); a key bound again lower down wins.
        chosen: list[Binding] = []
        seen: set[tuple[str, str]] = set()
        for base in cls.__mro__:
            for b in base.__dict__.get("BINDINGS", []):
                b = b if isinstance(b, Binding) else Binding(*b)
                if (b.key, b.action) not in seen:
                    seen.add((b.key, b.action))
                    chosen.append(_remap(_translate(b, t), keymap))
        ns = {"BINDINGS": chosen, "__module__": cls.__module__, "__doc__": cls.__doc__}
        _LOCALIZED[key] = type(cls.__name__, (cls,), ns, inherit_bindings=False)
    return _LOCALIZED[key]  # type: ignore[return-value]


TONES = {"ok": "text-success", "warn": "text-warning", "bad": "text-error", "accent": "text-primary"}


def tone(app: Any, name: str, extra: str = "") -> str:
    """A Rich style in the current theme's text colour for ok / warn / bad / accent, plus extra attributes."""
    colour = app.get_css_variables().get(TONES[name], "")
    return f"{extra} {colour}".strip()


def _remap(b: Binding, keymap: Mapping[str, str]) -> Binding:
    """The binding on the user's keys. The copy drops its id: App.set_keymap would otherwise remap it again and
    move it to the end of the footer, where an 80-column footer cuts it off."""
    if b.id not in keymap:
        return b
    return replace(b, key=keymap[b.id], key_display=None, id=None)


def _translate(b: Binding, t: Callable[..., str]) -> Binding:
    group = replace(b.group, description=t(b.group.description)) if b.group else None
    return replace(b, description=t(b.description), tooltip=t(b.tooltip) if b.tooltip else "", group=group)


class Base:
    """Helpers for screens and dialogs of this app."""

    app: CallAssist

    @property
    def services(self) -> Services:
        """The app's services (playbook, profile, paths, ...)."""
        return self.app.services

    @property
    def t(self) -> Callable[..., str]:
        """UI text in the current language."""
        return self.app.services.t

    def tone(self, name: str, extra: str = "") -> str:
        """A Rich style in the theme's readable text colour: ok, warn, bad, accent (dark and light alike)."""
        return tone(self.app, name, extra)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The screen's keys, Textual's own (scrolling, inputs, lists, tab, ctrl+q, ctrl+p) described in the UI
        language: the footer and the F1 panel read them from here."""
        found = super().active_bindings  # type: ignore[misc]
        lang = self.app.services.lang
        if lang == "en":
            return found
        out: dict[str, ActiveBinding] = {}
        for key, (node, b, enabled, tip) in found.items():
            description, tooltip = textual_text(lang, b.description), textual_text(lang, b.tooltip)
            if (description, tooltip) != (b.description, b.tooltip):
                b = replace(b, description=description, tooltip=tooltip)
            out[key] = ActiveBinding(node, b, enabled, textual_text(lang, tip) if tip else tip)
        return out


class BaseScreen(Base, Screen):
    """A full screen of the app."""

    BINDINGS = [
        # Not in the footer (at 80 columns it pushed F1 off the screen); F1 lists it.
        Binding("ctrl+t", "app.toggle_theme", "key.theme", id="app.theme", show=False),
        Binding("f1", "app.toggle_keys", "key.keys", id="app.keys"),
    ]


class BaseDialog(Base, ModalScreen[Any]):
    """A dialog that dismisses with its result; Escape cancels (None)."""

    BINDINGS = [Binding("escape", "cancel", "key.cancel", id="dialog.cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

"""What the app works with, built in one place: `make_services` for the CLI; tests build their own."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from callassist import playbook as pb
from callassist import profile as prof
from callassist.tui.strings import translator

LANGUAGES = {"zh": "zh-CN", "en": "en-US"}


def default_matcher(playbook: pb.Playbook) -> Any:
    """Build the matcher for a playbook (loads the sentence encoder: about a second; call it off the UI thread)."""
    from callassist.matcher import Matcher

    return Matcher(playbook)


def transcripts_root(override: str | None = None) -> Path:
    """The records folder as the record module resolves it (config file included), or the plain default."""
    try:
        from callassist.record.paths import transcripts_root as resolve
    except ImportError:
        from callassist.locations import transcripts_dir as resolve
    return resolve(override)


@dataclass
class Services:
    """Everything the app needs from outside; each field can be replaced by tests."""

    lang: str
    """UI language: 'zh' or 'en'."""
    playbook: pb.Playbook
    """The playbook of calls and rehearsals."""
    profile: prof.Profile
    """The user's numbers."""
    transcripts: Path
    """Where records are written and read."""
    playbook_path: str | None = None
    """--playbook, kept so a language switch can reload the right file."""
    model: str | None = None
    """--model: a Vosk model folder."""
    typed: bool = False
    """--typed: never try to listen."""
    make_matcher: Callable[[pb.Playbook], Any] = default_matcher
    """Builds a Matcher for a playbook; run in a thread worker."""
    clock: Callable[[], float] = time.monotonic
    """Seconds for the call timer."""
    started_at: datetime | None = None
    """A fixed start time for records (repeatable snapshots); None means now."""
    now: Callable[[], datetime] | None = None
    """The time stamped on typed lines; None lets the record use the real time."""
    scenarios: tuple[Path, ...] | None = None
    """Folders of rehearsal scenarios; None means the bundled ones and the user's."""
    listener: Callable[..., Any] | None = None
    """Builds the live audio of a call (see tui/speech.py); None means probe callassist.audio."""
    probe: Callable[[], Any] | None = None
    """Finds the speech model and input devices (see tui/speech.py); None means the real probe."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id → keys, from keys.toml in the config folder (see tui/keys.py); empty means the default keys."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Anything else a test wants to pass to a screen."""

    @property
    def values(self) -> dict[str, str]:
        """Placeholder values from the profile."""
        return prof.values(self.profile)

    @property
    def t(self) -> Callable[..., str]:
        """UI text in the current language."""
        return translator(self.lang)

    def with_language(self, lang: str) -> Services:
        """The same services in another language, with that language's bundled playbook (or --playbook again)."""
        if self.playbook_path:
            book = pb.load(self.playbook_path, language=LANGUAGES[lang])
        else:
            book = pb.load(language=LANGUAGES[lang])
        return replace(self, lang=lang, playbook=book)

    def with_playbook(self, path: str) -> Services:
        """The same services with another playbook file; the UI language follows its language."""
        book = pb.load(path)
        return replace(self, playbook=book, playbook_path=path, lang="zh" if book.lang == "zh" else "en")

    def with_profile(self, profile: prof.Profile) -> Services:
        """The same services with new numbers."""
        return replace(self, profile=profile)


def saved_lang() -> str | None:
    """The language last chosen with `l` on the home screen (ui.toml in the config folder), if any."""
    import tomllib

    from callassist import locations

    try:
        value = tomllib.loads((locations.config_dir() / "ui.toml").read_text(encoding="utf-8")).get("language")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # a preference, not a record: anything unreadable means "not chosen"
    return value if value in LANGUAGES else None


def save_lang(lang: str) -> None:
    """Remember the language chosen with `l` for the next start; a file that cannot be written only costs that."""
    import os

    from callassist import locations

    path = locations.config_dir() / "ui.toml"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f'# written by callassist when you press l on the home screen\nlanguage = "{lang}"\n', "utf-8")
        os.replace(tmp, path)
    except OSError:
        return


def make_services(
    *,
    lang: str | None = None,
    playbook: str | None = None,
    transcripts: str | None = None,
    model: str | None = None,
    typed: bool = False,
) -> Services:
    """Services for the real command line: the keymap, the playbook (its language decides the UI unless --lang),
    profile, paths. A keys.toml or playbook that cannot be used raises CallassistError before the app starts."""
    from callassist.help_zh import locale_language
    from callassist.tui.keys import load_keymap

    keymap = load_keymap()
    if playbook:
        book = pb.load(playbook, language=LANGUAGES.get(lang or "", None))
        ui = lang or ("zh" if book.lang == "zh" else "en")
    else:
        ui = lang or saved_lang() or locale_language()
        book = pb.load(language=LANGUAGES[ui])
    return Services(
        lang=ui,
        playbook=book,
        profile=prof.load(),
        transcripts=transcripts_root(transcripts),
        playbook_path=playbook,
        model=model,
        typed=typed,
        keymap=keymap,
    )

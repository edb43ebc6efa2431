"""Shared pieces of the terminal-app tests: one matcher per playbook per process, repeatable services."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from callassist import playbook as pb
from callassist import profile as prof
from callassist.tui.app import CallAssist
from callassist.tui.services import LANGUAGES, Services

_MATCHERS: dict[str, object] = {}
_BOOKS: dict[str, pb.Playbook] = {}

PROFILE = prof.Profile(
    name="王先生",
    lender="安心借",
    debt=20000,
    apr=18,
    periods=24,
    income=6000,
    hardship="失业三个月",
    first_due="2026-12-15",
)
EN_PROFILE = prof.Profile(
    name="Sam",
    lender="Acme Recovery",
    debt=4800,
    apr=0,
    periods=12,
    income=2600,
    hardship="I lost my job",
    first_due="Dec 15",
)
STARTED = datetime(2026, 11, 23, 14, 3, 12, tzinfo=timezone(timedelta(hours=8)))


def playbook(lang: str) -> pb.Playbook:
    """The bundled playbook of a language, loaded once."""
    if lang not in _BOOKS:
        _BOOKS[lang] = pb.load(language=LANGUAGES[lang], user_overrides=False)
    return _BOOKS[lang]


def shared_matcher(book: pb.Playbook):
    """One matcher per playbook for the whole test run (building one loads the sentence encoder)."""
    key = book.sha256
    if key not in _MATCHERS:
        from callassist.matcher import Matcher

        _MATCHERS[key] = Matcher(book)
    return _MATCHERS[key]


def services(lang: str, transcripts: Path, **overrides) -> Services:
    """Services for a test: bundled playbook, a known profile, fixed times, typed mode, shared matchers."""
    s = Services(
        lang=lang,
        playbook=playbook(lang),
        profile=PROFILE if lang == "zh" else EN_PROFILE,
        transcripts=transcripts,
        typed=True,
        make_matcher=shared_matcher,
        clock=lambda: 0.0,
        started_at=STARTED,
    )
    for k, v in overrides.items():
        setattr(s, k, v)
    return s


def app(lang: str, transcripts: Path, **overrides) -> CallAssist:
    """The app with test services."""
    return CallAssist(services(lang, transcripts, **overrides))

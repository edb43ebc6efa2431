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


FROZEN = Path(__file__).parent / "data" / "tui"


def playbook(lang: str) -> pb.Playbook:
    """A frozen copy of the bundled playbook of a language (tests/data/tui), loaded once: screens and scores
    stay the same while the bundled playbooks are being edited."""
    if lang not in _BOOKS:
        _BOOKS[lang] = pb.load(FROZEN / f"{LANGUAGES[lang]}.toml", user_overrides=False)
    return _BOOKS[lang]


EMBEDDINGS = Path(__file__).resolve().parent.parent / ".pytest_cache" / "callassist-embeddings"


def shared_matcher(book: pb.Playbook):
    """One matcher per playbook for the whole test run (building one loads the sentence encoder).

    Playbook embeddings are kept across runs in .pytest_cache: encoding the zh playbook's thousand examples
    takes about 12 s the first time, a second after that."""
    key = book.sha256
    if key not in _MATCHERS:
        import os

        from callassist.matcher import Matcher

        saved = os.environ.get("CALLASSIST_CACHE_DIR")
        os.environ["CALLASSIST_CACHE_DIR"] = str(EMBEDDINGS)
        try:
            _MATCHERS[key] = Matcher(book)
        finally:
            if saved is None:
                os.environ.pop("CALLASSIST_CACHE_DIR", None)
            else:
                os.environ["CALLASSIST_CACHE_DIR"] = saved
    return _MATCHERS[key]


def _ticks():
    """Typed lines stamped ten seconds apart from the fixed start: repeatable transcripts."""
    n = [0]

    def now() -> datetime:
        n[0] += 1
        return STARTED + timedelta(seconds=10 * n[0])

    return now


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
        now=_ticks(),
        scenarios=(FROZEN / "scenarios",),
    )
    for k, v in overrides.items():
        setattr(s, k, v)
    return s


def app(lang: str, transcripts: Path, **overrides) -> CallAssist:
    """The app with test services."""
    return CallAssist(services(lang, transcripts, **overrides))


ZH_CALL = [
    ("agent", "你好，这里是安心借客服，我姓王，工号 8812"),
    ("me", "你好，我想协商一下分期还款"),
    ("agent", "再不还我们就打电话给你爸妈还有你的同事"),
    ("me", "请不要联系我的家人，我每月最多能还一千八"),
    ("agent", "你把钱转到我个人微信上"),
    ("me", "我只通过官方渠道还款"),
]
EN_CALL = [
    ("agent", "This is Mike from Apex Recovery calling about your Northway account"),
    ("me", "Please send me a validation notice in writing"),
    ("agent", "If you don't pay today we will have you arrested"),
    ("me", "I can pay 400 a month for 12 months"),
    ("agent", "Just give me your card number and we will take care of it"),
    ("me", "I will not give card details on the phone"),
]


def make_record(root: Path, lang: str, *, minutes: int = 0, lines=None, mode: str = "typed") -> Path:
    """A closed record with a known conversation, a note, a bookmark and an agreed term, every event at a
    fixed time (the journal's clock is replaced while it is written), so screens showing it are repeatable."""
    from unittest import mock

    from callassist.record import journal as J
    from callassist.session import CallSession

    book = playbook(lang)
    lines = lines or (ZH_CALL if lang == "zh" else EN_CALL)
    started = STARTED + timedelta(minutes=minutes)
    tick = [0]

    def fixed_now() -> datetime:
        tick[0] += 1
        return started + timedelta(seconds=5 * tick[0])

    with mock.patch.object(J, "now", fixed_now):
        s = CallSession.start(
            root,
            book,
            matcher=shared_matcher(book),
            values=prof.values(PROFILE if lang == "zh" else EN_PROFILE),
            lender="安心借" if lang == "zh" else "Apex Recovery",
            agent_name="王" if lang == "zh" else "Mike",
            agent_id="8812",
            mode=mode,
            started_at=started,
        )
        for n, (speaker, text) in enumerate(lines):
            s.utterance(speaker, text)
            if n == 2:
                s.bookmark()
                s.note("对方语气很凶" if lang == "zh" else "the agent sounded aggressive")
        s.agreed(amount=20000 if lang == "zh" else 4800, periods=12, per_period=1800 if lang == "zh" else 400)
        return s.close(duration=95.0).folder


def capture_notifications(app: CallAssist) -> list[str]:
    """Record every message the app shows with notify() (and still show it)."""
    seen: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        seen.append(str(message))
        return original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return seen

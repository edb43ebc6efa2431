"""Run a test as if under a given locale: the CLI picks Chinese or English from it."""

from __future__ import annotations


def set_locale(monkeypatch, lang: str, columns: int = 200) -> None:
    """LANG=lang with nothing overriding it (LC_ALL, LC_MESSAGES, LANGUAGE unset); COLUMNS wide so help does not wrap."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", lang)
    monkeypatch.setenv("COLUMNS", str(columns))

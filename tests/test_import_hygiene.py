"""The core never imports the UI or the audio stack: checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CORE = [
    "callassist.cli",
    "callassist.playbook",
    "callassist.text",
    "callassist.matcher",
    "callassist.plan",
    "callassist.profile",
    "callassist.locations",
    "callassist.encoder",
    "callassist.usem3_cache",
    "callassist.usem3_fast",
    "callassist.token_table",
    "callassist.dates",
    "callassist.errors",
    "callassist.linebreak",
    "callassist.session",
    "callassist.record",
    "callassist.record.commands",
    "callassist.rehearse",
    "callassist.coach",
    "callassist.rehearse_cli",
]
HEAVY = ("textual", "vosk", "sounddevice")


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_ui_or_audio(module):
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    bad = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert bad == [], f"{module} pulls in {bad}"


def test_core_has_no_top_level_heavy_imports_in_source():
    """Catches a top-level `import textual` even in a module the subprocess test does not list."""
    from pathlib import Path

    import callassist

    root = Path(callassist.__file__).parent
    offenders = []
    for f in [*root.glob("*.py"), *root.glob("record/*.py")]:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.startswith(("import ", "from ")) and line.split()[1].split(".")[0] in HEAVY:
                offenders.append(f"{f.name}: {line}")
    assert offenders == []

"""Export and verify records for the UI (the record module does the work; this picks file names)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

EXTENSIONS = {"md": "md", "html": "html", "json": "json", "txt": "txt", "mediation": "md"}


def export_files(folders: Sequence[Path], fmt: str, lang: str, *, redact: bool = False) -> Path:
    """Write an export of one or several records and return its path (beside the record, or in the
    transcripts folder for several). Blocking: run it in a thread worker."""
    from callassist import record
    from callassist.record import export as ex

    records = [record.load(f) for f in folders]
    suffix = "-redacted" if redact else ""
    if fmt == "mediation":
        from callassist.record import mediation

        text = mediation.export(records, "md", lang, redacted=redact)
        name = f"mediation{suffix}.md"
    else:
        text = ex.export(records, fmt, lang, redacted=redact)
        name = f"export{suffix}.{EXTENSIONS[fmt]}"
    out_dir = folders[0] if len(folders) == 1 else folders[0].parent
    if len(folders) > 1:
        name = f"{folders[0].name}+{len(folders) - 1}-{name}"
    path = out_dir / name
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path

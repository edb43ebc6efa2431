"""Export records from the UI: the record module renders, this picks the file name and writes it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

FORMATS = ("md", "html", "json", "txt", "mediation", "mediation-html")
EXTENSIONS = {"md": "md", "html": "html", "json": "json", "txt": "txt", "mediation": "md", "mediation-html": "html"}


def render(folders: Sequence[Path], fmt: str, lang: str, *, redact: bool = False) -> str:
    """The text of an export of one or several records (blocking: reads and checks every journal)."""
    from callassist import record
    from callassist.errors import CallassistError

    records = [record.load(f) for f in folders]
    for rec in records:
        if rec.header is None:
            raise CallassistError(f"{rec.journal}: {rec.summary_line(lang)}")
    if fmt.startswith("mediation"):
        from callassist.record.doc import render as render_doc
        from callassist.record.mediation import mediation_doc

        return render_doc(mediation_doc(records, lang, redacted=redact), EXTENSIONS[fmt])
    from callassist.record.export import export

    return export(records, fmt, lang, redacted=redact)


def export_files(folders: Sequence[Path], fmt: str, lang: str, *, redact: bool = False) -> Path:
    """Write an export and return its path: inside the record's folder, or beside the records for several.

    Exports are derived files: they can always be made again from the journal, which is never touched."""
    text = render(folders, fmt, lang, redact=redact)
    stem = "mediation" if fmt.startswith("mediation") else "export"
    name = f"{stem}{'-redacted' if redact else ''}.{EXTENSIONS[fmt]}"
    if len(folders) == 1:
        path = Path(folders[0]) / name
    else:
        path = Path(folders[0]).parent / f"{Path(folders[0]).name}+{len(folders) - 1}-{name}"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path

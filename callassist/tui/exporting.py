"""Export records from the UI: the record module renders, this picks the file name and writes it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from callassist.record.paths import write_private

EXTENSIONS = {"md": "md", "html": "html", "json": "json", "txt": "txt", "mediation": "md", "mediation-html": "html"}


@dataclass(frozen=True)
class Exported:
    """An export written to disk, and the records in it that failed verification (stamped at its top)."""

    path: Path
    problems: tuple[str, ...] = ()


def _load(folders: Sequence[Path], lang: str) -> list:
    """The records; one whose header is damaged is exported too when its journal has anything in it."""
    from callassist import record
    from callassist.errors import CallassistError

    records = [record.load(f) for f in folders]
    for rec in records:
        if rec.header is None and not rec.journal_size:
            raise CallassistError(f"{rec.journal}: {rec.summary_line(lang)}")
    return records


def _text(records: Sequence, fmt: str, lang: str, redact: bool) -> str:
    if fmt.startswith("mediation"):
        from callassist.record.doc import render as render_doc
        from callassist.record.mediation import mediation_doc

        return render_doc(mediation_doc(records, lang, redacted=redact), EXTENSIONS[fmt])
    from callassist.record.export import export

    return export(records, fmt, lang, redacted=redact, unverified=True)


def export_records(folders: Sequence[Path], fmt: str, lang: str, *, redact: bool = False) -> Exported:
    """Write an export and say which records in it failed verification.

    A record that fails verification is still the user's to read: it is exported with the failure stamped at the
    top and its unverified lines apart. The file goes inside the record's folder, or beside the records for several;
    exports are derived files that can always be made again from the journal, which is never touched."""
    from callassist.record import BROKEN
    from callassist.record.export import failure_text

    records = _load(folders, lang)
    path = _write(folders, fmt, redact, _text(records, fmt, lang, redact))
    problems = tuple(f"{r.folder.name}: {failure_text(r, lang)}" for r in records if r.status == BROKEN)
    return Exported(path, problems)


def _write(folders: Sequence[Path], fmt: str, redact: bool, text: str) -> Path:
    stem = "mediation" if fmt.startswith("mediation") else "export"
    name = f"{stem}{'-redacted' if redact else ''}.{EXTENSIONS[fmt]}"
    if len(folders) == 1:
        path = Path(folders[0]) / name
    else:
        path = Path(folders[0]).parent / f"{Path(folders[0]).name}+{len(folders) - 1}-{name}"
    write_private(path, text)  # readable only by the user, like the record it comes from
    return path

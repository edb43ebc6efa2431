"""A search index of all records (SQLite FTS5, trigram tokenizer), rebuilt from the journals when missing or stale.

The journals are the truth: the index holds a summary of each record and the searchable lines, keyed by the
journal's size and modification time, and can be deleted at any time.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from callassist.record.paths import FILE_MODE, INDEX_NAME, JOURNAL, record_dirs
from callassist.record.verify import OPEN, Record, load

SCHEMA = "5"  # 5: damaged-header problems worded in both languages (the rows keep the wording)
_DDL = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS records(
    folder TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, status TEXT, problem TEXT,
    started TEXT, lender TEXT, direction TEXT, mode TEXT, agent TEXT, language TEXT,
    duration REAL, events INTEGER, utterances INTEGER, alerts INTEGER, final_digest TEXT,
    first_row INTEGER, last_row INTEGER, problem_zh TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS lines USING fts5(
    norm, text UNINDEXED, folder UNINDEXED, seq UNINDEXED, at UNINDEXED, kind UNINDEXED, speaker UNINDEXED,
    tokenize='trigram');
"""


@dataclass(frozen=True)
class Summary:
    """One record in the list."""

    folder: Path
    started: str
    lender: str
    direction: str
    mode: str
    agent: str
    language: str
    duration: float | None
    events: int
    utterances: int
    alerts: int
    status: str
    problem: str
    final_digest: str
    problem_zh: str = ""
    """The problem in Chinese (for a Chinese UI)."""


@dataclass(frozen=True)
class Hit:
    """One line found by a search."""

    folder: Path
    seq: int
    at: str
    kind: str
    speaker: str
    text: str
    lender: str
    started: str
    status: str


@dataclass(frozen=True)
class Refresh:
    """What a refresh did."""

    indexed: int
    removed: int
    recovered: tuple[Path, ...]
    rebuilt: bool


def _damaged(e: sqlite3.DatabaseError) -> bool:
    """Whether an SQLite error means the file is not a usable database (rather than, say, locked)."""
    text = str(e).lower()
    return not isinstance(e, sqlite3.OperationalError) or "malformed" in text or "not a database" in text


def normalize(text: str) -> str:
    """The form lines and queries are compared in: Simplified script, lower case, no punctuation or ASR spaces."""
    from callassist import text as T

    return T.clean(text)


def _lines(rec: Record) -> list[tuple[str, str, int, str, str, str]]:
    """(norm, text, seq, at, kind, speaker) of every searchable line of a record."""
    from callassist.record.export import agreed_terms

    speakers = {u["seq"]: u["speaker"] for u in rec.utterances()}
    out = []
    for e in rec.events:
        kind = e.get("type")
        if kind == "utterance":
            text = e.get("text", "")
            speaker = speakers.get(e["seq"], e.get("speaker", ""))
        elif kind == "note":
            text, speaker = e.get("text", ""), ""
        elif kind == "bookmark" and e.get("label"):
            text, speaker = e["label"], ""
        elif kind == "agreed":
            text, speaker = agreed_terms(e, rec.language), ""
        else:
            continue
        if text:
            out.append((normalize(text), text, e["seq"], e.get("at") or "", kind, speaker))
    return out


def _key(name: str) -> str:
    """A folder's name as the index stores it: the name itself, or, for a name that is not UTF-8 (renamed by hand;
    sqlite cannot store it), the name with its odd bytes written as \\xff."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


class Index:
    """The index of one records folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / INDEX_NAME
        self.db = self._open()
        self._folders: dict[str, Path] = {}
        """Folders whose names are not UTF-8, by their key (filled by refresh)."""

    def _folder(self, key: str) -> Path:
        return self._folders.get(key) or self.root / key

    def _open(self) -> sqlite3.Connection:
        """The index file, replaced if it is damaged; an index in memory if the folder is not writable."""
        if self.root.is_dir():
            for attempt in range(2):
                db = None
                try:
                    if not self.path.exists():
                        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
                    db = sqlite3.connect(self.path, timeout=15)
                    self._prepare(db)
                    return db
                except sqlite3.DatabaseError as e:
                    if db is not None:
                        db.close()
                    if attempt == 0 and _damaged(e):
                        with contextlib.suppress(OSError):  # only a cache: start again from the journals
                            self.path.unlink()
                        continue
                    break
                except OSError:
                    break
        db = sqlite3.connect(":memory:")  # a read-only records folder: index in memory, each time
        self._prepare(db)
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        db.executescript(_DDL)
        row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or row[0] != SCHEMA:
            db.executescript("DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS lines; DROP TABLE IF EXISTS meta;")
            db.executescript(_DDL)
            db.execute("INSERT INTO meta VALUES('schema', ?)", (SCHEMA,))
            db.commit()

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keeping it up to date --------------------------------------------------------------------

    def refresh(self, *, recover: bool = True) -> Refresh:
        """Bring the index in line with the journals; mark cut-off calls interrupted on the way."""
        from callassist.record.recover import looks_finished
        from callassist.record.recover import recover as recover_one

        db = self.db
        known = {
            row[0]: (row[1], row[2], row[3]) for row in db.execute("SELECT folder, size, mtime_ns, status FROM records")
        }
        rebuilt = not known
        on_disk: dict[str, tuple[Path, int, int]] = {}
        for d in record_dirs(self.root):
            try:
                st = os.stat(d / JOURNAL)
            except OSError:
                continue
            key = _key(d.name)
            if key != d.name:
                self._folders[key] = d
            on_disk[key] = (d, st.st_size, st.st_mtime_ns)
        stale = [
            name
            for name, (_, size, mtime) in on_disk.items()
            if name not in known or known[name][:2] != (size, mtime) or known[name][2] == OPEN
        ]
        removed = [name for name in known if name not in on_disk]
        recovered: list[Path] = []
        if not stale and not removed:
            return Refresh(0, 0, (), False)
        db.execute("BEGIN IMMEDIATE")
        try:
            for name in removed:
                self._drop(name)
            next_row = (db.execute("SELECT max(rowid) FROM lines").fetchone()[0] or 0) + 1
            for name in stale:
                folder = on_disk[name][0]
                if recover and not looks_finished(folder / JOURNAL):
                    result = recover_one(folder)
                    if result.action == "marked":
                        recovered.append(folder)
                rec = load(folder, audio=False)
                try:
                    st = os.stat(folder / JOURNAL)
                except OSError:
                    continue
                self._drop(name)
                rows = _lines(rec)
                first = next_row
                db.executemany(
                    "INSERT INTO lines(rowid, norm, text, folder, seq, at, kind, speaker) VALUES(?,?,?,?,?,?,?,?)",
                    [(next_row + i, n, t, name, s, a, k, sp) for i, (n, t, s, a, k, sp) in enumerate(rows)],
                )
                next_row += len(rows)
                agent = rec.agent
                db.execute(
                    "INSERT INTO records VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        name,
                        st.st_size,
                        st.st_mtime_ns,
                        rec.status,
                        rec.summary_line(),
                        (rec.header or {}).get("started", ""),
                        rec.lender,
                        (rec.header or {}).get("direction", ""),
                        (rec.header or {}).get("mode", ""),
                        " ".join(x for x in (agent.get("name"), agent.get("id")) if x),
                        rec.language,
                        rec.duration,
                        len(rec.events),
                        rec.count("utterance"),
                        rec.count("alert"),
                        rec.final_digest,
                        first,
                        next_row - 1,
                        rec.summary_line("zh"),
                    ),
                )
            db.commit()
        except BaseException:
            db.rollback()
            raise
        return Refresh(len(stale), len(removed), tuple(recovered), rebuilt)

    def _drop(self, name: str) -> None:
        row = self.db.execute("SELECT first_row, last_row FROM records WHERE folder=?", (name,)).fetchone()
        if row is not None:
            if row[0] is not None and row[1] is not None and row[1] >= row[0]:
                self.db.execute("DELETE FROM lines WHERE rowid BETWEEN ? AND ?", row)
            self.db.execute("DELETE FROM records WHERE folder=?", (name,))

    def rebuild(self) -> Refresh:
        """Forget everything and index every journal again."""
        self.db.executescript("DELETE FROM records; DELETE FROM lines;")
        self.db.commit()
        return self.refresh()

    # -- reading ------------------------------------------------------------------------------------

    def records(self) -> list[Summary]:
        """Every record, oldest first."""
        rows = self.db.execute(
            "SELECT folder, started, lender, direction, mode, agent, language, duration, events, utterances, "
            "alerts, status, problem, final_digest, problem_zh FROM records ORDER BY started, folder"
        ).fetchall()
        return [Summary(self._folder(r[0]), *r[1:]) for r in rows]

    def _where(self, text: str) -> tuple[str, str] | None:
        """The condition on a line's normalized text for a search, and its parameter; None for empty text."""
        q = normalize(text)
        if not q:
            return None
        if len(q) >= 3:
            return "l.norm MATCH ?", '"' + q.replace('"', '""') + '"'
        # trigram needs three characters; two-character Chinese words are common, so scan for them
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return "l.norm LIKE ? ESCAPE '\\'", like

    def search(self, text: str, limit: int | None = 200) -> list[Hit]:
        """Lines containing text (Chinese substrings included), newest call first; at most limit of them
        (0 or None: all)."""
        where = self._where(text)
        if where is None:
            return []
        cond, param = where
        sql = (
            "SELECT l.folder, l.seq, l.at, l.kind, l.speaker, l.text, r.lender, r.started, r.status "
            "FROM lines l JOIN records r ON r.folder = l.folder "
            f"WHERE {cond} ORDER BY r.started DESC, l.folder DESC, l.seq LIMIT ?"
        )
        rows = self.db.execute(sql, (param, limit if limit and limit > 0 else -1)).fetchall()
        return [Hit(self._folder(r[0]), int(r[1]), *r[2:]) for r in rows]

    def count(self, text: str) -> int:
        """How many lines search(text, 0) would give."""
        where = self._where(text)
        if where is None:
            return 0
        cond, param = where
        sql = f"SELECT count(*) FROM lines l JOIN records r ON r.folder = l.folder WHERE {cond}"
        return int(self.db.execute(sql, (param,)).fetchone()[0])


def search(root: Path, text: str, limit: int | None = 200) -> list[Hit]:
    """Refresh the index of root and search it."""
    with Index(root) as idx:
        idx.refresh()
        return idx.search(text, limit)


def list_records(root: Path) -> list[Summary]:
    """Refresh the index of root and list its records."""
    with Index(root) as idx:
        idx.refresh()
        return idx.records()

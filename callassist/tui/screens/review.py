"""The review browser: the list of records with a preview, and one record with search, marks, verify, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Input
from textual.worker import Worker, WorkerState

from callassist.errors import describe
from callassist.record.export import fmt_duration
from callassist.tui import events as ev
from callassist.tui.screens.base import BaseScreen, tone
from callassist.tui.screens.dialogs import ChoiceDialog
from callassist.tui.widgets.prose import Prose
from callassist.tui.widgets.transcript import Transcript

MARKS = Binding.Group("key.next_mark")
HITS = Binding.Group("key.next_hit")


def export_choices(t) -> list[tuple[str, str]]:
    """The formats offered by the export dialog."""
    return [
        ("md", t("export.md")),
        ("html", t("export.html")),
        ("json", t("export.json")),
        ("txt", t("export.txt")),
        ("mediation", t("export.mediation") + " (Markdown)"),
        ("mediation-html", t("export.mediation") + " (HTML)"),
    ]


STATES = ("verified", "interrupted", "open", "broken")


def state_text(status: str, mode: str, t, app) -> Text:
    """A record's state as a short coloured word."""
    styles = {
        "verified": tone(app, "ok"),
        "interrupted": tone(app, "warn"),
        "open": tone(app, "warn"),
        "broken": tone(app, "bad", "bold"),
    }
    out = Text(t(f"rev.{status}") if status in styles else status, style=styles.get(status, ""))
    if mode == "rehearsal":
        out.append(" " + t("rev.rehearsal"), style="dim")
    return out


class ExportMixin:
    """Export one or several records through the format dialog, in a thread worker."""

    def ask_export(self, folders: list[Path], *, highlight: str | None = None) -> None:
        """The export dialog (format, and whether to mask ID, card and phone numbers and e-mails), on the format
        `highlight` when given."""
        t = self.t  # type: ignore[attr-defined]

        def chosen(result: tuple[str, bool] | None) -> None:
            if result is not None:
                self.export(folders, result[0], result[1])

        dialog = self.app.dialog(  # type: ignore[attr-defined]
            ChoiceDialog, t("export.title"), export_choices(t), check="export.redact", highlight=highlight
        )
        self.app.push_screen(dialog, chosen)  # type: ignore[attr-defined]

    @work(thread=True, group="export", exit_on_error=False)
    def export(self, folders: list[Path], fmt: str, redact: bool) -> Path:
        from callassist.tui.exporting import export_records

        # A record that fails verification is still the user's to read: exported with the failure stamped on top
        # and its unverified lines apart, and the notice says so (the record's files are only read).
        done = export_records(folders, fmt, self.services.lang, redact=redact)  # type: ignore[attr-defined]
        self.app.call_from_thread(self.exported, done.path, done.problems)  # type: ignore[attr-defined]
        return done.path

    def exported(self, path: Path, problems: tuple[str, ...] = ()) -> None:
        self.last_export = path
        if problems:
            why = "; ".join(problems)
            self.notify(self.t("export.broken", why=why, path=path), severity="warning", timeout=15)  # type: ignore[attr-defined]
            return
        self.notify(self.t("ended.exported", path=path), timeout=6)  # type: ignore[attr-defined]


class ReviewScreen(ExportMixin, BaseScreen):
    """Every record under the transcripts folder: date, lender, length, alerts, state; a preview of the one
    under the cursor."""

    BINDINGS = [
        Binding("enter", "open", "key.open", id="review.open"),
        Binding("slash", "search", "key.search_all", id="review.search"),
        Binding("space", "mark", "key.mark", id="review.mark"),
        Binding("x", "export", "key.export", id="review.export"),
        Binding("d", "pack", "key.pack", id="review.pack"),
        Binding("escape,q", "back", "key.back", id="review.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.summaries: list[Any] = []
        self.everything: list[Any] = []
        self.marked: set[Path] = set()
        self.last_export: Path | None = None
        self.needle = ""
        self.hits: dict[Path, list[Any]] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="review-body"):
            yield Input(placeholder=self.t("rev.search_all"), id="review-search", compact=True)
            yield DataTable(id="records", cursor_type="row", zebra_stripes=True)
            yield Prose(Text(self.t("rev.loading"), style="dim"), id="preview", classes="panel")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        t = self.t
        table = self.query_one(DataTable)
        table.border_title = t("rev.title")
        for key, width in (("", 1), ("rev.date", 16), ("rev.lender", 12), ("rev.duration", 8), ("rev.alerts", 6)):
            table.add_column(t(key) if key else "", width=width)
        # As wide as its longest words ("interrupted rehearsal", "已中断 练习"), worked out here from the words
        # themselves: a guessed width cut them short, and sizing to the rows arrived a frame late on a busy machine.
        words = [state_text(st, mode, t, self.app) for st in STATES for mode in ("", "rehearsal")]
        table.add_column(t("rev.state"), width=max(cell_len(t("rev.state")), *(w.cell_len for w in words)))
        self.load_list()
        table.focus()

    @work(thread=True, exclusive=True, group="list", exit_on_error=False)
    def load_list(self) -> None:
        """Refreshing the index reads new journals: off the UI thread."""
        from callassist.record.index import list_records

        root = self.services.transcripts
        summaries = list_records(root) if root.is_dir() else []
        self.app.call_from_thread(self.show_list, list(reversed(summaries)))

    def show_list(self, summaries: list[Any], *, keep: bool = False) -> None:
        t = self.t
        if not keep:
            self.everything = summaries
        self.summaries = summaries
        table = self.query_one(DataTable)
        table.clear()
        for s in summaries:
            alerts = Text(str(s.alerts), style=self.tone("bad", "bold") if s.alerts else "dim")
            table.add_row(
                "●" if s.folder in self.marked else " ",
                (s.started or "")[:16].replace("T", " "),
                s.lender or "-",
                fmt_duration(s.duration) or "-",  # rounded, as `callassist list` and exports show it
                alerts,
                state_text(s.status, s.mode, t, self.app),
                key=str(s.folder),
            )
        if not summaries:
            self.query_one("#preview", Prose).update(Text(t("rev.empty"), style="dim"))
        else:
            self.preview(summaries[0])

    def current(self) -> Any | None:
        table = self.query_one(DataTable)
        if not self.summaries or table.cursor_row is None or table.cursor_row >= len(self.summaries):
            return None
        return self.summaries[table.cursor_row]

    @on(DataTable.RowSelected)
    def row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    @on(DataTable.RowHighlighted)
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        s = self.current()
        if s is not None:
            self.preview(s)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def preview(self, summary: Any) -> None:
        """The first lines of a record (reading a journal: off the UI thread; a newer request cancels this)."""
        from callassist import record

        rec = record.load(summary.folder, audio=False)
        self.app.call_from_thread(self.show_preview, summary, rec)

    def show_preview(self, summary: Any, rec: Any) -> None:
        t = self.t
        body = Text()
        if self.needle and summary.folder in self.hits:
            self.show_hits(summary)
            return
        agent = rec.agent
        body.append(f"{summary.folder.name}\n", style="bold")
        who = " · ".join(x for x in (agent.get("name"), agent.get("id"), agent.get("company")) if x)
        if who:
            body.append(f"{t('rev.agent')}{t('colon')}{who}\n", style="dim")
        problem = rec.summary_line(self.services.lang)
        if problem:
            body.append(problem + "\n", style=self.tone("warn"))
        labels = {s: t(f"speaker.{s}") for s in ("agent", "me", "unknown")}
        for u in rec.utterances()[:8]:
            body.append(f"{labels.get(u.get('speaker'), '?')}{t('colon')}", style="bold")
            body.append(u.get("text", "") + "\n")
        body.rstrip()
        self.query_one("#preview", Prose).update(body)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(describe(event.worker.error, self.services.lang == "zh"), severity="error", timeout=10)

    # -- search across every record ----------------------------------------------------------------

    def action_search(self) -> None:
        box = self.query_one("#review-search", Input)
        box.add_class("-open")
        box.focus()

    @on(Input.Submitted, "#review-search")
    def search_submitted(self, event: Input.Submitted) -> None:
        needle = event.value.strip()
        self.query_one(DataTable).focus()
        if not needle:
            self.clear_search()
            return
        self.search(needle)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search(self, needle: str) -> None:
        """The records' search index (SQLite FTS5, Chinese substrings too) is refreshed first: a thread."""
        from callassist.record.index import search

        hits = search(self.services.transcripts, needle) if self.services.transcripts.is_dir() else []
        self.app.call_from_thread(self.found, needle, hits)

    def found(self, needle: str, hits: list[Any]) -> None:
        if not hits:
            self.notify(self.t("rev.not_found", text=needle), severity="warning", timeout=3)
            return
        by_folder: dict[Path, list[Any]] = {}
        for h in hits:
            by_folder.setdefault(Path(h.folder), []).append(h)
        self.needle, self.hits = needle, by_folder
        shown = [s for s in self.everything if s.folder in by_folder]
        self.show_list(shown, keep=True)
        self.notify(self.t("rev.found", n=len(hits), calls=len(shown)), timeout=3)

    def show_hits(self, summary: Any) -> None:
        t = self.t
        labels = {s: t(f"speaker.{s}") for s in ("agent", "me", "unknown")}
        body = Text()
        body.append(f"{summary.folder.name}\n", style="bold")
        for h in self.hits.get(summary.folder, [])[:10]:
            who = labels.get(h.speaker, h.kind)
            body.append(f"{(h.at or '')[11:19]} {who}{t('colon')}", style="dim")
            line = Text(h.text + "\n")
            line.highlight_words([self.needle], self.tone("warn", "bold reverse"), case_sensitive=False)
            body.append_text(line)
        body.rstrip()
        self.query_one("#preview", Prose).update(body)

    def clear_search(self) -> None:
        self.needle, self.hits = "", {}
        box = self.query_one("#review-search", Input)
        box.value = ""
        box.remove_class("-open")
        self.show_list(self.everything)

    def action_open(self) -> None:
        s = self.current()
        if s is not None:
            self.app.push_screen(self.app.screen_of("record", s.folder, needle=self.needle))

    def action_mark(self) -> None:
        s = self.current()
        if s is None:
            return
        self.marked.symmetric_difference_update({s.folder})
        table = self.query_one(DataTable)
        table.update_cell_at((table.cursor_row, 0), "●" if s.folder in self.marked else " ")
        self.notify(self.t("rev.marked", n=len(self.marked)), timeout=2)
        if table.cursor_row < len(self.summaries) - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def selected(self) -> list[Path]:
        if self.marked:
            return [s.folder for s in self.summaries if s.folder in self.marked]
        s = self.current()
        return [s.folder] if s is not None else []

    def action_export(self) -> None:
        folders = self.selected()
        if folders:
            self.ask_export(folders)

    def action_pack(self) -> None:
        folders = self.selected()
        if folders:
            self.ask_export(folders, highlight="mediation")  # asks first: the pack is what gets sent on

    def action_back(self) -> None:
        if isinstance(self.focused, Input) or self.needle:
            self.clear_search()
            self.query_one(DataTable).focus()
            return
        self.dismiss()


class RecordScreen(ExportMixin, BaseScreen):
    """One record: its transcript with notes, bookmarks, alerts and agreed terms; search, verify, export."""

    BINDINGS = [
        Binding("slash", "search", "key.search", id="record.search"),
        Binding("n", "next_hit(1)", "key.next_hit", id="record.next_hit", group=HITS),
        Binding("N", "next_hit(-1)", "key.next_hit", id="record.prev_hit", group=HITS),
        Binding("right_square_bracket", "next_mark(1)", "key.next_mark", id="record.next_mark", group=MARKS),
        Binding("left_square_bracket", "next_mark(-1)", "key.prev_mark", id="record.prev_mark", group=MARKS),
        Binding("v", "verify", "key.verify", id="record.verify"),
        Binding("x", "export", "key.export", id="record.export"),
        Binding("escape,q", "back", "key.back", id="record.back"),
    ]

    def __init__(self, folder: Path, needle: str = "") -> None:
        super().__init__()
        self.folder = Path(folder)
        self.record: Any = None
        self.needle = needle
        self.last_export: Path | None = None

    def compose(self) -> ComposeResult:
        yield Prose(Text(self.t("rev.loading"), style="dim"), id="record-head")
        yield Transcript({s: self.t(f"speaker.{s}") for s in ("agent", "me", "unknown")}, live=False, id="record-view")
        yield Input(placeholder=self.t("rev.search"), id="record-search", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#record-view").border_title = self.folder.name
        self.query_one(Transcript).focus()
        self.load()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        """Read and check the whole journal (and hash the audio): off the UI thread."""
        from callassist import record
        from callassist.record.verify import unverified

        rec = record.load(self.folder)
        rest = unverified(rec) if rec.status == record.BROKEN else None
        self.app.call_from_thread(self.show, rec, rest)

    def show(self, rec: Any, rest: Any = None) -> None:
        self.record = rec
        view = self.query_one(Transcript)
        for event in rec.events:
            ev.apply(view, event, self.t, suggestions=True, lang=self.services.lang)
        if rest is not None:
            ev.apply_unverified(view, rec, rest, self.services.lang)
        self.show_head()
        view.scroll_home(animate=False)
        if self.needle:  # opened from a search across records: show its first hit
            view.highlight(self.needle)
            self.call_after_refresh(self.find, 1, -1)

    def show_head(self) -> None:
        t, rec = self.t, self.record
        head = Text()
        head.append((rec.header or {}).get("started", "")[:19].replace("T", " "), style="bold")
        if rec.lender:
            head.append(f"  {rec.lender}")
        head.append(f"  {fmt_duration(rec.duration) or '-'}  ", style="dim")
        head.append_text(state_text(rec.status, (rec.header or {}).get("mode", ""), t, self.app))
        agent = " · ".join(x for x in (rec.agent.get("name"), rec.agent.get("id"), rec.agent.get("company")) if x)
        if agent:
            head.append(f"  {t('rev.agent')}{t('colon')}{agent}", style="dim")
        problem = rec.summary_line(self.services.lang)
        if problem:
            head.append(f"\n{problem}", style=self.tone("warn"))
        self.query_one("#record-head", Prose).update(head)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(describe(event.worker.error, self.services.lang == "zh"), severity="error", timeout=10)

    # -- search and marks --------------------------------------------------------------------------

    def action_search(self) -> None:
        box = self.query_one("#record-search", Input)
        box.add_class("-open")
        box.focus()

    @on(Input.Submitted, "#record-search")
    def search_submitted(self, event: Input.Submitted) -> None:
        self.needle = event.value.strip()
        event.input.remove_class("-open")
        view = self.query_one(Transcript)
        view.highlight(self.needle)
        view.focus()
        self.find(1, start_after=-1)

    def find(self, step: int, start_after: int | None = None) -> None:
        view = self.query_one(Transcript)
        if not self.needle:
            return
        base = view.cursor if start_after is None else start_after
        base = -1 if base is None else base
        i = view.find(self.needle, base + step if step > 0 else base - 1, backwards=step < 0)
        if i is None:
            self.notify(self.t("rev.not_found", text=self.needle), severity="warning", timeout=3)
            return
        view.move_cursor(i)

    def action_next_hit(self, step: int) -> None:
        self.find(step)

    def action_next_mark(self, step: int) -> None:
        view = self.query_one(Transcript)
        base = view.cursor if view.cursor is not None else -1
        i = view.next_mark(base + 1 if step > 0 else base - 1, backwards=step < 0)
        if i is None:
            self.notify(self.t("rev.no_marks"), timeout=3)
            return
        view.move_cursor(i)

    # -- verify and export -------------------------------------------------------------------------

    def action_verify(self) -> None:
        self.notify(self.t("rev.verifying"), timeout=2)
        self.verify()

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def verify(self) -> None:
        from callassist import record

        rec = record.load(self.folder)
        self.app.call_from_thread(self.verified, rec)

    def verified(self, rec: Any) -> None:
        from callassist import record

        self.record = rec
        self.show_head()
        if rec.status in (record.VERIFIED, record.INTERRUPTED) and rec.ok:
            self.notify(self.t("rev.verify_ok", digest=rec.final_digest), timeout=8)
        else:
            why = rec.summary_line(self.services.lang) or rec.status
            self.notify(self.t("rev.verify_bad", why=why), severity="error", timeout=10)

    def action_export(self) -> None:
        self.ask_export([self.folder])

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(Transcript).focus()
            return
        self.dismiss()

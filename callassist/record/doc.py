"""A tiny document model (headings, paragraphs, tables, a transcript) rendered to Markdown, HTML and text.

Exports and the mediation pack build one Doc and render it; there is one copy of each renderer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    """A section title (level 1 is the document title)."""

    level: int
    text: str


@dataclass(frozen=True)
class Para:
    """A paragraph; style 'alert', 'note', 'muted' or 'blank' (a line to fill in by hand)."""

    text: str
    style: str = ""


@dataclass(frozen=True)
class Fields:
    """Label: value pairs; an empty value prints a line to fill in."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table with a header row."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Items:
    """A bulleted or numbered list."""

    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Entry:
    """One line of a transcript or timeline."""

    time: str
    who: str
    text: str
    kind: str = ""  # agent, me, unknown, alert, suggestion, note, bookmark, agreed, stage, system
    detail: str = ""


@dataclass(frozen=True)
class Code:
    """Commands or digests, shown verbatim."""

    text: str


@dataclass(frozen=True)
class Banner:
    """A warning to be seen before anything else, in a box: a title and its lines (e.g. a failed verification)."""

    title: str
    lines: tuple[str, ...] = ()


Block = Heading | Para | Fields | Table | Items | Entry | Code | Banner


@dataclass
class Doc:
    """A document: a title, a language ('zh' or 'en') and blocks."""

    title: str
    lang: str = "zh"
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Doc:
        """Append blocks; returns the document."""
        self.blocks.extend(blocks)
        return self

    def extend(self, other: Doc) -> Doc:
        """Append another document's blocks."""
        self.blocks.extend(other.blocks)
        return self


BLANK = "________"

# -- Markdown -----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def to_markdown(doc: Doc) -> str:
    """The document as CommonMark (tables in the GitHub style)."""
    out: list[str] = []
    prev_entry = False
    for b in doc.blocks:
        if not isinstance(b, Entry) and prev_entry:
            out.append("")
        prev_entry = isinstance(b, Entry)
        if isinstance(b, Heading):
            out += ["#" * b.level + " " + _md(b.text), ""]
        elif isinstance(b, Para):
            text = _md(b.text) if b.text else BLANK
            if b.style == "alert":
                text = f"> **⚠** {text}"
            elif b.style in ("note", "muted"):
                text = f"> {text}"
            out += [text, ""]
        elif isinstance(b, Fields):
            out += [
                f"- **{_md(k)}**：{_md(v) if v else BLANK}"
                if doc.lang == "zh"
                else f"- **{_md(k)}**: {_md(v) if v else BLANK}"
                for k, v in b.rows
            ]
            out.append("")
        elif isinstance(b, Table):
            out.append("| " + " | ".join(_md(h) for h in b.headers) + " |")
            out.append("|" + "|".join("---" for _ in b.headers) + "|")
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in b.rows]
            out.append("")
        elif isinstance(b, Items):
            out += [f"{i}. {_md(t)}" if b.ordered else f"- {_md(t)}" for i, t in enumerate(b.items, 1)]
            out.append("")
        elif isinstance(b, Entry):
            out.append(_md_entry(b))
        elif isinstance(b, Code):
            out += ["```", b.text, "```", ""]
        elif isinstance(b, Banner):
            out.append(f"> **{_md(b.title)}**")
            for line in b.lines:
                out += [">", f"> {_md(line)}"]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md_entry(e: Entry) -> str:
    head = f"`{e.time}`" if e.time else ""
    who = f"**{_md(e.who)}**" if e.who else ""
    text = _md(e.text)
    if e.kind == "alert":
        text = f"**⚠ {text}**"
    elif e.kind in ("suggestion", "stage", "system"):
        text = f"*{text}*"
    line = " ".join(x for x in (head, who) if x)
    line = f"{line} {text}" if line else text
    if e.detail:
        line += f" — {_md(e.detail)}"
    return f"- {line}"


# -- Plain text ---------------------------------------------------------------------------------


def to_text(doc: Doc) -> str:
    """The document as plain text (UTF-8), for reading in a terminal or pasting into a form."""
    out: list[str] = []
    prev_entry = False
    for b in doc.blocks:
        if not isinstance(b, Entry) and prev_entry:
            out.append("")
        prev_entry = isinstance(b, Entry)
        if isinstance(b, Heading):
            rule = "=" if b.level == 1 else "-"
            out += [b.text, rule * min(60, max(8, _width(b.text))), ""]
        elif isinstance(b, Para):
            mark = {"alert": "! ", "note": "  ", "muted": "  "}.get(b.style, "")
            out += [mark + (b.text or BLANK), ""]
        elif isinstance(b, Fields):
            w = max((_width(k) for k, _ in b.rows), default=0)
            out += [f"{k}{' ' * (w - _width(k))}  {v or BLANK}" for k, v in b.rows]
            out.append("")
        elif isinstance(b, Table):
            widths = [max([_width(h)] + [_width(r[i]) for r in b.rows]) for i, h in enumerate(b.headers)]
            widths = [min(w, 40) for w in widths]
            out.append("  ".join(_pad(h, widths[i]) for i, h in enumerate(b.headers)).rstrip())
            out.append("  ".join("-" * w for w in widths))
            out += ["  ".join(_pad(c, widths[i]) for i, c in enumerate(r)).rstrip() for r in b.rows]
            out.append("")
        elif isinstance(b, Items):
            out += [f"{i}. {t}" if b.ordered else f"* {t}" for i, t in enumerate(b.items, 1)]
            out.append("")
        elif isinstance(b, Entry):
            mark = {"alert": "⚠ ", "suggestion": "→ ", "bookmark": "★ ", "note": "✎ ", "agreed": "✔ "}.get(b.kind, "")
            who = f"{b.who}: " if b.who else ""
            line = f"[{b.time}] " if b.time else ""
            line += f"{mark}{who}{b.text}"
            if b.detail:
                line += f" ({b.detail})"
            out.append(line)
        elif isinstance(b, Code):
            out += ["    " + ln for ln in b.text.splitlines()]
            out.append("")
        elif isinstance(b, Banner):
            rule = "!" * 72
            out += [rule, f"!! {b.title}"]
            for line in b.lines:
                out += ["!!", f"!! {line}"]
            out += [rule, ""]
    return "\n".join(out).rstrip() + "\n"


def _width(s: str) -> int:
    """Display width: Chinese characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, w: int) -> str:
    return s + " " * max(0, w - _width(s))


# -- HTML ---------------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
:root { color-scheme: light; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB",
       "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans", "Helvetica Neue", Arial, sans-serif;
       font-size: 10.5pt; line-height: 1.55; color: #111; max-width: 178mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 6pt; } h2 { font-size: 13pt; margin: 16pt 0 6pt; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; margin: 12pt 0 4pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 10pt; }
th, td { border: 1px solid #bbb; padding: 3pt 5pt; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; word-break: break-word; }
th { background: #f0f0f0; }
table.fields th { width: 30%; font-weight: 600; }
td.blank, span.blank { color: #888; }
p.alert, li.alert { color: #a00; } p.alert { border-left: 3pt solid #a00; padding-left: 6pt; }
p.note, p.muted { color: #444; } p.muted { font-size: 9pt; }
ol.transcript { list-style: none; padding: 0; margin: 4pt 0 10pt; }
ol.transcript li { padding: 2pt 0; border-bottom: 1px dotted #ddd; break-inside: avoid; page-break-inside: avoid; }
.t { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 9pt; color: #555; margin-right: 6pt; }
.who { font-weight: 600; margin-right: 4pt; } .agent .who { color: #0b4f8a; } .me .who { color: #1d6b2f; }
li.alert { font-weight: 600; } li.suggestion, li.stage, li.system { color: #555; font-style: italic; }
li.bookmark::before { content: "★ "; } li.note::before { content: "✎ "; } li.agreed::before { content: "✔ "; }
li.alert::before { content: "⚠ "; }
.detail { color: #666; font-size: 9pt; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 6pt; white-space: pre-wrap; word-break: break-all;
      font-size: 8.5pt; }
h2, h3 { break-after: avoid; page-break-after: avoid; } tr { break-inside: avoid; page-break-inside: avoid; }
.integrity { border: 2.5pt solid #a00; background: #fdecea; color: #5c0000; padding: 6pt 10pt; margin: 0 0 14pt;
              -webkit-print-color-adjust: exact; print-color-adjust: exact; break-inside: avoid; }
.integrity p { margin: 4pt 0; overflow-wrap: anywhere; } .integrity p.title { font-size: 13pt; font-weight: 700; }
@media print { body { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
"""


def _h(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def to_html(doc: Doc) -> str:
    """A standalone HTML page, printable on A4, with fonts that render Chinese."""
    lang = "zh-CN" if doc.lang == "zh" else "en"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(doc.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
    ]
    in_list = False
    for b in doc.blocks:
        if isinstance(b, Entry) and not in_list:
            out.append('<ol class="transcript">')
            in_list = True
        elif not isinstance(b, Entry) and in_list:
            out.append("</ol>")
            in_list = False
        if isinstance(b, Heading):
            lvl = min(max(b.level, 1), 6)
            out.append(f"<h{lvl}>{_h(b.text)}</h{lvl}>")
        elif isinstance(b, Para):
            cls = f' class="{b.style}"' if b.style else ""
            out.append(f"<p{cls}>{_h(b.text) if b.text else '<span class=blank>' + BLANK + '</span>'}</p>")
        elif isinstance(b, Fields):
            out.append('<table class="fields">')
            for k, v in b.rows:
                cell = f"<td>{_h(v)}</td>" if v else f'<td class="blank">{BLANK}</td>'
                out.append(f"<tr><th>{_h(k)}</th>{cell}</tr>")
            out.append("</table>")
        elif isinstance(b, Table):
            out.append("<table>")
            out.append("<tr>" + "".join(f"<th>{_h(h)}</th>" for h in b.headers) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{_h(c)}</td>" for c in r) + "</tr>" for r in b.rows]
            out.append("</table>")
        elif isinstance(b, Items):
            tag = "ol" if b.ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{_h(t)}</li>" for t in b.items) + f"</{tag}>")
        elif isinstance(b, Entry):
            t = f'<span class="t">{_h(b.time)}</span>' if b.time else ""
            who = f'<span class="who">{_h(b.who)}</span>' if b.who else ""
            detail = f' <span class="detail">{_h(b.detail)}</span>' if b.detail else ""
            out.append(f'<li class="{b.kind}">{t}{who}<span class="text">{_h(b.text)}</span>{detail}</li>')
        elif isinstance(b, Code):
            out.append(f"<pre>{html.escape(b.text)}</pre>")
        elif isinstance(b, Banner):
            out.append('<div class="integrity" role="alert">')
            out.append(f'<p class="title">{_h(b.title)}</p>')
            out += [f"<p>{_h(line)}</p>" for line in b.lines]
            out.append("</div>")
    if in_list:
        out.append("</ol>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(m: re.Match[str]) -> str:
    c = ord(m.group())
    return chr(0x2400 + c) if c < 0x20 else "\u2421" if c == 0x7F else "\ufffd"


def visible(text: str) -> str:
    """Control characters (NUL, ESC, DEL, ...; not tab or newline) as their pictures (␀ ␛ ␡), C1 controls as
    U+FFFD: a record's text may hold them (a pasted chat, an imported log) and a terminal or a browser must not
    act on them. Lone surrogates (a file name that is not UTF-8) as U+FFFD, so the text can be printed."""
    from callassist.text import valid_text

    return _CONTROL.sub(_picture, valid_text(text))


def render(doc: Doc, fmt: str) -> str:
    """Render as 'md', 'html' or 'txt' (control characters shown as pictures: visible())."""
    if fmt == "md":
        return visible(to_markdown(doc))
    if fmt == "html":
        return visible(to_html(doc))
    if fmt == "txt":
        return visible(to_text(doc))
    raise ValueError(f"unknown format {fmt!r}")

"""Journal events as transcript entries: one function for the live call and the review browser alike."""

from __future__ import annotations

from collections.abc import Callable

from callassist.tui.widgets.transcript import Entry, Transcript


def clock_of(at: object) -> str:
    """HH:MM:SS of an ISO time (in the offset it was recorded with)."""
    return at[11:19] if isinstance(at, str) and len(at) >= 19 else ""


def _num(v: object) -> str:
    return f"{v:,.2f}" if isinstance(v, float) else str(v)


def agreed_text(event: dict, t: Callable[..., str]) -> str:
    """An agreed term in one line: amount · periods × per period · first due · waived · their words."""
    parts = []
    for key in ("amount", "periods", "per_period", "first_due"):
        v = event.get(key)
        if v not in (None, ""):
            parts.append(f"{t('agreed.' + key)} {_num(v)}")
    if event.get("waived"):
        label = t("agreed.waived").split("（")[0].split(" (")[0]
        parts.append(f"{label}{t('colon')}{t('list_sep').join(event['waived'])}")
    if event.get("text"):
        parts.append(f"“{event['text']}”")
    return " · ".join(parts)


def apply(
    view: Transcript,
    event: dict,
    t: Callable[..., str],
    *,
    suggestions: bool = False,
    rules: bool = True,
    lang: str = "en",
) -> int | None:
    """Show one journal event in a transcript; returns the index of the entry it added or changed, if any.

    suggestions: show the suggestion events too (review); rules: add the rule an alert cites (the live call
    leaves it to the suggestion card); lang: the language system events are described in."""
    kind = event.get("type")
    at = clock_of(event.get("at"))
    seq = event.get("seq")
    if kind == "utterance":
        return view.add(Entry("utterance", event.get("text", ""), event.get("speaker", "unknown"), at, seq))
    if kind == "speaker":
        i = view.index_of_seq(event.get("ref", -1))
        if i is not None:
            e = view.entries[i]
            view.update_entry(i, Entry(e.kind, e.text, event.get("speaker", e.speaker), e.at, e.seq, e.bookmarked))
        return i
    if kind == "bookmark":
        ref = event.get("ref")
        i = view.index_of_seq(ref) if ref is not None else None
        if i is not None:
            e = view.entries[i]
            view.update_entry(i, Entry(e.kind, e.text, e.speaker, e.at, e.seq, True))
            if event.get("label"):
                return view.add(Entry("bookmark", event["label"], at=at, seq=seq))
            return i
        return view.add(Entry("bookmark", event.get("label") or t("call.bookmarked"), at=at, seq=seq))
    if kind == "alert":
        rule = event.get("rule") if rules else None
        text = event.get("alert", "") + (f" — {t('call.rule')}{t('colon')}{rule}" if rule else "")
        return view.add(Entry("alert", text, at=at, seq=seq))
    if kind == "suggestion":
        if not suggestions:
            return None
        return view.add(
            Entry(
                "suggestion", f"{event.get('title', event.get('intent'))} {event.get('score', 0):.2f}", at=at, seq=seq
            )
        )
    if kind == "note":
        return view.add(Entry("note", event.get("text", ""), at=at, seq=seq))
    if kind == "agreed":
        return view.add(Entry("agreed", agreed_text(event, t), at=at, seq=seq))
    if kind == "stage":
        return view.add(Entry("stage", event.get("title") or event.get("stage", ""), at=at, seq=seq))
    if kind == "system":
        from callassist.record.export import system_line

        return view.add(Entry("system", system_line(event, lang), at=at, seq=seq))
    if kind == "interrupted":
        from callassist.record.export import labels

        lab = labels(lang)
        torn = ("" if lang == "zh" else " ") + lab["torn"] if event.get("torn") else ""
        return view.add(Entry("system", lab["interrupted"] + torn, at=at, seq=seq))
    return None


def apply_unverified(view: Transcript, rec: object, rest: object, lang: str) -> None:
    """The lines of a broken record from the one that fails verification on (record.verify.unverified), after a
    heading that says they are not to be trusted, each with its line number, as the exports list them. They are
    only shown: none of them changes a line above (an unverified speaker correction or bookmark stays text)."""
    from dataclasses import replace

    from callassist.record.export import labels, timeline

    lab = labels(lang)
    colon, paren = ("：", "（{}）") if lang == "zh" else (": ", "  ({})")
    view.add(Entry("alert", lab["unverified"].format(line=rest.from_line) + colon + lab["unverified_note"]))
    for number, event, text in rest.lines:
        where = lab["line_n"].format(n=number)
        shown = []
        if event is not None:
            try:
                shown = timeline(replace(rec, events=[{**event, "seq": None}]), lang)
            except Exception:  # anything can be in a changed line: show it as found rather than fail
                shown = []
            if not shown:
                import json

                text = json.dumps(event, ensure_ascii=False)
        if not shown:
            view.add(Entry("system", text + paren.format(lab["not_a_line"].format(n=number))))
        for e in shown:
            words = f"{e.who} {e.text}".strip() if e.who else e.text
            detail = f"{e.detail} · {where}" if e.detail else where
            view.add(Entry("system", words + paren.format(detail), at=e.time))

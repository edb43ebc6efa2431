"""Where to break a line of mixed Chinese and Latin text: between any two Chinese characters, after spaces,
and never so that a line starts with a closing mark or ends with an opening one (禁则处理, kinsoku)."""

from __future__ import annotations

from rich.cells import get_character_cell_size

# Never at the start of a line: Chinese closing punctuation, and the Latin marks that may follow Chinese text.
CLOSING = frozenset("，。、？！）”’：；…」』】〕〉》〗〙〛｝］％‰・·～,.!?:;)]}%")
# Never at the end of a line.
OPENING = frozenset("（“‘「『【〔〈《〖〘〚｛［([{")


def _may_break(text: str, i: int, widths: list[int]) -> bool:
    """Whether a line may start at text[i] (0 < i < len(text))."""
    before, after = text[i - 1], text[i]
    if _held(text, i) or after.isspace():
        return False
    # After a space, as word wrap does; or next to a wide character, as Chinese text allows anywhere.
    return before.isspace() or widths[i - 1] == 2 or widths[i] == 2


def break_offsets(text: str, width: int) -> list[int]:
    """Indices at which to split one line of text (no newlines) so that each piece fits `width` cells.

    Latin words stay whole when they fit a line and are folded when they do not; trailing spaces do not
    count. A closing mark that does not fit at the end of a line takes the character before it along to
    the next line, and an opening mark moves down to the text it opens, as Chinese typesetting does.
    """
    width = max(1, width)
    widths = [get_character_cell_size(c) for c in text]
    breaks: list[int] = []
    start, used, best = 0, 0, None
    i = 0
    while i < len(text):
        if i > start and _may_break(text, i, widths):
            best = i  # everything before i fits (trailing spaces aside)
        char_width = widths[i]
        if text[i].isspace() or used + char_width <= width or i == start:  # a line holds one character at least
            used += char_width
            i += 1
            continue
        cut = best if best is not None else _fold(text, start, i)
        breaks.append(cut)
        start, used, best = cut, 0, None
        i = cut
    return breaks


def _fold(text: str, start: int, end: int) -> int:
    """Where to cut a run with no break opportunity that overflows at `end`: as late as kinsoku allows."""
    cut = end
    while cut - 1 > start and _held(text, cut):
        cut -= 1
    return end if _held(text, cut) else cut


def _held(text: str, i: int) -> bool:
    """Whether kinsoku forbids a break before text[i]."""
    return text[i] in CLOSING or text[i - 1] in OPENING

"""keys.toml in the config folder: binding ids → keys, checked at start-up and handed to Textual's keymap.

    [keys]
    note = "ctrl+n"          # a binding's short name, when only one binding has it
    "call.bookmark" = "ctrl+b,f5"
    [keys.review]
    export = "e"             # review.export

A file that cannot be used stops the app with one line naming the file, the line and the problem."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

from textual.binding import Binding
from textual.keys import KEY_NAME_REPLACEMENTS, REPLACED_KEYS, Keys, key_to_character

from callassist import locations
from callassist.errors import FileError
from callassist.playbook import parse_toml, read_text

FILE = "keys.toml"
MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
NAMED_KEYS = frozenset(k.value.rpartition("+")[2] for k in Keys if not k.value.startswith("<")) | {"space"}


class KeysError(FileError):
    """A keys.toml that cannot be used; the message names file, line and problem."""


def keys_path() -> Path:
    """Where the user's key remapping lives."""
    return locations.config_dir() / FILE


# ------------------------------------------------------------------------------------- the app's bindings


def _scopes() -> dict[str, tuple[type, ...]]:
    """The groups of classes whose bindings are active together: a screen (or dialog) with its widgets."""
    from callassist.tui.app import CallAssist
    from callassist.tui.screens import call, dialogs, ended, home, rehearsal, review
    from callassist.tui.screens.base import BaseDialog
    from callassist.tui.widgets.points import TalkingPoints

    screens: dict[str, tuple[type, ...]] = {
        "home": (home.HomeScreen,),
        "call": (call.CallScreen, TalkingPoints),
        "ended": (ended.CallEndedScreen,),
        "rehearsal": (rehearsal.RehearsalScreen,),
        "review": (review.ReviewScreen,),
        "record": (review.RecordScreen,),
    }
    for cls in vars(dialogs).values():
        if isinstance(cls, type) and issubclass(cls, BaseDialog):
            screens[cls.__name__] = (cls,)
    return {name: (CallAssist, *classes) for name, classes in screens.items()}


def _bindings(classes: tuple[type, ...]) -> Iterator[Binding]:
    for cls in classes:
        for base in cls.__mro__:
            for b in base.__dict__.get("BINDINGS", []):
                b = b if isinstance(b, Binding) else Binding(*b)
                if b.id:
                    yield b


def binding_ids() -> dict[str, str]:
    """Every binding id of the app → its default keys, in the order the screens list them."""
    ids: dict[str, str] = {}
    for classes in _scopes().values():
        for b in _bindings(classes):
            ids.setdefault(b.id, b.key)
    return ids


# ------------------------------------------------------------------------------------- reading the file


def _split_keys(dotted: str) -> list[str]:
    """A TOML key as written (bare, quoted, dotted) → its parts."""
    parts = re.findall(r'\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*(?:\.|$)', dotted)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


# `name =` at the start of a line: quoted parts whole, anything else one character at a time (a nested repeat here
# backtracked exponentially on a long line without "=").
_KEY_LINE = re.compile(r'^((?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^=#"\'])+?)\s*=')


def _lines(text: str) -> list[tuple[str, int]]:
    """(name under [keys], line) for every `name = ...` line, in order; the table header's prefix included."""
    found: list[tuple[str, int]] = []
    table: list[str] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if header := re.match(r"^\[([^\[\]]+)\]\s*(#.*)?$", line):
            table = _split_keys(header.group(1))
            continue
        if "=" in line and (key := _KEY_LINE.match(line)):
            name = ".".join(table + _split_keys(key.group(1)))
            found.append((name[len("keys.") :] if name.startswith("keys.") else "." + name, n))
    return found


def _normalize(key: str) -> str:
    """One key as Textual names it: lower-case modifiers and names, '/' → 'slash', '[' → 'left_square_bracket'."""
    *mods, name = key.strip().split("+")
    mods = [m.strip().lower() for m in mods]
    name = name.strip()
    if len(name) == 1 and not name.isalnum():
        name = unicodedata.name(name, name).lower().replace("-", "_").replace(" ", "_")
        name = KEY_NAME_REPLACEMENTS.get(name, name)
    elif len(name) > 1 or mods:  # "Ctrl+N" arrives as ctrl+n; a bare "N" is shift+n and keeps its case
        name = name.lower()
    return "+".join([*mods, name])


def _valid(key: str) -> bool:
    *mods, name = key.split("+")
    if not name or any(m not in MODIFIERS for m in mods):
        return False
    return (
        (len(name) == 1 and name.isprintable() and not name.isspace())
        or name in NAMED_KEYS
        or name in REPLACED_KEYS
        or key_to_character(name) is not None
    )


def load_keymap(path: Path | None = None) -> dict[str, str]:
    """The user's keymap (binding id → keys, comma-separated), or {} without a file. KeysError if it is unusable."""
    path = path or keys_path()
    if not path.exists():
        return {}
    text, _ = read_text(path, KeysError)
    lines = _lines(text)
    seen: dict[str, int] = {}
    for name, n in lines:
        if name in seen:
            raise KeysError(path, n, f"'{name}' is given twice (lines {seen[name]} and {n})")
        seen[name] = n
    data = parse_toml(path, text, KeysError)
    return _check(path, data, dict(lines))


def _flatten(table: dict, prefix: str = "") -> Iterator[tuple[str, object]]:
    for k, v in table.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def _check(path: Path, data: dict, where: dict[str, int]) -> dict[str, str]:
    for top in data:
        if top != "keys":
            line = next((n for name, n in where.items() if name == "." + top or name.startswith(f".{top}.")), 1)
            raise KeysError(path, line, f"'{top}' is outside [keys] (write the bindings under a [keys] table)")
    table = data.get("keys", {})
    if not isinstance(table, dict):
        raise KeysError(path, where.get(".keys", 1), "'keys' must be a table: [keys]")
    ids = binding_ids()
    short: dict[str, list[str]] = {}
    for full in ids:
        short.setdefault(full.rpartition(".")[2], []).append(full)
    keymap: dict[str, str] = {}
    lines: dict[str, int] = {}
    for name, value in _flatten(table):
        line = where.get(name)
        if name in ids:
            full = name
        elif len(short.get(name, [])) == 1:
            full = short[name][0]
        elif name in short:
            raise KeysError(path, line, f"'{name}' could be {', '.join(short[name])}: write the whole id")
        else:
            near = difflib.get_close_matches(name, [*ids, *short], n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else " (the ids are listed in docs/app.md)"
            raise KeysError(path, line, f"unknown binding id '{name}'{hint}")
        if full in keymap:
            raise KeysError(path, line, f"'{full}' is given twice (lines {lines[full]} and {line})")
        if not isinstance(value, str) or not value.strip():
            raise KeysError(path, line, f'{full}: the keys must be a string such as "ctrl+n" or "f2,n"')
        keys = [_normalize(k) for k in value.split(",")]
        for raw_key, key in zip(value.split(","), keys, strict=True):
            if not _valid(key):
                raise KeysError(path, line, f'{full}: \'{raw_key.strip()}\' is not a key (try "ctrl+n", "f2", "n")')
        keymap[full], lines[full] = ",".join(keys), line
    _check_clashes(path, keymap, lines)
    return keymap


def _check_clashes(path: Path, keymap: dict[str, str], lines: dict[str, int]) -> None:
    """Two bindings active on the same screen may not share a key, unless they already did by default (the app
    tells them apart by state, e.g. Escape leaves the input or goes back)."""
    for classes in _scopes().values():
        default = {b.id: set(_normalize(k) for k in b.key.split(",")) for b in _bindings(classes)}
        now = {i: set(keymap[i].split(",")) if i in keymap else keys for i, keys in default.items()}
        for a, b in combinations(default, 2):
            if a not in keymap and b not in keymap:
                continue
            shared = (now[a] & now[b]) - (default[a] & default[b])
            if shared:
                first, second = sorted((a, b), key=lambda i: (i in keymap, lines.get(i, 0)))
                key = sorted(shared)[0]
                raise KeysError(path, lines[second], f"'{key}' is already the key of {first} on the same screen")

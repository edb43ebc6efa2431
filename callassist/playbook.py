"""TOML playbooks → frozen dataclasses, with validation errors that name the file and line."""

from __future__ import annotations

import hashlib
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from callassist import locations
from callassist.errors import FileError

PLACEHOLDERS = frozenset(
    {"name", "lender", "debt", "apr", "periods", "monthly", "income", "affordable", "hardship", "first_due"}
)
DEFAULT_LANGUAGE = "zh-CN"


class PlaybookError(FileError):
    """A playbook that cannot be used; the message names file, line and problem."""


@dataclass(frozen=True)
class Stage:
    """One stage of the call with its talking points."""

    id: str
    title: str
    points: tuple[str, ...]


@dataclass(frozen=True)
class Intent:
    """Something the other side may say, and the prepared reply."""

    id: str
    title: str
    examples: tuple[str, ...]
    answer: str
    alert: str | None = None
    rule: str | None = None
    keywords: tuple[str, ...] = ()
    follow_up: tuple[str, ...] = ()

    @property
    def is_alert(self) -> bool:
        """Whether a match is shown as a warning."""
        return bool(self.alert)


@dataclass(frozen=True)
class Playbook:
    """A whole playbook: stages, intents, chatter that must match nothing, and domain synonyms."""

    id: str
    title: str
    language: str
    stages: tuple[Stage, ...]
    intents: tuple[Intent, ...]
    chatter: tuple[str, ...] = ()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    sha256: str = ""

    def intent(self, intent_id: str) -> Intent:
        """The intent with this id (KeyError if none)."""
        for it in self.intents:
            if it.id == intent_id:
                return it
        raise KeyError(intent_id)

    @property
    def lang(self) -> str:
        """The primary language subtag: 'zh' or 'en'."""
        return self.language.split("-")[0].lower()


class TomlLines:
    """Finds the line of a table or key in the TOML source, so errors can point at it."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def headers(self, name: str) -> list[int]:
        pat = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
        return [i + 1 for i, ln in enumerate(self.lines) if pat.match(ln)]

    def key_in_block(self, start: int | None, key: str) -> int | None:
        if start is None:
            return None
        pat = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start, len(self.lines)):
            ln = self.lines[i]
            if i >= start and re.match(r"^\s*\[", ln):
                break
            if pat.match(ln):
                return i + 1
        return start


def placeholders(text: str) -> list[str]:
    """The {names} a text uses ("" for a bare {}); raises ValueError for unbalanced braces."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def _decorated(text: str) -> str | None:
    """The first placeholder written with a conversion or format ({name!r}, {debt:>10}), or None."""
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is not None and (spec or conversion):
            return "{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
    return None


def check_text(path: Path, line: int | None, text: str, owner: str) -> None:
    """Raise PlaybookError (file, line) for bad braces or an unknown {placeholder} in a text."""
    try:
        names = placeholders(text)
    except ValueError as e:
        raise PlaybookError(
            path,
            line,
            f"{owner}: bad braces in {text[:40]!r}: {e} (literal braces are {{{{ }}}})",
            zh=f"{owner}：“{text[:40]}”中的花括号有误：{e}（花括号本身要写成 {{{{ }}}}）",
        ) from None
    decorated = _decorated(text)
    if decorated:
        raise PlaybookError(
            path,
            line,
            f"{owner}: placeholder {decorated} has a format or conversion; write the name alone, e.g. {{debt}}",
            zh=f"{owner}：空位 {decorated} 带了格式或转换；只写名称，例如 {{debt}}",
        )
    for n in names:
        if n not in PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            raise PlaybookError(
                path,
                line,
                f"{owner}: unknown placeholder {{{n}}} (allowed: {allowed})",
                zh=f"{owner}：没有 {{{n}}} 这个空位（可用的有：{allowed}）",
            )


def _str_list(path: Path, line: int | None, value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PlaybookError(path, line, f"{what} must be a list of strings", zh=f"{what} 必须是字符串列表")
    return tuple(v.strip() for v in value if v.strip())


def read_text(path: Path, error: type[FileError] = PlaybookError) -> tuple[str, bytes]:
    """A UTF-8 text file's text and bytes, or `error` naming the file and what is wrong."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(path, None, "file not found", zh="文件不存在") from None
    except OSError as e:
        raise error(path, None, f"cannot read: {e.strerror}", zh=f"无法读取：{e.strerror}") from None
    try:
        return raw.decode("utf-8"), raw
    except UnicodeDecodeError as e:
        raise error(
            path, None, f"not UTF-8 text (byte {e.start})", zh=f"不是 UTF-8 编码的文本（字节偏移 {e.start}）"
        ) from None


def parse_toml(path: Path, text: str, error: type[FileError] = PlaybookError) -> dict:
    """TOML text as a dict, or `error` naming the file, the line and the problem."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else None
        problem = re.sub(r" \(at line.*", "", msg)
        raise error(path, line, f"bad TOML: {problem}", zh=f"TOML 格式有误：{problem}") from None


def read_toml(path: Path) -> tuple[dict, TomlLines, bytes]:
    """Parse a TOML file (playbooks, scenarios), or raise PlaybookError naming the file and line."""
    text, raw = read_text(path)
    return parse_toml(path, text), TomlLines(text), raw


def _parse_raw(path: Path) -> tuple[dict, TomlLines, str]:
    data, lines, raw = read_toml(path)
    return data, lines, hashlib.sha256(raw).hexdigest()


@dataclass
class _Draft:
    """A playbook being assembled from one or more files before it is validated and frozen."""

    id: str = ""
    title: str = ""
    language: str = ""
    stages: dict[str, dict] = field(default_factory=dict)
    intents: dict[str, dict] = field(default_factory=dict)
    chatter: list[str] = field(default_factory=list)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)


def _merge_file(draft: _Draft, path: Path, *, base: bool) -> None:
    data, lines, digest = _parse_raw(path)
    draft.sources.append(str(path))
    draft.digests.append(digest)
    if base and not isinstance(data.get("title"), str):
        raise PlaybookError(path, 1, "missing required key 'title'", zh="缺少必填的 'title'（标题）")
    for key in ("title", "language", "id"):
        if key in data:
            if not isinstance(data[key], str) or not data[key].strip():
                raise PlaybookError(
                    path,
                    lines.key_in_block(0, key),
                    f"'{key}' must be a non-empty string",
                    zh=f"'{key}' 必须是非空的字符串",
                )
            setattr(draft, key, data[key].strip())
    if not draft.id:
        draft.id = path.stem

    if "extends" in data and not isinstance(data["extends"], bool):
        raise PlaybookError(
            path,
            lines.key_in_block(0, "extends"),
            "'extends' must be true or false",
            zh="'extends' 只能是 true 或 false",
        )
    for kind, store in (("stage", draft.stages), ("intent", draft.intents)):
        items = data.get(kind, [])
        heads = lines.headers(kind)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise PlaybookError(
                path,
                lines.key_in_block(0, kind),
                f"'{kind}' must be written as [[{kind}]] tables",
                zh=f"'{kind}' 要写成 [[{kind}]] 表",
            )
        seen: set[str] = set()
        for n, item in enumerate(items):
            line = heads[n] if n < len(heads) else None
            iid = item.get("id")
            if not isinstance(iid, str) or not iid.strip():
                raise PlaybookError(path, line, f"[[{kind}]] without an 'id'", zh=f"[[{kind}]] 缺少 'id'")
            if iid in seen:
                raise PlaybookError(
                    path,
                    lines.key_in_block(line, "id"),
                    f"duplicate {kind} id '{iid}'",
                    zh=f"{kind} 的 id '{iid}' 重复了",
                )
            seen.add(iid)
            entry = dict(store.get(iid, {}))
            entry.update(item)
            entry["_where"] = (path, line, lines)
            store[iid] = entry

    chatter = data.get("chatter", {})
    if not isinstance(chatter, dict):
        raise PlaybookError(
            path,
            lines.key_in_block(0, "chatter"),
            "[chatter] must be a table with examples = [...]",
            zh="[chatter] 必须是带 examples = [...] 的表",
        )
    if chatter:
        line = lines.key_in_block(0, "examples")
        draft.chatter.extend(_str_list(path, line, chatter.get("examples", []), "[chatter] examples"))
    syn = data.get("synonyms", {})
    if not isinstance(syn, dict):
        raise PlaybookError(
            path,
            None,
            "[synonyms] must be a table of canonical = [variants]",
            zh="[synonyms] 必须是“标准词 = [变体, ...]”的表",
        )
    for canonical, variants in syn.items():
        draft.synonyms[canonical] = _str_list(path, None, variants, f"synonyms for '{canonical}'")


def _freeze_stage(sid: str, d: dict) -> Stage:
    path, line, lines = d["_where"]
    title = d.get("title")
    if not isinstance(title, str) or not title.strip():
        raise PlaybookError(path, line, f"stage '{sid}' has no title", zh=f"阶段 '{sid}' 没有标题（title）")
    points = _str_list(path, lines.key_in_block(line, "points"), d.get("points", []), f"stage '{sid}' points")
    for p in points:
        check_text(path, lines.key_in_block(line, "points"), p, f"stage '{sid}'")
    return Stage(sid, title.strip(), points)


def _freeze_intent(iid: str, d: dict) -> Intent:
    path, line, lines = d["_where"]
    at = lambda key: lines.key_in_block(line, key)  # noqa: E731 - a tiny local helper
    title = d.get("title", iid)
    if not isinstance(title, str):
        raise PlaybookError(
            path, at("title"), f"intent '{iid}': title must be a string", zh=f"应对 '{iid}'：title 必须是字符串"
        )
    if "examples" not in d:
        raise PlaybookError(path, line, f"intent '{iid}' has no examples", zh=f"应对 '{iid}' 没有 examples（示例说法）")
    examples = _str_list(path, at("examples"), d["examples"], f"intent '{iid}' examples")
    if not examples:
        raise PlaybookError(
            path,
            at("examples"),
            f"intent '{iid}' has empty examples (at least one is needed)",
            zh=f"应对 '{iid}' 的 examples 是空的（至少要有一条）",
        )
    answer = d.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        raise PlaybookError(path, line, f"intent '{iid}' has no answer", zh=f"应对 '{iid}' 没有 answer（建议回答）")
    check_text(path, at("answer"), answer, f"intent '{iid}'")
    alert = d.get("alert")
    if alert is not None and (not isinstance(alert, str) or not alert.strip()):
        raise PlaybookError(
            path,
            at("alert"),
            f"intent '{iid}': alert must be a non-empty string",
            zh=f"应对 '{iid}'：alert 必须是非空的字符串",
        )
    rule = d.get("rule")
    if rule is not None and not isinstance(rule, str):
        raise PlaybookError(
            path, at("rule"), f"intent '{iid}': rule must be a string", zh=f"应对 '{iid}'：rule 必须是字符串"
        )
    keywords = _str_list(path, at("keywords"), d.get("keywords", []), f"intent '{iid}' keywords")
    follow_up = _str_list(path, at("follow_up"), d.get("follow_up", []), f"intent '{iid}' follow_up")
    for f in follow_up:
        check_text(path, at("follow_up"), f, f"intent '{iid}'")
    return Intent(iid, title.strip(), examples, answer.strip(), alert, rule, keywords, follow_up)


def bundled_path(language: str = DEFAULT_LANGUAGE, origin: str | None = None) -> Path:
    """The bundled playbook for a language tag (zh-CN, en-US, or just zh / en). `origin` names where the
    language came from in the error for a language without one (default `--lang LANGUAGE`)."""
    folder = locations.bundled_playbooks_dir()
    exact = folder / f"{language}.toml"
    if exact.exists():
        return exact
    for p in sorted(folder.glob("*.toml")):
        if p.stem.split("-")[0].lower() == language.split("-")[0].lower():
            return p
    known = ", ".join(sorted(p.stem for p in folder.glob("*.toml")))
    raise PlaybookError(
        origin or f"--lang {language}",
        None,
        f"no bundled playbook for language '{language}' (bundled: {known}; give your own with --playbook)",
        zh=f"没有 '{language}' 语言的内置话术（内置的有：{known}；也可以用 --playbook 指定自己的话术文件）",
    )


def _language_of(path: Path) -> str | None:
    data, _, _ = read_toml(path)
    lang = data.get("language")
    return lang if isinstance(lang, str) else None


def load(
    path: Path | str | None = None,
    *,
    language: str | None = None,
    user_overrides: bool = True,
    origin: str | None = None,
) -> Playbook:
    """Load a playbook: the bundled one for the language, the user's config-dir file, then PATH on top.

    `origin` names where `language` came from, for the error when nothing is bundled for it (default --lang).

    PATH is merged over the bundled playbook of its language (intents and stages override by id);
    a file whose language has no bundled playbook stands alone. `extends = false` in PATH also stands alone.
    """
    layers: list[tuple[Path, bool]] = []  # (file, required)
    if path is not None:
        path = Path(path)
        data, _, _ = read_toml(path)
        # A 'language' or 'extends' of the wrong type is reported when the file is merged (_merge_file).
        own = data.get("language")
        lang = (own if isinstance(own, str) else None) or language or DEFAULT_LANGUAGE
        standalone = data.get("extends", True) is False
        if not standalone:
            try:
                base: Path | None = bundled_path(lang)
            except PlaybookError:
                base = None
            if base is not None and base.resolve() != path.resolve():
                layers.append((base, True))
            if user_overrides:
                layers.append((locations.user_playbook_path(lang), False))
        layers.append((path, True))
    else:
        lang = language or DEFAULT_LANGUAGE
        layers.append((bundled_path(lang, origin), True))
        if user_overrides:
            layers.append((locations.user_playbook_path(lang), False))
    files = [p for p, required in layers if required or p.exists()]

    draft = _Draft()
    for i, layer in enumerate(files):
        _merge_file(draft, layer, base=i == 0)
    if not draft.language:
        draft.language = lang
    stages = tuple(_freeze_stage(k, v) for k, v in draft.stages.items())
    intents = tuple(_freeze_intent(k, v) for k, v in draft.intents.items())
    if not intents:
        raise PlaybookError(files[-1], None, "no [[intent]] tables", zh="没有任何 [[intent]]（应对）表")
    digest = (
        draft.digests[0] if len(draft.digests) == 1 else hashlib.sha256("".join(draft.digests).encode()).hexdigest()
    )
    return Playbook(
        id=draft.id,
        title=draft.title,
        language=draft.language,
        stages=stages,
        intents=intents,
        chatter=tuple(dict.fromkeys(draft.chatter)),
        synonyms=dict(draft.synonyms),
        sources=tuple(draft.sources),
        sha256=digest,
    )


class _Filler(dict):
    """Leaves unknown or missing placeholders visible as {name} instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: Mapping[str, object]) -> str:
    """Fill {placeholders} with the user's numbers; missing ones stay visible."""
    try:
        return string.Formatter().vformat(text, (), _Filler({k: v for k, v in values.items() if v is not None}))
    except (ValueError, IndexError):
        return text

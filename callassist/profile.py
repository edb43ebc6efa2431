"""The user's own numbers (a small TOML file in the config dir) and the placeholder values made from them."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import tomli_w

from callassist import locations
from callassist.dates import looks_like_date, parse_date
from callassist.errors import CallassistError
from callassist.plan import PERCENT, PlanError, check_value, make_plan, money, read_number


class ProfileError(CallassistError):
    """A profile file or value that cannot be used."""


@dataclass(frozen=True)
class Profile:
    """What the talking points need to know about the user's situation."""

    name: str = ""
    """How the agent addresses the user."""
    lender: str = ""
    """The lender or platform (借呗, 微粒贷, ...)."""
    debt: float | None = None
    """Total owed now."""
    apr: float | None = None
    """Annual rate in percent; 0 means interest stopped (停息挂账)."""
    periods: int | None = None
    """Number of monthly periods the user proposes."""
    income: float | None = None
    """Net monthly income."""
    cap: float = 0.3
    """Share of income that can go to this debt each month."""
    hardship: str = ""
    """The reason for falling behind, in the user's words."""
    first_due: str = ""
    """Proposed first due date."""


_NUMERIC = ("debt", "apr", "income", "cap", "periods")


def _default(key: str) -> object:
    return next(f.default for f in fields(Profile) if f.name == key)


def _coerce(key: str, value: object, where: str) -> object:
    """One value for `key`, checked: numbers with the planner's own rules (plan.check_value). An empty value is the
    key's default (no value; 0.3 for cap)."""
    names = {f.name for f in fields(Profile)}
    if key not in names:
        known = ", ".join(sorted(names))
        raise ProfileError(
            f"{where}: unknown profile key '{key}' (known: {known})",
            zh=f"{where}：个人资料里没有 '{key}' 这一项（可用的有：{known}）",
        )
    if key in _NUMERIC:
        if value in ("", None):
            return _default(key)
        try:
            if isinstance(value, bool):
                raise TypeError
            # --set debt=4,200 / $4,200 / apr=18% / cap=30%, as the numbers form takes them
            num = read_number(value, PERCENT.get(key, "")) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ProfileError(
                f"{where}: '{key}' must be a number, got {value!r}", zh=f"{where}：'{key}' 必须是数字，现在是 {value!r}"
            ) from None
        try:
            check_value(key, num, f"'{key}'")
        except PlanError as e:
            raise ProfileError(f"{where}: {e}", zh=f"{where}：{e.zh}") from None
        return int(num) if key == "periods" else num
    text = "" if value is None else str(value)
    if key == "first_due":
        check_first_due(text, where)
    return text


def check_first_due(text: str, where: str = "", name: str = "'first_due'") -> None:
    """Raise ProfileError if `text` is written as a date (2026-12-15, 12月15日) that does not exist; other text is
    free (下月15日). `where` and `name` start the message (the command line names the option and key, the app the
    field's label)."""
    if not looks_like_date(text) or parse_date(text) is not None:
        return
    raise ProfileError(
        f"{where}: {name} is a date that does not exist: {text!r}"
        if where
        else f"{name} is a date that does not exist: {text!r}",
        zh=f"{where}：{name} 写的日期不存在：{text!r}" if where else f"{name} 写的日期不存在：{text!r}",
    )


def read(path: Path | None = None) -> dict[str, object]:
    """The profile file's table as written, unchecked ({} when there is no file)."""
    from callassist.record.paths import os_problem, os_problem_zh

    path = path or locations.profile_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ProfileError(
            f"{path}: cannot read: {os_problem(e)}", zh=f"{path}：无法读取：{os_problem_zh(e)}"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProfileError(
            f"{path}: not UTF-8 text (byte {e.start})", zh=f"{path}：不是 UTF-8 编码的文本（字节偏移 {e.start}）"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{path}: bad TOML: {e}", zh=f"{path}：TOML 格式有误：{e}") from None


def _from_data(data: dict[str, object], where: str) -> Profile:
    return Profile(**{k: _coerce(k, v, where) for k, v in data.items()})  # type: ignore[arg-type]


def load(path: Path | None = None) -> Profile:
    """Read the profile; a missing file is an empty profile. A value the planner would refuse raises ProfileError
    naming the file and the key."""
    path = path or locations.profile_path()
    return _from_data(read(path), str(path))


def save(profile: Profile, path: Path | None = None) -> Path:
    """Write the profile atomically, readable only by the user."""
    path = path or locations.profile_path()
    data = {k: v for k, v in asdict(profile).items() if v not in (None, "")}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        tomli_w.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def _assignments(assignments: Sequence[str], unset: Sequence[str] = ()) -> dict[str, object]:
    """KEY=VALUE assignments (--set) and KEYs to clear (--unset), checked; errors name the option they came from."""
    out: dict[str, object] = {}
    for a in assignments:
        if "=" not in a:
            raise ProfileError(
                f"--set expects KEY=VALUE, got {a!r}", zh=f"--set 的写法是 键=值（KEY=VALUE），现在是 {a!r}"
            )
        k, v = a.split("=", 1)
        out[k.strip()] = _coerce(k.strip(), v.strip(), "--set")
    for k in unset:
        if "=" in k:
            raise ProfileError(
                f"--unset expects KEY (no value), got {k!r}", zh=f"--unset 只写项名（不带值），现在是 {k!r}"
            )
        out[k.strip()] = _coerce(k.strip(), "", "--unset")
    return out


def updated(profile: Profile, assignments: list[str]) -> Profile:
    """Apply KEY=VALUE assignments (an empty value clears the key)."""
    return replace(profile, **_assignments(assignments))  # type: ignore[arg-type]


def updated_file(path: Path, assignments: Sequence[str], unset: Sequence[str] = ()) -> Profile:
    """The profile in `path` with KEY=VALUE assignments applied and the `unset` keys cleared (nothing is written).
    A value being set replaces the file's, so `--set` can repair a bad value, and `unset` also takes out keys the
    profile does not know; a bad value left in the file raises ProfileError naming the file."""
    data = read(path)
    # A key the profile does not know can still be taken out of the file (a typo made in an editor).
    names = {f.name for f in fields(Profile)}
    stray = {k.strip() for k in unset if k.strip() in data and k.strip() not in names}
    new = _assignments(assignments, [k for k in unset if k.strip() not in stray])
    data = {k: v for k, v in data.items() if k not in new and k not in stray}
    return replace(_from_data(data, str(path)), **new)  # type: ignore[arg-type]


def values(profile: Profile) -> dict[str, str]:
    """Placeholder values for playbook text; keys without a value are left out (they stay visible as {key})."""
    out: dict[str, str] = {}
    for key in ("name", "lender", "hardship", "first_due"):
        v = getattr(profile, key)
        if v:
            out[key] = v
    if profile.debt:
        out["debt"] = money(profile.debt)
    if profile.apr is not None:
        out["apr"] = f"{profile.apr:g}"
    if profile.periods:
        out["periods"] = str(profile.periods)
    if profile.income:
        out["income"] = money(profile.income)
        out["affordable"] = money(profile.income * profile.cap)
    if profile.debt and profile.periods:
        try:
            out["monthly"] = money(make_plan(profile.debt, profile.apr or 0.0, profile.periods).monthly)
        except PlanError:
            pass  # shown as {monthly}; `callassist profile` reports the bad number
    return out

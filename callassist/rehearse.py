"""Rehearsal core (no UI): TOML scenarios of a simulated agent, feedback on each reply, and a scored report."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from callassist import locations
from callassist.coach import PITFALLS, POINTS, Numbers, Pitfall, point_weights, read_reply
from callassist.playbook import Playbook, PlaybookError, TomlLines, check_text, fill, placeholders, read_toml
from callassist.profile import Profile, ProfileError, updated
from callassist.profile import values as profile_values

ACTS = ("agree", "refuse", "question", "silent")
BRANCH_KEYS = frozenset({*POINTS, *PITFALLS, *ACTS, "pitfall", "default"})
"""What a [turn.next] table may branch on: a point covered, a pitfall, what the reply does, or default."""

DEFAULT_GOALS = ("willing", "hardship", "plan", "written", "agent_id")
PENALTY = {
    "no_money": 10,
    "angry": 10,
    "agree_large_payment": 15,
    "over_promise": 15,
    "give_contacts": 15,
    "private_account": 20,
    "bank_details": 15,
    "pay_fee": 15,
    "borrow_to_repay": 10,
}
"""Points taken off the score for each pitfall a reply falls into."""
COVER_MAX, CALM_MAX, CLEAN_MAX = 60, 20, 20
MAX_REPLIES = 60  # a scenario with a loop still ends
SKIP_STAGES = frozenset({"prepare"})
"""Stages whose points are homework before the call, not things to say in it."""

_TOP_KEYS = frozenset({"id", "title", "language", "playbook", "description", "direction", "goals", "profile", "turn"})
DIRECTIONS = ("outgoing", "incoming")
_TURN_KEYS = frozenset({"id", "agent", "intent", "next", "end", "tip"})


class ScenarioError(PlaybookError):
    """A scenario file that cannot be used; the message names file, line and problem."""


@dataclass(frozen=True)
class Turn:
    """One line of the simulated agent and where the conversation goes after the user's reply."""

    id: str
    agent: str
    intent: str | None = None
    next: tuple[tuple[str, str], ...] = ()
    """(reply category, turn id) in the order written: the first category the reply shows wins."""
    end: bool = False
    tip: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Scenario:
    """A rehearsal script: who the agent is, the turns, and the talking points the user should get in."""

    id: str
    title: str
    language: str
    playbook: str
    description: str
    turns: tuple[Turn, ...]
    goals: tuple[str, ...] = DEFAULT_GOALS
    profile: Profile = field(default_factory=Profile)
    """Practice numbers, used when the user has no profile of their own."""
    direction: str = "outgoing"
    """Who placed the call: outgoing (the user phones the lender) or incoming (a collector phones)."""
    path: str = ""

    def turn(self, turn_id: str) -> Turn:
        """The turn with this id (KeyError if none)."""
        for t in self.turns:
            if t.id == turn_id:
                return t
        raise KeyError(turn_id)

    @property
    def lang(self) -> str:
        """'zh' or 'en'."""
        return self.language.split("-")[0].lower()

    def following(self, turn_id: str) -> Turn | None:
        """The turn written after this one, if any."""
        ids = [t.id for t in self.turns]
        i = ids.index(turn_id)
        return self.turns[i + 1] if i + 1 < len(self.turns) else None

    def successors(self, turn: Turn) -> list[str]:
        """Turn ids the conversation can go to after this turn."""
        if turn.end:
            return []
        out = [tid for _, tid in turn.next]
        if "default" not in dict(turn.next):
            nxt = self.following(turn.id)
            if nxt is not None:
                out.append(nxt.id)
        return out


# --------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------


def scenarios_dir() -> Path:
    """The scenarios shipped with the package."""
    return locations.bundled_playbooks_dir() / "scenarios"


def user_scenarios_dir() -> Path:
    """The user's own scenarios (config dir); read when it exists."""
    return locations.config_dir() / "scenarios"


def _next_header(lines: TomlLines, turn_line: int | None) -> int | None:
    if turn_line is None:
        return None
    for i in range(turn_line, len(lines.lines)):
        ln = lines.lines[i]
        if re.match(r"^\s*\[\[\s*turn\s*\]\]", ln):
            return None
        if re.match(r"^\s*\[\s*turn\s*\.\s*next\s*\]", ln):
            return i + 1
    return None


def _table_line(lines: TomlLines, name: str) -> int | None:
    pat = re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]")
    return next((i + 1 for i, ln in enumerate(lines.lines) if pat.match(ln)), None)


def _str(path: Path, line: int | None, value: object, what: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ScenarioError(path, line, f"{what} must be a non-empty string", zh=f"{what} 必须是非空的文字")
    return value.strip()


def _profile(path: Path, line: int | None, table: object) -> Profile:
    if table is None:
        return Profile()
    if not isinstance(table, dict):
        raise ScenarioError(
            path, line, "[profile] must be a table of practice numbers", zh="[profile] 必须是一张练习用数字的表"
        )
    try:
        return updated(Profile(), [f"{k}={v}" for k, v in table.items()])
    except ProfileError as e:
        zh = f"[profile]：{(e.zh or str(e)).removeprefix('--set：')}"
        raise ScenarioError(path, line, f"[profile]: {str(e).removeprefix('--set: ')}", zh=zh) from None


# What a computed placeholder needs in [profile], in English and Chinese.
_NEEDS = {"monthly": ("debt and periods", "debt 和 periods"), "affordable": ("income", "income")}


def _check_practice_values(path: Path, line: int | None, agent: str, tid: str, practice: Mapping[str, str]) -> None:
    """An agent line may only use placeholders the scenario's [profile] gives a practice value for: a user whose
    profile lacks one then still hears a whole sentence."""
    for name in dict.fromkeys(n for n in placeholders(agent) if n):
        if name not in practice:
            give, give_zh = _NEEDS.get(name, (name, name))
            raise ScenarioError(
                path,
                line,
                f"turn '{tid}': no practice value for {{{name}}} (give {give} in [profile])",
                zh=f"turn '{tid}'：{{{name}}} 没有练习用的值（请在 [profile] 里给出 {give_zh}）",
            )


def load_scenario(path: Path | str) -> Scenario:
    """Read and check one scenario file; errors name the file, the line and the problem."""
    path = Path(path)
    try:
        data, lines, _ = read_toml(path)
    except PlaybookError as e:
        raise ScenarioError(e.path, e.line, e.problem, zh=e.problem_zh) from None
    top = lambda key: lines.key_in_block(0, key)  # noqa: E731 - a tiny local helper
    for key in data:
        if key not in _TOP_KEYS:
            known = ", ".join(sorted(_TOP_KEYS))
            raise ScenarioError(
                path, top(key), f"unknown key '{key}' (known: {known})", zh=f"没有 '{key}' 这一项（可用的有：{known}）"
            )
    title = _str(path, top("title") or 1, data.get("title"), "'title'")
    language = _str(path, top("language") or 1, data.get("language"), "'language'")
    sid = _str(path, top("id"), data.get("id", path.stem), "'id'")
    playbook = _str(path, top("playbook"), data.get("playbook", language), "'playbook'")
    description = _str(path, top("description"), data.get("description"), "'description'", required=False)
    direction = data.get("direction", "outgoing")
    if direction not in DIRECTIONS:
        raise ScenarioError(
            path,
            top("direction"),
            f"'direction' must be one of {', '.join(DIRECTIONS)}",
            zh=f"'direction' 只能是 {'、'.join(DIRECTIONS)} 之一",
        )
    goals_raw = data.get("goals", list(DEFAULT_GOALS))
    if not isinstance(goals_raw, list) or not all(isinstance(g, str) for g in goals_raw):
        raise ScenarioError(
            path, top("goals"), "'goals' must be a list of talking-point kinds", zh="'goals' 必须是谈话要点种类的列表"
        )
    for g in goals_raw:
        if g not in POINTS:
            known = ", ".join(POINTS)
            raise ScenarioError(
                path,
                top("goals"),
                f"unknown goal '{g}' (known: {known})",
                zh=f"没有 '{g}' 这个目标（可用的有：{known}）",
            )
    prof = _profile(path, _table_line(lines, "profile"), data.get("profile"))
    practice = profile_values(prof)

    raw_turns = data.get("turn")
    heads = lines.headers("turn")
    if not isinstance(raw_turns, list) or not raw_turns:
        raise ScenarioError(
            path,
            None,
            "no [[turn]] tables (a scenario needs at least one agent line)",
            zh="没有 [[turn]] 表（场景至少要有一句对方的话）",
        )
    turns: list[Turn] = []
    seen: set[str] = set()
    for n, item in enumerate(raw_turns):
        line = heads[n] if n < len(heads) else None
        at = lambda key, line=line: lines.key_in_block(line, key)  # noqa: E731
        for key in item:
            if key not in _TURN_KEYS:
                known = ", ".join(sorted(_TURN_KEYS))
                raise ScenarioError(
                    path,
                    at(key),
                    f"[[turn]]: unknown key '{key}' (known: {known})",
                    zh=f"[[turn]]：没有 '{key}' 这一项（可用的有：{known}）",
                )
        tid = item.get("id")
        if not isinstance(tid, str) or not tid.strip():
            raise ScenarioError(path, line, "[[turn]] without an 'id'", zh="[[turn]] 缺少 'id'")
        tid = tid.strip()
        if tid in seen:
            raise ScenarioError(path, at("id"), f"duplicate turn id '{tid}'", zh=f"turn id '{tid}' 重复了")
        seen.add(tid)
        agent = _str(path, at("agent") if "agent" in item else line, item.get("agent"), f"turn '{tid}': 'agent'")
        try:
            check_text(path, at("agent"), agent, f"turn '{tid}'")
        except PlaybookError as e:
            raise ScenarioError(e.path, e.line, e.problem, zh=e.problem_zh) from None
        _check_practice_values(path, at("agent"), agent, tid, practice)
        intent = item.get("intent")
        if intent is not None:
            intent = _str(path, at("intent"), intent, f"turn '{tid}': 'intent'")
        end = item.get("end", False)
        if not isinstance(end, bool):
            raise ScenarioError(
                path,
                at("end"),
                f"turn '{tid}': 'end' must be true or false",
                zh=f"turn '{tid}'：'end' 只能是 true 或 false",
            )
        tip = _str(path, at("tip"), item.get("tip"), f"turn '{tid}': 'tip'", required=False)
        nxt = item.get("next", {})
        nline = _next_header(lines, line) or at("next")
        if not isinstance(nxt, dict):
            raise ScenarioError(
                path,
                nline,
                f"turn '{tid}': 'next' must be a table [turn.next] of category = \"turn id\"",
                zh=f"turn '{tid}'：'next' 必须是 [turn.next] 表，每行写 类别 = \"turn id\"",
            )
        if end and nxt:
            raise ScenarioError(
                path,
                nline,
                f"turn '{tid}' has end = true and a [turn.next] table; an end turn has no next",
                zh=f"turn '{tid}' 既有 end = true 又有 [turn.next] 表；结束的一轮不能再有下一轮",
            )
        branches: list[tuple[str, str]] = []
        for cat, target in nxt.items():
            kline = lines.key_in_block(nline, cat) if nline else None
            if cat not in BRANCH_KEYS:
                known = ", ".join(sorted(BRANCH_KEYS))
                raise ScenarioError(
                    path,
                    kline,
                    f"turn '{tid}': unknown reply category '{cat}' (known: {known})",
                    zh=f"turn '{tid}'：没有 '{cat}' 这种回答类别（可用的有：{known}）",
                )
            if not isinstance(target, str) or not target.strip():
                raise ScenarioError(
                    path,
                    kline,
                    f"turn '{tid}': next.{cat} must be a turn id",
                    zh=f"turn '{tid}'：next.{cat} 必须是一个 turn id",
                )
            branches.append((cat, target.strip()))
        turns.append(Turn(tid, agent, intent, tuple(branches), end, tip, line))

    scenario = Scenario(
        sid, title, language, playbook, description, tuple(turns), tuple(goals_raw), prof, direction, str(path)
    )
    _check_graph(scenario, path)
    return scenario


def _check_graph(sc: Scenario, path: Path) -> None:
    ids = {t.id for t in sc.turns}
    for t in sc.turns:
        for cat, target in t.next:
            if target not in ids:
                raise ScenarioError(
                    path,
                    t.line,
                    f"turn '{t.id}': next.{cat} = '{target}' is not a turn id",
                    zh=f"turn '{t.id}'：next.{cat} = '{target}' 不是任何一轮的 id",
                )
    reached = {sc.turns[0].id}
    todo = [sc.turns[0]]
    while todo:
        for tid in sc.successors(todo.pop()):
            if tid not in reached:
                reached.add(tid)
                todo.append(sc.turn(tid))
    for t in sc.turns:
        if t.id not in reached:
            raise ScenarioError(
                path,
                t.line,
                f"turn '{t.id}' can never be reached from the first turn",
                zh=f"从第一轮出发永远走不到 turn '{t.id}'",
            )
    # Every turn must be able to reach an ending (an end turn or a last turn with nowhere to go).
    can_end = {t.id for t in sc.turns if not sc.successors(t)}
    changed = True
    while changed:
        changed = False
        for t in sc.turns:
            if t.id not in can_end and any(s in can_end for s in sc.successors(t)):
                can_end.add(t.id)
                changed = True
    for t in sc.turns:
        if t.id not in can_end:
            raise ScenarioError(
                path,
                t.line,
                f"turn '{t.id}' loops forever: no path from it reaches an end turn",
                zh=f"turn '{t.id}' 会无限循环：从它出发走不到结束的一轮",
            )


def load_scenarios(language: str | None = None, folders: Iterable[Path] | None = None) -> list[Scenario]:
    """Bundled scenarios and the user's own, optionally only those of one language (zh, en-US, ...)."""
    folders = list(folders) if folders is not None else [scenarios_dir(), user_scenarios_dir()]
    out: list[Scenario] = []
    seen: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for p in sorted(folder.glob("*.toml")):
            sc = load_scenario(p)
            if sc.id in seen:
                raise ScenarioError(
                    p,
                    None,
                    f"scenario id '{sc.id}' is already used by {seen[sc.id]}",
                    zh=f"场景 id '{sc.id}' 已经被 {seen[sc.id]} 用了",
                )
            seen[sc.id] = str(p)
            if language is None or sc.lang == language.split("-")[0].lower():
                out.append(sc)
    return out


def find_scenario(scenario_id: str, scenarios: Iterable[Scenario] | None = None) -> Scenario:
    """The scenario with this id, or a ScenarioError listing the ids there are."""
    scenarios = list(scenarios) if scenarios is not None else load_scenarios()
    for sc in scenarios:
        if sc.id == scenario_id:
            return sc
    known = ", ".join(sc.id for sc in scenarios) or "none"
    raise ScenarioError(
        "--scenario",
        None,
        f"no scenario '{scenario_id}' (known: {known})",
        zh=f"没有 '{scenario_id}' 这个场景（现有：{'无' if known == 'none' else known}）",
    )


def practice_profile(scenario: Scenario, profile: Profile | None = None) -> Profile:
    """The scenario's practice profile with every value the user's profile has put over it: the user's own values win,
    the scenario supplies the rest (cap goes with income: the user's when the user gave an income)."""
    if profile is None:
        return scenario.profile
    mine = {k: v for k, v in asdict(profile).items() if v not in (None, "") and k != "cap"}
    if profile.income:
        mine["cap"] = profile.cap
    return replace(scenario.profile, **mine)


def practice_values(scenario: Scenario, profile: Profile | None = None) -> dict[str, str]:
    """Placeholder values for a rehearsal: the user's where the profile has them, the scenario's practice values for
    the rest (so no {placeholder} is left in an agent line; load_scenario checks the scenario gives what it uses)."""
    return profile_values(practice_profile(scenario, profile))


def open_session(
    scenario: Scenario,
    playbook: Playbook,
    values: Mapping[str, str],
    *,
    transcripts: str | Path | None = None,
    matcher: Any = None,
) -> Any:
    """Start a record marked rehearsal (a real CallSession) for this scenario."""
    from callassist.record.paths import transcripts_root
    from callassist.session import CallSession

    return CallSession.start(
        transcripts_root(transcripts),
        playbook,
        matcher=matcher,
        values=values,
        lender=values.get("lender", ""),
        direction=scenario.direction,
        mode="rehearsal",
    )


# --------------------------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------------------------


class SessionLike(Protocol):
    """What the engine needs from a record (CallSession has it)."""

    def utterance(self, speaker: str, text: str, *args: Any, **kwargs: Any) -> Any: ...

    def note(self, text: str, *args: Any, **kwargs: Any) -> Any: ...

    def system(self, kind: str, **detail: Any) -> Any: ...


@dataclass(frozen=True)
class PointRef:
    """A talking point of the playbook (filled with the user's numbers)."""

    stage: str
    stage_title: str
    index: int
    text: str


@dataclass(frozen=True)
class Covered:
    """A kind of talking point the reply got in, and the playbook points of that kind."""

    kind: str
    label: str
    points: tuple[PointRef, ...]


@dataclass(frozen=True)
class Suggestion:
    """The prepared answer for the agent's line (placeholders filled) and its alert, if it is one."""

    intent: str
    title: str
    answer: str
    alert: str | None = None
    rule: str | None = None
    follow_up: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feedback:
    """What the coach says about one reply, and where the conversation goes next."""

    turn: str
    agent: str
    reply: str
    covered: tuple[Covered, ...]
    pitfalls: tuple[Pitfall, ...]
    suggestion: Suggestion | None
    categories: tuple[str, ...]
    """Everything the reply showed; [turn.next] branches on these."""
    branch: str
    """The category that chose the next turn ('default' or 'next' for the following turn; 'end')."""
    next_turn: str | None
    calm: bool | None = None
    """For an alert line: whether the reply stayed calm and gave nothing away (None when not an alert)."""
    tips: tuple[str, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        """Ids of the talking-point kinds covered."""
        return tuple(c.kind for c in self.covered)


@dataclass(frozen=True)
class ScorePart:
    """One part of the score and why."""

    key: str
    label: str
    points: float
    max: float
    detail: str


@dataclass(frozen=True)
class Report:
    """The end of a rehearsal: a 0–100 score explained, what was covered and missed, and the pitfalls."""

    scenario: str
    title: str
    lang: str
    score: int
    parts: tuple[ScorePart, ...]
    covered: tuple[str, ...]
    missed: tuple[str, ...]
    pitfalls: tuple[tuple[str, Pitfall], ...]
    """(turn id, pitfall) in the order they happened."""
    alerts: int
    calm: int
    replies: int
    finished: bool
    tips: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """A plain dict for the record's system event."""
        return {
            "scenario": self.scenario,
            "score": self.score,
            "parts": [
                {"key": p.key, "points": round(p.points, 1), "max": p.max, "detail": p.detail} for p in self.parts
            ],
            "covered": list(self.covered),
            "missed": list(self.missed),
            "pitfalls": [{"turn": t, "kind": p.kind, "evidence": p.evidence} for t, p in self.pitfalls],
            "alerts": self.alerts,
            "calm": self.calm,
            "replies": self.replies,
            "finished": self.finished,
        }


_QUOTED_EN = re.compile(r"(?:^|(?<=[\s:(]))['‘“](\S.*?)['’”](?=$|[\s.,;:)])")


def _said_en(point: str) -> str:
    """The words to say in an English talking point: its quoted parts ('I fell behind because ...', Ask: 'What is
    your full name ...'); an apostrophe inside a word (I'm, don't) neither opens nor closes one."""
    return " ".join(m.group(1) for m in _QUOTED_EN.finditer(point))


class Rehearsal:
    """Plays a scenario: shows the agent's line, reads each reply, branches, and scores the run at the end."""

    def __init__(
        self,
        scenario: Scenario,
        playbook: Playbook,
        values: Mapping[str, str] | None = None,
        session: SessionLike | None = None,
        *,
        matcher: Any = None,
    ):
        if scenario.playbook.split("-")[0].lower() != playbook.lang:
            raise ScenarioError(
                scenario.path,
                None,
                f"scenario '{scenario.id}' is for a {scenario.playbook} playbook, not {playbook.language} ({playbook.id})",
                zh=f"场景 '{scenario.id}' 要配 {scenario.playbook} 的话术，不能用 {playbook.language}（{playbook.id}）",
            )
        known = {it.id for it in playbook.intents}
        for t in scenario.turns:
            if t.intent and t.intent not in known:
                raise ScenarioError(
                    scenario.path,
                    t.line,
                    f"turn '{t.id}': intent '{t.intent}' is not in playbook {playbook.id}",
                    zh=f"turn '{t.id}'：话术 {playbook.id} 里没有 intent '{t.intent}'",
                )
        self.scenario = scenario
        self.playbook = playbook
        self.lang = playbook.lang
        self.values: dict[str, str] = dict(values) if values is not None else practice_values(scenario)
        self.numbers = Numbers.from_values(self.values)
        self.session = session
        self.matcher = matcher
        self.history: list[Feedback] = []
        self.finished = False
        self.stopped = False
        self._turn: Turn | None = scenario.turns[0]
        self._matched: dict[str, str | None] = {}
        self._report: Report | None = None
        self._told_push_back = False
        self._points = self._index_points()
        if session is not None:
            session.system("rehearsal-start", scenario=scenario.id, title=scenario.title, language=scenario.language)
        self._announce()

    # -- what the UI shows ------------------------------------------------------------------------------------

    def current_turn(self) -> Turn | None:
        """The agent's turn waiting for a reply (None when finished)."""
        return None if self.finished else self._turn

    def current_line(self) -> str | None:
        """The agent's current line with placeholders filled (None when finished)."""
        t = self.current_turn()
        return fill(t.agent, self.values) if t else None

    def hint(self) -> Suggestion | None:
        """The prepared answer for the current line, to peek at before replying."""
        t = self.current_turn()
        return self._suggestion(t) if t else None

    # -- playing ------------------------------------------------------------------------------------------------

    def reply(self, text: str) -> Feedback:
        """Read the user's reply to the current line, give feedback, and move to the next turn."""
        turn = self.current_turn()
        if turn is None:
            raise RuntimeError("the rehearsal has finished")
        text = text.strip()
        agent = fill(turn.agent, self.values)
        if self.session is not None and text:
            self.session.utterance("me", text)
        reading = read_reply(text, self.lang, self.numbers, agent_line=agent, agent_intent=self._intent_of(turn))
        covered = tuple(Covered(k, POINTS[k].label(self.lang), tuple(self._points.get(k, ()))) for k in reading.kinds)
        cats = [*reading.kinds, *(p.kind for p in reading.pitfalls), *reading.acts]
        if reading.pitfalls:
            cats.append("pitfall")
        suggestion = self._suggestion(turn)
        calm = None
        if suggestion is not None and suggestion.alert:
            calm = bool(text) and not reading.pitfalls
        branch, nxt = self._route(turn, cats)
        tips = [turn.tip] if turn.tip else []
        tips += self._coach_tips(text, reading.kinds, calm)
        fb = Feedback(
            turn=turn.id,
            agent=agent,
            reply=text,
            covered=covered,
            pitfalls=reading.pitfalls,
            suggestion=suggestion,
            categories=tuple(dict.fromkeys(cats)),
            branch=branch,
            next_turn=nxt.id if nxt else None,
            calm=calm,
            tips=tuple(tips),
        )
        self.history.append(fb)
        if self.session is not None:
            self.session.note("\n".join(t for _, t in feedback_lines(fb, self.lang)))
        if nxt is None or len(self.history) >= MAX_REPLIES:
            self.finished = True
        else:
            self._turn = nxt
            self._announce()
        return fb

    def stop(self) -> None:
        """End early (the user hung up); the report scores what was played."""
        if not self.finished:
            self.stopped = True
            self.finished = True

    def report(self) -> Report:
        """The score and what to work on; journalled once to the session."""
        if self._report is not None:
            return self._report
        rep = score(self.scenario, self.history, self.lang, finished=self.finished and not self.stopped)
        tips = list(rep.tips)
        for k in rep.missed:
            refs = self._points.get(k) or []
            if self.lang != "zh":  # English points mix lines to say ('...') with homework: only the former here
                refs = [ref for ref in refs if k in point_weights(_said_en(ref.text), self.lang)]
            if refs:
                say = "可以这样说" if self.lang == "zh" else "you could say"
                tips.append(f"{POINTS[k].label(self.lang)} — {say}: {refs[0].text}")
            elif self.lang != "zh" and self._points.get(k):
                tips.append(f"{POINTS[k].label(self.lang)} — {POINTS[k].advice(self.lang)}")
        rep = Report(**{**rep.__dict__, "tips": tuple(tips)})
        self._report = rep
        if self.session is not None:
            self.session.system("rehearsal-report", **rep.to_json())
            self.session.note("\n".join(t for _, t in report_lines(rep)))
        return rep

    # -- internals ------------------------------------------------------------------------------------------------

    def _announce(self) -> None:
        t = self._turn
        if t is None or self.session is None:
            return
        result = self.session.utterance("agent", fill(t.agent, self.values))
        match = result[1] if isinstance(result, tuple) and len(result) == 2 else None
        if match is not None and t.id not in self._matched:
            self._matched[t.id] = getattr(match, "intent", None)

    def _intent_of(self, turn: Turn) -> str | None:
        if turn.intent:
            return turn.intent
        if turn.id not in self._matched and self.matcher is not None:
            self._matched[turn.id] = self.matcher.match(fill(turn.agent, self.values)).intent
        return self._matched.get(turn.id)

    def _suggestion(self, turn: Turn) -> Suggestion | None:
        iid = self._intent_of(turn)
        if not iid:
            return None
        it = self.playbook.intent(iid)
        return Suggestion(
            it.id,
            it.title,
            fill(it.answer, self.values),
            it.alert,
            it.rule,
            tuple(fill(f, self.values) for f in it.follow_up),
        )

    def _route(self, turn: Turn, cats: list[str]) -> tuple[str, Turn | None]:
        if turn.end:
            return "end", None
        have = set(cats)
        for cat, target in turn.next:
            if cat != "default" and cat in have:
                return cat, self.scenario.turn(target)
        table = dict(turn.next)
        if "default" in table:
            return "default", self.scenario.turn(table["default"])
        nxt = self.scenario.following(turn.id)
        return ("next", nxt) if nxt else ("end", None)

    def _index_points(self) -> dict[str, list[PointRef]]:
        """Talking points by kind, the most specific first (homework stages left out)."""
        found: dict[str, list[tuple[int, int, PointRef]]] = {}
        order = 0
        for st in self.playbook.stages:
            if st.id in SKIP_STAGES:
                continue
            for i, p in enumerate(st.points):
                order += 1
                for k, strength in point_weights(p, self.lang).items():
                    found.setdefault(k, []).append(
                        (-strength, order, PointRef(st.id, st.title, i, fill(p, self.values)))
                    )
        return {k: [ref for *_, ref in sorted(v, key=lambda x: x[:2])] for k, v in found.items()}

    def _coach_tips(self, text: str, kinds: Iterable[str], calm: bool | None) -> list[str]:
        zh = self.lang == "zh"
        tips = []
        if zh and "waiver" in kinds and "申请" not in text:
            tips.append("提减免时用“我申请……”，请对方登记上报，比“能不能免”更不容易被一口回绝。")
        if calm is True and "push_back" not in kinds and not self._told_push_back:
            self._told_push_back = True
            tips.append(
                "保持冷静很好；还可以点明对方的做法违规并要求停止。"
                if zh
                else "Calm is good; you can also name the rule and ask them to stop."
            )
        return tips


def score(scenario: Scenario, history: list[Feedback], lang: str, *, finished: bool) -> Report:
    """Score a run: talking points covered (60), alert lines handled calmly (20), pitfalls avoided (20 less penalties)."""
    zh = lang == "zh"
    covered = tuple(dict.fromkeys(k for fb in history for k in fb.kinds))
    goals = scenario.goals or DEFAULT_GOALS
    got = [g for g in goals if g in covered]
    missed = tuple(g for g in goals if g not in covered)
    replies = sum(1 for fb in history if fb.reply)
    cover_pts = COVER_MAX * len(got) / len(goals)
    alert_fbs = [fb for fb in history if fb.calm is not None]
    calm = sum(1 for fb in alert_fbs if fb.calm)
    if not replies:
        calm_pts = 0.0
    elif alert_fbs:
        calm_pts = CALM_MAX * calm / len(alert_fbs)
    else:
        calm_pts = float(CALM_MAX)
    pits = tuple((fb.turn, p) for fb in history for p in fb.pitfalls)
    penalty = sum(PENALTY[p.kind] for _, p in pits)
    clean_pts = float(CLEAN_MAX - penalty) if replies else 0.0
    total = int(round(max(0.0, min(100.0, cover_pts + calm_pts + clean_pts))))

    def labels(kinds: Iterable[str]) -> str:
        return ("、" if zh else ", ").join(POINTS[k].label(lang) for k in kinds) or ("无" if zh else "none")

    parts = (
        ScorePart(
            "points",
            "要点覆盖" if zh else "talking points",
            cover_pts,
            COVER_MAX,
            (f"{len(got)}/{len(goals)}：" if zh else f"{len(got)}/{len(goals)}: ") + labels(got),
        ),
        ScorePart(
            "alerts",
            "冷静应对越界" if zh else "alerts handled calmly",
            calm_pts,
            CALM_MAX,
            (f"{calm}/{len(alert_fbs)} 次" if zh else f"{calm}/{len(alert_fbs)} lines")
            if alert_fbs
            else ("本次没有越界话术" if zh else "no alert lines this time"),
        ),
        ScorePart(
            "pitfalls",
            "避开误区" if zh else "pitfalls avoided",
            clean_pts,
            CLEAN_MAX,
            _pitfall_counts(pits, lang) or ("没有踩坑" if zh else "none"),
        ),
    )
    tips = []
    for _, p in pits:
        tip = f"{p.label(lang)}{'：' if zh else ': '}{p.advice(lang)}"
        if tip not in tips:
            tips.append(tip)
    return Report(
        scenario=scenario.id,
        title=scenario.title,
        lang=lang,
        score=total,
        parts=parts,
        covered=covered,
        missed=missed,
        pitfalls=pits,
        alerts=len(alert_fbs),
        calm=calm,
        replies=replies,
        finished=finished,
        tips=tuple(tips),
    )


def _pitfall_counts(pits: tuple, lang: str) -> str:
    """Each kind of pitfall once, in the order first made, with its penalty and how many times (×3)."""
    counts = Counter(p.kind for _, p in pits)
    return ("、" if lang == "zh" else ", ").join(
        f"{PITFALLS[k].label(lang)} −{PENALTY[k]}" + (f" ×{n}" if n > 1 else "") for k, n in counts.items()
    )


# --------------------------------------------------------------------------------------------------------------
# Text for people (the CLI prints it; the record keeps it as notes)
# --------------------------------------------------------------------------------------------------------------


def feedback_lines(fb: Feedback, lang: str) -> list[tuple[str, str]]:
    """Feedback as (tag, text) lines; tags: covered, pitfall, alert, answer, tip."""
    zh = lang == "zh"
    out: list[tuple[str, str]] = []
    if fb.covered:
        for c in fb.covered:
            where = (f"（{c.points[0].stage_title}）" if zh else f" ({c.points[0].stage_title})") if c.points else ""
            out.append(("covered", f"✓ {c.label}{where}"))
    elif fb.reply and fb.branch != "end":
        out.append(("tip", "这句话没有覆盖要点。" if zh else "This reply covered no talking point."))
    for p in fb.pitfalls:
        out.append(("pitfall", f"✗ {p.label(lang)}{'：' if zh else ': '}{p.advice(lang)}"))
    s = fb.suggestion
    if s is not None:
        if s.alert:
            out.append(
                ("alert", f"⚠ {s.alert}" + (f"（{s.rule}）" if zh and s.rule else f" ({s.rule})" if s.rule else ""))
            )
        out.append(("answer", ("建议回答：" if zh else "Suggested answer: ") + s.answer))
    for t in fb.tips:
        out.append(("tip", "· " + t))
    return out


def report_lines(rep: Report) -> list[tuple[str, str]]:
    """The report as (tag, text) lines; tags: title, score, part, missed, pitfall, tip."""
    zh = rep.lang == "zh"
    out: list[tuple[str, str]] = [
        ("title", ("练习报告：" if zh else "Rehearsal report: ") + rep.title),
        (
            "score",
            (f"得分 {rep.score}/100" if zh else f"Score {rep.score}/100")
            + ("" if rep.finished else ("（提前结束）" if zh else " (ended early)")),
        ),
    ]
    for p in rep.parts:
        out.append(("part", f"  {p.label}{'：' if zh else ': '}{p.points:+.0f}/{p.max:.0f} — {p.detail}"))
    if rep.missed:
        sep = "、" if zh else ", "
        out.append(
            (
                "missed",
                ("还没说到：" if zh else "Not covered: ") + sep.join(POINTS[k].label(rep.lang) for k in rep.missed),
            )
        )
    for t in rep.tips:
        out.append(("tip", "· " + t))
    return out


# --------------------------------------------------------------------------------------------------------------
# Speaking the agent's lines
# --------------------------------------------------------------------------------------------------------------

VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}
"""espeak-ng voices: the plain cmn voice misreads Hanzi; cmn-latn-pinyin reads it (see the audio lab notes)."""


def speak(text: str, language: str, *, timeout: float = 60.0) -> str | None:
    """Say a line with espeak-ng; None when it played, else one line saying why not (nothing is raised)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        return "espeak-ng is not installed (apt-get install espeak-ng); lines are shown, not spoken"
    voice = VOICES["zh" if language.lower().startswith("zh") else "en"]
    try:
        proc = subprocess.run([exe, "-v", voice, text], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"espeak-ng took longer than {timeout:g} s; stopped"
    except OSError as e:
        return f"espeak-ng could not start: {e.strerror}"
    errors = [ln for ln in proc.stderr.splitlines() if ln.lower().startswith("error")]
    if proc.returncode != 0 or errors:
        why = errors[-1] if errors else f"exit code {proc.returncode}"
        return f"espeak-ng could not play sound ({why}); is there an audio device?"
    return None

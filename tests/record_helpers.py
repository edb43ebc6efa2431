"""Helpers for the record tests: a tiny playbook, a stand-in matcher, and ready-made records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from callassist.matcher import Match
from callassist.playbook import Intent, Playbook, Stage

CST = timezone(timedelta(hours=8))


def tiny_playbook(language: str = "zh-CN") -> Playbook:
    """Two intents (one with an alert) and two stages."""
    threat = Intent(
        "threat-family",
        "威胁告诉家人",
        ("再不还就告诉你家人",),
        "请不要联系我的家人。",
        alert="以告知家人相威胁",
        rule="个人信息保护法第10条",
    )
    when = Intent("ask-when", "问什么时候还", ("你什么时候还钱",), "我想申请分期。")
    stages = (Stage("open", "开场", ("问对方姓名工号",)), Stage("propose", "提出方案", ("分 {periods} 期",)))
    return Playbook("tiny", "测试话术", language, stages, (threat, when), sha256="0" * 64)


class StubMatcher:
    """Matches by keyword: 家人 → threat-family, 什么时候 → ask-when (fast, no model)."""

    def match(self, text: str) -> Match:
        if "家人" in text or "family" in text:
            return Match(text, "threat-family", 0.9, ())
        if "什么时候" in text:
            return Match(text, "ask-when", 0.7, ())
        return Match(text, None, 0.1, (), None, "no intent is close enough")


def make_record(root: Path, *, lender: str = "借呗", n: int = 5, close: bool = True, **kw) -> Path:
    """A record with agent and user lines, an alert, a note, a bookmark and an agreed term."""
    from callassist.session import CallSession

    kw.setdefault("started_at", datetime(2026, 11, 20, 14, 3, 12, tzinfo=CST))
    s = CallSession.start(root, tiny_playbook(), matcher=StubMatcher(), lender=lender, agent_name="王", **kw)
    s.utterance("agent", "你好，这里是借呗，我姓王，工号 8812")
    s.utterance("me", "我想申请分期，我的手机是 13812345678")
    s.utterance("agent", "再不还就告诉你家人")
    for i in range(n):
        s.utterance("agent" if i % 2 else "me", f"第{i}句：我们谈谈分期还款")
    s.note("对方语气很凶")
    s.bookmark("威胁")
    s.agreed(amount=20000, periods=24, per_period=998.48, first_due="2026-12-15", waived=["罚息"], text="分24期")
    if close:
        s.close()
    else:
        s.journal.close_file()  # as if the process had died: no closing line
    return s.folder

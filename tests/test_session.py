"""CallSession: the core API every front end drives — events, matching, corrections, subscribers, closing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from callassist import playbook as pb
from callassist.matcher import Matcher, Settings
from callassist.record import RecordError, load
from callassist.session import CallSession, ClosedInfo
from tests.record_helpers import CST, StubMatcher, tiny_playbook


@pytest.fixture(scope="module")
def zh():
    """The bundled Chinese playbook and one real matcher for the module (the encoder loads once)."""
    book = pb.load(language="zh-CN", user_overrides=False)
    return book, Matcher(book)


def test_agent_line_is_matched_and_alert_recorded(tmp_path, zh):
    book, matcher = zh
    s = CallSession.start(tmp_path, book, matcher=matcher, lender="借呗", values={"periods": "24", "debt": "20,000.00"})
    ev, m = s.utterance("agent", "再不还我们就打电话给你爸妈")
    assert ev["type"] == "utterance" and ev["speaker"] == "agent" and m is not None and m.intent == "threat-family"
    sug, alert = s.events[1], s.events[2]
    assert sug["type"] == "suggestion" and sug["ref"] == ev["seq"] and sug["intent"] == "threat-family"
    assert 0 < sug["score"] <= 1
    intent = book.intent("threat-family")
    assert alert["type"] == "alert" and alert["alert"] == intent.alert and alert["rule"] == intent.rule
    ev2, m2 = s.utterance("me", "请不要联系我的家人")
    assert m2 is None and s.events[-1] is not None and s.events[-1]["seq"] == ev2["seq"]
    info = s.close()
    rec = load(info.folder)
    assert rec.status == "verified" and rec.header["values"] == {"lender": "借呗", "debt": "20,000.00", "periods": "24"}


def test_every_line_the_agent_crosses_in_one_sentence_is_an_alert(tmp_path, zh):
    book, matcher = zh
    line = "今天不还钱，我们就上门找你，还要通知你全部通讯录联系人和你单位"
    m = matcher.match(line)
    assert m.intent in {"threat-family", "threat-visit", "contacts-request"} and m.also_alerts
    assert m.intent not in m.also_alerts and all(book.intent(i).alert for i in m.also_alerts)
    s = CallSession.start(tmp_path, book, matcher=matcher)
    ev, _ = s.utterance("agent", line)
    alerts = [e for e in s.events if e["type"] == "alert"]
    assert [a["intent"] for a in alerts] == [m.intent, *m.also_alerts] and {a["ref"] for a in alerts} == {ev["seq"]}
    assert "threat-visit" in [a["intent"] for a in alerts]  # 上门 is recorded, not only the first threat
    assert len([e for e in s.events if e["type"] == "suggestion"]) == 1  # one prepared answer on screen
    # a plain line raises one alert or none, never a second one by accident
    assert matcher.match("你这个月的账单是多少").also_alerts == ()
    # a second alert needs a score of its own (Settings.also_alert), above the decision threshold
    strict = Matcher(book, settings=Settings(also_alert=0.99))
    assert strict.match(line).intent == m.intent and strict.match(line).also_alerts == ()
    assert all(c.score >= Settings().also_alert for c in m.candidates if c.intent in m.also_alerts)


def test_unknown_speaker_is_matched_and_partial_is_not_recorded(tmp_path, zh):
    book, matcher = zh
    s = CallSession.start(tmp_path, book, matcher=matcher)
    assert s.partial("agent", "你把钱转到我个人") is not None
    assert s.partial("me", "好的") is None
    assert s.events == []
    _, m = s.utterance("unknown", "你把钱转到我个人微信上")
    assert m.intent is not None and s.events[1]["type"] == "suggestion"
    s.close()


def test_subscribers_hear_only_durable_events(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    journal = s.folder / "journal.jsonl"
    heard = []

    def on_event(ev):
        assert ev["hash"].encode() in journal.read_bytes()  # already on disk
        heard.append(ev["type"])

    unsubscribe = s.subscribe(on_event)
    s.utterance("agent", "再不还就告诉你家人")
    s.note("记一下")
    unsubscribe()
    s.note("没人听")
    assert heard == ["utterance", "suggestion", "alert", "note"]
    s.close()


def test_bookmark_points_at_the_agents_last_line(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    assert s.bookmark()["ref"] is None
    a, _ = s.utterance("agent", "你什么时候还钱")
    s.utterance("me", "下个月")
    b = s.bookmark("关键")
    assert b["ref"] == a["seq"] == s.last_agent_seq and b["label"] == "关键"
    s.close()


def test_agreed_terms_are_structured_and_checked(tmp_path):
    from datetime import date

    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    ev = s.agreed(amount=20000, periods=24, per_period=998.484, first_due=date(2026, 12, 15), waived=["罚息", " "])
    assert (ev["amount"], ev["periods"], ev["per_period"], ev["first_due"], ev["waived"]) == (
        20000.0,
        24,
        998.48,
        "2026-12-15",
        ["罚息"],
    )
    with pytest.raises(ValueError):
        s.agreed(periods=0)
    with pytest.raises(ValueError):
        s.agreed(amount=float("nan"))
    with pytest.raises(ValueError):
        s.agreed()
    s.close()


def test_stage_system_and_bad_input(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    assert s.stage("propose")["title"] == "提出方案" and s.current_stage == "propose"
    with pytest.raises(ValueError, match="no stage"):
        s.stage("nope")
    ev = s.system("device_lost", source="agent", path=Path("/dev/x"), overflows=3)
    assert ev["kind"] == "device_lost" and ev["path"] == "/dev/x" and ev["overflows"] == 3
    with pytest.raises(ValueError):
        s.utterance("boss", "hi")
    with pytest.raises(ValueError):
        s.utterance("me", "   ")
    with pytest.raises(ValueError):
        s.note("")
    s.close()
    with pytest.raises(ValueError):
        CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher(), mode="dream")


def test_speaker_correction_is_a_new_event_and_matches_the_line(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    ev, m = s.utterance("me", "再不还就告诉你家人")  # the recogniser put the agent's words on my channel
    assert m is None and len(s.events) == 1
    fix = s.set_speaker(ev["seq"], "agent")
    assert fix == {**fix, "type": "speaker", "ref": ev["seq"], "speaker": "agent", "was": "me"}
    assert [e["type"] for e in s.events] == ["utterance", "speaker", "suggestion", "alert"]
    assert s.last_agent_seq == ev["seq"]
    with pytest.raises(ValueError):
        s.set_speaker(fix["seq"], "me")  # not an utterance
    info = s.close()
    rec = load(info.folder)
    raw = rec.events[0]
    assert raw["speaker"] == "me"  # the original line is untouched
    assert rec.utterances()[0]["speaker"] == "agent"


def test_close_returns_info_once_and_ends_the_call(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    s.utterance("me", "你好")
    info = s.close()
    assert isinstance(info, ClosedInfo) and info.folder == s.folder and len(info.final_digest) == 64
    assert info.audio_sha256 is None and info.duration >= 0 and s.closed
    assert s.close() is info
    with pytest.raises(RecordError, match="closed"):
        s.note("too late")


def test_context_manager_closes_even_on_error(tmp_path):
    with pytest.raises(KeyError):
        with CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher()) as s:
            s.utterance("me", "你好")
            raise KeyError("boom")
    rec = load(s.folder)
    assert rec.status == "verified" and rec.closing["reason"] == "error: KeyError"


def test_two_threads_share_one_session(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())

    def talk(speaker):
        for i in range(60):
            s.utterance(speaker, f"{speaker} {i} 你什么时候还钱")

    threads = [threading.Thread(target=talk, args=(who,)) for who in ("me", "agent")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    info = s.close()
    rec = load(info.folder)
    assert rec.status == "verified" and rec.count("utterance") == 120 and rec.count("suggestion") == 60
    assert [e["seq"] for e in rec.events] == list(range(1, len(rec.events) + 1))


def test_import_mode_lines_without_time_have_no_time(tmp_path):
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher(), mode="import")
    ev, _ = s.utterance("agent", "你好")
    ev2, _ = s.utterance("agent", "你好", at="2026-11-20T14:03:12+08:00")
    assert ev["at"] is None and ev2["at"] == "2026-11-20T14:03:12.000+08:00"
    assert s.close() and load(s.folder).closing["at"] is not None


def test_english_session(tmp_path):
    book = pb.load(language="en-US", user_overrides=False)
    alert_intent = next(i for i in book.intents if i.alert)
    s = CallSession.start(tmp_path, book, matcher=Matcher(book), lender="Acme Recovery", direction="incoming")
    _, m = s.utterance("agent", alert_intent.examples[0])
    assert m.intent == alert_intent.id and s.events[-1]["type"] == "alert"
    info = s.close()
    assert load(info.folder).language == "en"


def test_core_imports_no_ui_or_audio():
    code = (
        "import sys, json, callassist.session, callassist.record.export, callassist.record.mediation, "
        "callassist.record.index, callassist.record.importer, callassist.record.commands, callassist.record.audio; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    mods = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert [m for m in mods if m.split(".")[0] in ("textual", "vosk", "sounddevice")] == []


def test_close_at_sets_the_closing_time_live_calls_keep_now(tmp_path):
    started = datetime(2026, 11, 20, 14, 3, tzinfo=CST)
    s = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher(), started_at=started)
    s.utterance("me", "你好")
    s.close("imported", at=started + timedelta(minutes=4), measured=False)
    assert load(s.folder).closing["at"].startswith("2026-11-20T14:07:00.000+08:00")
    live = CallSession.start(tmp_path, tiny_playbook(), matcher=StubMatcher())
    before = datetime.now().astimezone()
    live.close()
    at = datetime.fromisoformat(load(live.folder).closing["at"])
    assert abs((at - before).total_seconds()) < 60

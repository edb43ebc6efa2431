"""Real capture: a PulseAudio null sink is the microphone; speech played into it with paplay is captured by
sounddevice through the app's own code path (MicrophoneSource → Recognizer → Listener → CallSession),
recognised, matched and recorded. Also: the device disappears mid-call.
"""

from __future__ import annotations

import time

import pytest

from callassist import playbook as pb
from callassist import record
from callassist.audio import sources as S
from tests.audio_support import KO_LINES, KO_PLAYBOOK, PulseServer, concat, ko_model_path, read_pcm, say

ORDER = ["interest-high", "contact-family", "waive-fees"]


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    """A private PulseAudio server whose default source is the monitor of a null sink; PortAudio rescans."""
    server = PulseServer(tmp_path_factory.mktemp("pulse"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", server.env["HOME"])
        mp.setenv("XDG_RUNTIME_DIR", server.env["XDG_RUNTIME_DIR"])
        server.start()
        try:
            S.rescan_devices()  # PortAudio lists the ALSA 'pulse' device only if the server was up when it scanned
            yield server
        finally:
            server.kill()
            S.rescan_devices()


@pytest.fixture(scope="module")
def model():
    from callassist.audio.models import load_model

    return load_model(ko_model_path())


@pytest.fixture(scope="module")
def book():
    return pb.load(KO_PLAYBOOK)


@pytest.fixture(scope="module")
def matcher(book):
    from callassist.matcher import Matcher

    return Matcher(book)


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    d = tmp_path_factory.mktemp("speech")
    lines = [say(KO_LINES[k][0], d / f"{k}.wav") for k in ORDER]  # 0.5 s of silence before each line
    return {"call": concat(lines, d / "call.wav"), "first": lines[0]}


def listen(session, model, book, on_status=None, **kw):
    from callassist.audio.live import Listener
    from callassist.audio.recognizer import grammar_for_playbook

    heard: list = []
    src = S.MicrophoneSource("pulse", speaker=S.AGENT, name=S.AGENT)
    listener = Listener(
        session,
        model,
        [src],
        grammar=grammar_for_playbook(model, book),
        on_partial=lambda u, m: heard.append((u, m)),
        on_final=lambda u, ev, m: heard.append((u, m)),
        on_status=on_status,
        **kw,
    )
    return listener.start(), heard


def wait_for(cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_devices_lists_the_virtual_microphone(pulse, capsys):
    from callassist.cli import main

    assert main(["devices"]) == 0
    assert "pulse" in capsys.readouterr().out


def test_played_speech_is_captured_exactly_recognised_and_recorded(pulse, model, book, matcher, speech, tmp_path):
    from callassist.session import CallSession

    session = CallSession.start(tmp_path, book, matcher=matcher, mode="live")
    listener, heard = listen(session, model, book)
    assert listener.sources[0].rate == S.RATE  # the device took 16 kHz mono: no resampling
    pulse.play(speech["call"])
    finals = lambda: [u for u, _ in heard if u.is_final]  # noqa: E731
    assert wait_for(lambda: len(finals()) >= 3, 5.0), [u.text for u in finals()]
    listener.stop()
    info = session.close()

    fin = finals()
    assert [u.text for u in fin[:2]] == [KO_LINES[k][1] for k in ORDER[:2]] and "감면" in fin[2].text
    first_partial = next(i for i, (u, _) in enumerate(heard) if not u.is_final)
    assert first_partial < heard.index(next((u, m) for u, m in heard if u.is_final))
    assert any(m is not None and m.intent == "interest-high" for u, m in heard if not u.is_final)

    rec = record.load(info.folder)
    assert rec.status == record.VERIFIED and rec.audio is not None and rec.audio.ok
    assert [e["intent"] for e in rec.events if e["type"] == "suggestion"] == ORDER
    assert [e["intent"] for e in rec.events if e["type"] == "alert"] == ["contact-family"]
    system = [e for e in rec.events if e["type"] == "system"]
    assert [e["kind"] for e in system] == ["recognizer_started", "recognizer_stopped"]
    assert system[0]["source"] == "agent" and "pulse" in system[0]["device"]
    assert listener.stats()["agent"]["dropped"] == 0

    # Bit-exact: everything played after the head PulseAudio swallows is in the recording, sample for sample.
    played = read_pcm(speech["call"])[0][:, 0]
    captured = read_pcm(info.folder / "audio.wav")[0][:, 0]
    head = int(0.3 * S.RATE)
    pos = captured.tobytes().find(played[head:].tobytes())
    assert pos >= 0 and pos % 2 == 0, "the played audio is not in the recording unchanged"
    lost = head - pos // 2
    assert 0 <= lost <= head  # at most the silent head is missing


def test_listen_command_prints_what_it_hears(pulse, model, speech, capsys, monkeypatch):
    import threading

    from callassist.audio import models as M
    from callassist.cli import main

    monkeypatch.setattr(M, "load_model", lambda path: model)  # the module's model: loaded once per module
    player = threading.Timer(0.5, pulse.play, args=(speech["first"],))
    player.start()
    code = main(["listen", "--mic", "pulse", "--model", str(ko_model_path()), "--seconds", "5"])
    player.join()
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "listening" in out.err and "agent:" in out.out  # one input: a mixed stream labelled agent
    assert "Traceback" not in out.err


def test_device_that_disappears_mid_call(pulse, model, book, matcher, speech, tmp_path):
    from callassist.session import CallSession

    session = CallSession.start(tmp_path, book, matcher=matcher, mode="live")
    statuses: list = []
    listener, heard = listen(session, model, book, on_status=statuses.append)
    pulse.play(speech["first"])
    assert wait_for(lambda: any(u.is_final for u, _ in heard), 5.0)
    pulse.kill()  # the sound server (the device) goes away while the stream runs
    assert wait_for(lambda: not listener.active, 5.0), "listening did not notice the lost device"
    listener.stop()
    info = session.close()
    rec = record.load(info.folder)
    assert rec.status == record.VERIFIED
    lost = [e for e in rec.events if e["type"] == "system" and e["kind"] == "device_lost"]
    assert len(lost) == 1 and "stopped delivering audio" in lost[0]["message"] and lost[0]["source"] == "agent"
    assert statuses[-1].kind == "stopped" and statuses[-1].detail["reason"] == "error"
    assert "\n" not in statuses[-1].message
    assert [e["intent"] for e in rec.events if e["type"] == "suggestion"] == ["interest-high"]
    pulse.start()  # for any test after this one

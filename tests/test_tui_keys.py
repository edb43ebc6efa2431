"""Pilot tests of the remaining keys: home (language, numbers, theme, all keys), call (alternatives, speaker,
tick, stages, pause without audio), and quitting in the middle of a call."""

from __future__ import annotations

import pytest

from callassist import profile as prof
from callassist.tui.screens.call import CallScreen
from callassist.tui.screens.home import HomeScreen
from callassist.tui.widgets.points import TalkingPoints
from callassist.tui.widgets.suggestion import SuggestionCard
from callassist.tui.widgets.transcript import Transcript
from tests.test_tui_call import start_call, wait_for
from tests.tui_support import app as make_app
from tests.tui_support import capture_notifications


async def test_home_language_numbers_theme_and_keys_panel(tmp_path):
    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        assert "开始通话" in str(app.screen.query_one("#home-menu").get_option_at_index(0).prompt)
        # language: the playbook and every label switch to English
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and app.services.lang == "en")
        assert app.services.playbook.lang == "en"
        assert "Start a call" in str(app.screen.query_one("#home-menu").get_option_at_index(0).prompt)
        footer_keys = {b.key: b.description for b in app.screen.BINDINGS}
        assert footer_keys["c"] == "Call" and footer_keys["l"] == "中文"
        # numbers: the form writes the profile and the panel shows them
        await pilot.press("p")
        form = app.screen
        form.query_one("#field-debt").value = "12000"
        form.query_one("#field-periods").value = "12"
        form.query_one("#field-debt").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.services.profile.debt == 12000)
        assert prof.load().periods == 12
        await wait_for(pilot, lambda: "12,000.00" in str(app.screen.query_one("#home-numbers").content))
        # a plan the income cannot carry is pointed out with the planner's figures
        await pilot.press("p")
        app.screen.query_one("#field-periods").value = "2"
        app.screen.query_one("#field-periods").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "more than you can afford" in str(app.screen.query_one("#home-numbers").content))
        # a bad number is refused in the form, with a message
        await pilot.press("p")
        app.screen.query_one("#field-apr").value = "lots"
        app.screen.query_one("#field-apr").focus()
        await pilot.press("enter")
        assert "number" in str(app.screen.query_one("#form-error").content)
        await pilot.press("escape")
        # theme and the panel of every key
        dark = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != dark
        await pilot.press("f1")
        await wait_for(pilot, lambda: bool(app.screen.query("HelpPanel")))
        await pilot.press("f1")
        await wait_for(pilot, lambda: not app.screen.query("HelpPanel"))


async def test_call_keys(tmp_path):
    app = make_app("en", tmp_path / "records")
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        card = screen.query_one(SuggestionCard)
        view = screen.query_one(Transcript)
        points = screen.query_one(TalkingPoints)
        # bookmark with no agent line yet: says so
        await pilot.press("escape", "b")
        assert any("No agent line" in n for n in notes)
        await pilot.press("i")
        screen.query_one("#typed").value = "If you don't pay today we will have you arrested"
        await pilot.press("enter")
        await wait_for(pilot, lambda: card.match is not None)
        best = card.shown
        await pilot.press("escape", "1")
        assert card.shown == card.alternatives[0][0] != best
        await pilot.press("2")
        assert card.shown == card.alternatives[1][0]
        await pilot.press("0")
        assert card.shown == best
        # switch the speaker of the last line: agent → me, recorded as a correction
        await pilot.press("s")
        await wait_for(pilot, lambda: view.entries[view.last_index("utterance")].speaker == "me")
        # tick the next point; stages forward and back
        await pilot.press("t")
        assert points.progress()[0] == 1
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: points.current == 1)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: points.current == 0)
        # pause in typed mode: there is nothing to pause
        await pilot.press("p")
        assert not any("paused" in n for n in notes)
        session = screen.session
    from callassist import record

    rec = record.load(session.folder)
    assert [e["speaker"] for e in rec.events if e["type"] == "speaker"] == ["me"]
    assert [e["stage"] for e in rec.events if e["type"] == "stage"][-2:] == ["open", "prepare"]


async def test_quitting_mid_call_closes_the_record(tmp_path):
    from callassist import record

    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        screen.query_one("#typed").value = "你这个钱到底什么时候能还上"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.query_one(SuggestionCard).match is not None)
        folder = screen.session.folder
        assert isinstance(app.screen, CallScreen)
        await pilot.press("ctrl+q")
    for _ in range(200):
        rec = record.load(folder)
        if rec.status == record.VERIFIED:
            break
        import time

        time.sleep(0.02)
    assert rec.status == record.VERIFIED
    assert rec.closing["reason"] == "app closed"


async def test_a_records_folder_that_cannot_be_written_is_reported(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the records folder should be")
    app = make_app("en", blocker / "records")
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CallScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.has_class("-failed"))
        assert "Not recording" in str(screen.query_one("#suggestion-body").content)
        assert any("Record error" in n for n in notes)
        await pilot.press("escape", "e", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_a_records_folder_that_cannot_be_written_is_reported_in_chinese(tmp_path):
    """The record's error has its Chinese wording (不是文件夹); the Chinese call screen showed the English one."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the records folder should be")
    app = make_app("zh", blocker)
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CallScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.has_class("-failed"))
        body = str(screen.query_one("#suggestion-body").content)
        assert f"没有在记录：{blocker}：不是文件夹" in body and "is not a folder" not in body
        assert any("记录出错" in n and "不是文件夹" in n for n in notes), notes
        await pilot.press("escape", "e", "y")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_listening_states_level_and_dropouts_reach_the_status_line(tmp_path):
    from callassist.tui.screens.call import LevelChanged, ListeningChanged, PartialHeard
    from callassist.tui.widgets.status import StatusBar

    app = make_app("en", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        status = screen.query_one(StatusBar)
        # what live audio posts from its threads (here from the test, the same messages)
        for level in (0.1, 0.5, 0.8):
            screen.post_message(LevelChanged(level))
        screen.post_message(ListeningChanged("listening"))
        screen.post_message(ListeningChanged("dropout", "audio was lost", dropouts=3))
        screen.post_message(PartialHeard("agent", "if you don't"))
        screen.post_message(PartialHeard("agent", "if you don't pay"))
        await wait_for(pilot, lambda: status.dropouts == 3)
        assert status.level == 0.8 and status.listening == "listening"
        view = screen.query_one(Transcript)
        assert view.partials == {"agent": "if you don't pay"}
        screen.post_message(ListeningChanged("paused"))
        await wait_for(pilot, lambda: screen.has_class("-paused"))
        assert status.listening == "paused"
        screen.post_message(ListeningChanged("resumed"))
        await wait_for(pilot, lambda: not screen.has_class("-paused"))


async def test_choose_a_playbook_from_home(tmp_path):
    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ChoiceDialog")
        options = app.screen.query_one("#choices")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("en-US" in label for label in labels) and any("zh-CN" in label for label in labels)
        en = next(i for i, label in enumerate(labels) if "en-US" in label)
        options.highlighted = en
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and app.services.lang == "en")
        assert app.services.playbook.language == "en-US"
        assert "Start a call" in str(app.screen.query_one("#home-menu").get_option_at_index(0).prompt)


async def test_a_number_the_profile_refuses_is_explained_in_chinese(tmp_path):
    app = make_app("zh", tmp_path / "records")
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p")
        app.screen.query_one("#field-cap").value = "1.5"  # a number, but more than all of the income
        app.screen.query_one("#field-cap").focus()
        await pilot.press("enter")
        await pilot.pause()
        # said under the form, which stays open, naming the field by its label (not --set: 'cap')
        message = str(app.screen.query_one("#form-error").render())
        assert "收入占比" in message and "--set" not in message and not notes, (message, notes)
        assert app.screen.query_one("#field-cap").value == "1.5"


async def test_zero_goes_back_after_an_alternative_of_a_line_nothing_fitted(tmp_path):
    """A line with no suggestion still lists alternatives: 1 shows one, 0 goes back to "no suggestion" (it said
    "There is no candidate 0" and the card was stuck on the alternative); the keys panel names 0 for what it does."""
    from callassist.tui.strings import translator

    app = make_app("zh", tmp_path / "records")
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        card = screen.query_one(SuggestionCard)
        screen.query_one("#typed").value = "你这个月能还多少"
        await pilot.press("enter")
        await wait_for(pilot, lambda: card.match is not None)
        assert card.match.intent is None and card.alternatives
        body = screen.query_one("#suggestion-body")
        await pilot.press("escape", "1")
        assert card.shown == card.alternatives[0][0]
        assert "[0]" in str(body.content)  # the way back is shown
        await pilot.press("0")
        assert card.shown is None and card.has_class("-empty")
        assert "没有合适的建议" in str(body.content)
        assert not any("第 0 个" in n for n in notes), notes
    t = translator("zh")
    zero = next(b for b in CallScreen.BINDINGS if b.id == "call.candidate0")
    assert t(zero.description) != t("key.cand1")


async def test_the_card_names_the_matching_levels_in_chinese(tmp_path):
    """Why a line matched ended "(chars 0.41 · pinyin 0.53 · meaning 0.57)": English on the Chinese card."""
    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        card = screen.query_one(SuggestionCard)
        screen.query_one("#typed").value = "你再不还钱我们就去你单位找你领导"
        await pilot.press("enter")
        await wait_for(pilot, lambda: card.match is not None)
        assert card.match.reason is not None and card.match.reason.levels
        body = str(screen.query_one("#suggestion-body").content)
        assert "字面" in body and "拼音" in body and "语义" in body
        assert not any(word in body for word in ("chars", "pinyin", "meaning")), body


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_home_names_a_broken_speech_model_in_the_ui_language(tmp_path, lang):
    """A folder given as the model that is not one: the home screen said why in English on the Chinese screen."""
    from callassist.tui.widgets.prose import Prose

    broken = tmp_path / "my-model"
    (broken / "conf").mkdir(parents=True)
    app = make_app(lang, tmp_path / "records", typed=False, model=str(broken))
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.screen.query_one("#home-speech", Prose)
        await wait_for(pilot, lambda: "my-model" in str(panel.content), timeout=20)
        text = str(panel.content)
    if lang == "zh":
        assert "不是 Vosk 语音模型" in text and "not a Vosk model" not in text, text
    else:
        assert "not a Vosk model" in text, text

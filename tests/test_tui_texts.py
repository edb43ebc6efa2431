"""Textual's own texts (the Ctrl+C hint, its key descriptions in the F1 panel and the footer, the command palette)
in the UI language."""

from __future__ import annotations

import re

from tests.test_tui_call import start_call
from tests.tui_support import app as make_app
from tests.tui_support import capture_notifications

ASCII_WORDS = re.compile(r"[A-Za-z]{3,}")


def descriptions(app) -> dict[str, str]:
    return {key: ab.binding.description for key, ab in app.screen.active_bindings.items() if not ab.binding.system}


async def test_textual_texts_are_chinese_on_chinese_screens(tmp_path):
    app = make_app("zh", tmp_path / "records")
    notes = capture_notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        seen = descriptions(app)
        assert seen["ctrl+q"] == "退出" and seen["ctrl+p"] == "命令面板"
        assert seen["down"] == "下一项" and seen["tab"] == "下一个焦点"
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert notes and "退出" in notes[-1] and "quit" not in notes[-1].lower()
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "主题" in commands and "Quit" not in commands
        screen = await start_call(pilot)
        screen.query_one("#typed").focus()
        await pilot.pause()
        seen = descriptions(app)
        assert seen["ctrl+c"] == "复制选中的文字"
        english = {k: v for k, v in seen.items() if ASCII_WORDS.search(v) and k != "l"}
        assert not english, english
        await pilot.press("escape")
        await pilot.pause()
        english = {k: v for k, v in descriptions(app).items() if ASCII_WORDS.search(v)}
        assert not english, english


async def test_textual_texts_stay_english_on_english_screens(tmp_path):
    app = make_app("en", tmp_path / "records")
    notes = capture_notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        assert descriptions(app)["ctrl+q"] == "Quit"
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert notes and "quit" in notes[-1].lower()
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Theme" in commands and "主题" not in commands

"""Pilot tests of the forms: a bad value keeps the form open with what was typed and says why under it."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from callassist.tui.screens.dialogs import FormDialog
from tests.test_tui_call import wait_for
from tests.tui_support import app as make_app
from tests.tui_support import capture_notifications


def error_text(screen) -> str:
    return str(screen.query_one("#form-error", Static).render())


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_profile_form_keeps_a_bad_value_and_says_why(tmp_path, lang):
    app = make_app(lang, tmp_path / "records")
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        dialog.query_one("#field-name", Input).value = "李女士"
        dialog.query_one("#field-debt", Input).value = "-5000"
        dialog.query_one("#field-debt", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog  # still open, with what was typed
        assert dialog.query_one("#field-name", Input).value == "李女士"
        assert dialog.query_one("#field-debt", Input).value == "-5000"
        message = error_text(dialog)
        assert "--set" not in message
        if lang == "zh":
            assert "“欠款” 必须是大于 0 的金额" in message and "'debt'" not in message
        else:
            assert "'debt' must be a positive amount" in message
        assert dialog.query_one("#field-debt", Input).has_focus
        assert not notes
        # corrected: saved
        dialog.query_one("#field-debt", Input).value = "5000"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.services.profile.debt == 5000)
        assert app.services.profile.name == "李女士"

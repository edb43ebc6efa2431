"""Pilot tests of the forms: a bad value keeps the form open with what was typed and says why under it."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from callassist.tui.screens.dialogs import FormDialog
from callassist.tui.widgets.transcript import Transcript
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


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_agreed_form_checks_the_date_and_the_total(tmp_path, lang):
    """2025-13-45 is refused (the form stays open, the message under it); a total of 100 for 24 × 998 is a
    warning, and the same values entered again are saved, the date written as YYYY-MM-DD."""
    from tests.test_tui_call import start_call

    app = make_app(lang, tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        await pilot.press("escape", "a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        for key, value in (("amount", "100"), ("periods", "24"), ("per_period", "998"), ("first_due", "2025-13-45")):
            dialog.query_one(f"#field-{key}", Input).value = value
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        assert ("真实的日期" if lang == "zh" else "real date") in error_text(dialog)
        assert dialog.query_one("#field-first_due", Input).has_focus
        dialog.query_one("#field-first_due", Input).value = "2026/1/5"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        message = error_text(dialog)
        assert "23,952.00" in message and "100.00" in message
        await pilot.press("enter")  # checked: saved as typed
        await wait_for(pilot, lambda: app.screen is screen)
        view = screen.query_one(Transcript)
        await wait_for(pilot, lambda: any(e.kind == "agreed" for e in view.entries), 10)
        folder = screen.session.folder
    from callassist import record

    rec = record.load(folder)
    agreed = next(e for e in rec.events if e["type"] == "agreed")
    assert (agreed["amount"], agreed["periods"], agreed["per_period"], agreed["first_due"]) == (
        100.0,
        24,
        998.0,
        "2026-01-05",
    )


def test_agreed_form_refuses_amounts_that_are_not_numbers():
    from callassist.tui.screens.dialogs import agreed_problem

    for bad in (float("inf"), float("nan"), -1.0):
        problem = agreed_problem({"amount": bad}, "en", {})
        assert problem is not None and problem[0] == "amount", bad
    assert agreed_problem({"amount": 23963.52, "periods": 24, "per_period": 998.48}, "en", {}) is None


async def test_profile_form_takes_percentages_and_names_a_fraction_of_a_period(tmp_path):
    """'18%' for the APR and '30%' for the share of income were refused as "not a number", and 24.5 periods
    was "not a number" too (it is one, just not a whole one)."""
    from callassist import profile as prof

    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        dialog.query_one("#field-periods", Input).value = "24.5"
        dialog.query_one("#field-periods", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and "整数" in error_text(dialog), error_text(dialog)
        dialog.query_one("#field-periods", Input).value = "24"
        dialog.query_one("#field-apr", Input).value = "18%"
        dialog.query_one("#field-cap", Input).value = "30％"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not dialog)
        assert app.services.profile.apr == 18 and app.services.profile.cap == pytest.approx(0.3)
    assert prof.load().apr == 18


async def test_agreed_amount_is_not_read_as_a_percentage(tmp_path):
    """Only the rate and the share of income take '%': an amount of '20%' is still not a number."""
    from tests.test_tui_call import start_call

    app = make_app("zh", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        await start_call(pilot)
        await pilot.press("escape", "a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        dialog.query_one("#field-amount", Input).value = "20%"
        dialog.query_one("#field-amount", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and "数字" in error_text(dialog)


async def test_profile_form_keeps_a_first_due_date_that_does_not_exist(tmp_path):
    """2026-13-01 as the first due date closed the form with an error and lost what was typed."""
    app = make_app("zh", tmp_path / "records")
    notes = capture_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        dialog.query_one("#field-name", Input).value = "李女士"
        dialog.query_one("#field-first_due", Input).value = "2026-13-01"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and dialog.query_one("#field-name", Input).value == "李女士"
        assert "日期不存在" in error_text(dialog) and not notes
        dialog.query_one("#field-first_due", Input).value = "2026-12-15"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.services.profile.first_due == "2026-12-15")


def test_an_agreed_date_without_a_year_is_the_next_such_day():
    """'12月15日' was refused (a year was required) in a form filled in during the call."""
    from datetime import date

    from callassist.dates import parse_date

    today = date(2026, 11, 24)
    assert parse_date("12月15日", today) == date(2026, 12, 15)
    assert parse_date("1月5号", today) == date(2027, 1, 5)  # already past this year: next year
    assert parse_date("11-24", today) == date(2026, 11, 24) and parse_date("3/1", today) == date(2027, 3, 1)
    assert parse_date("2月29日", today) == date(2028, 2, 29)
    assert parse_date("2026年12月15日", today) == date(2026, 12, 15)
    for bad in ("13月1日", "2月30日", "12月", "下个月", "2026-13-01"):
        assert parse_date(bad, today) is None, bad


async def test_agreed_and_profile_amounts_take_a_dollar_sign(tmp_path):
    """An American types '$4,200' and '$350' for the agreed total and per period, and '$4,200' / '$2,500' in
    'My numbers'; each was refused with "'Total amount' must be a number." A currency sign before (or 元 after)
    an amount is now read like the thousands separator; the rate's '%' and its refusal elsewhere are unchanged."""
    from tests.test_tui_call import start_call

    app = make_app("en", tmp_path / "records")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start_call(pilot)
        await pilot.press("escape", "a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        dialog = app.screen
        for key, value in (
            ("amount", "$4,200"),
            ("periods", "12"),
            ("per_period", "$ 350"),
            ("first_due", "12/15/2026"),
        ):
            dialog.query_one(f"#field-{key}", Input).value = value
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, 10)
        folder = screen.session.folder
    from callassist import record

    agreed = next(e for e in record.load(folder).events if e["type"] == "agreed")
    assert (agreed["amount"], agreed["periods"], agreed["per_period"], agreed["first_due"]) == (
        4200.0,
        12,
        350.0,
        "2026-12-15",
    )
    from callassist.tui.screens.dialogs import Field, parse_number

    money = Field("debt", "profile.debt", number="float")
    assert parse_number("US$4,200.50", money) == 4200.5 and parse_number("¥20,000", money) == 20000
    assert parse_number("20000元", money) == 20000 and parse_number("$-5", money) == -5
    for bad in ("$", "$$4", "4$2", "20%"):
        with pytest.raises(ValueError):
            parse_number(bad, money)


def test_an_american_date_is_month_day_year():
    """12/15/2026, the way the US writes dates, was refused in the agreed-term form ("must be a real date ... (not
    12/15/2026)") and taken as free text by the profile; 12/15 without a year already meant December 15."""
    from datetime import date

    from callassist.dates import looks_like_date, parse_date

    assert parse_date("12/15/2026") == date(2026, 12, 15) and parse_date("1/5/2027") == date(2027, 1, 5)
    assert parse_date("12/15/26") == date(2026, 12, 15)
    assert parse_date("13/15/2026") is None and looks_like_date("13/15/2026")  # refused, not free text
    assert parse_date("2026/12/15") == date(2026, 12, 15)  # unchanged

"""The repayment planner: figures to the cent and clear errors."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from callassist.plan import PlanError, cents, make_plan, months_needed
from tests.locale_support import set_locale


@pytest.mark.parametrize(
    ("periods", "monthly", "interest"),
    [(12, "1833.60", "2003.20"), (24, "998.48", "3963.57"), (36, "723.05", "6029.72"), (60, "507.87", "10472.11")],
)
def test_equal_instalments_match_worked_examples(periods, monthly, interest):
    p = make_plan(20000, 18, periods)
    assert str(cents(p.monthly)) == monthly
    assert str(cents(p.annuity_interest)) == interest


def test_equal_principal_first_last_and_interest():
    p = make_plan(20000, 18, 12)
    assert (str(cents(p.principal_first)), str(cents(p.principal_last))) == ("1966.67", "1691.67")
    assert str(cents(p.principal_interest)) == "1950.00"
    p24 = make_plan(20000, 18, 24)
    assert (str(cents(p24.principal_first)), str(cents(p24.principal_last))) == ("1133.33", "845.83")


def test_zero_rate_means_interest_stopped():
    p = make_plan(20000, 0, 24)
    assert str(cents(p.monthly)) == "833.33"
    assert p.annuity_interest == pytest.approx(0)
    assert p.principal_first == p.principal_last


def test_income_cap_and_months_needed():
    p = make_plan(20000, 18, 24, income=6000, cap=0.3)
    assert str(cents(p.affordable)) == "1800.00"
    assert p.months_at_cap == pytest.approx(12.2, abs=0.05)
    assert make_plan(20000, 0, 24, income=6000).months_at_cap == pytest.approx(11.1, abs=0.05)


def test_cap_that_does_not_cover_interest():
    assert months_needed(20000, 18, 300) is None  # interest alone is 300.00 a month
    assert make_plan(20000, 18, 12, income=1000).months_at_cap is None


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"debt": -1, "apr": 18, "periods": 12}, "--debt"),
        ({"debt": 0, "apr": 18, "periods": 12}, "--debt"),
        ({"debt": 100, "apr": -3, "periods": 12}, "--apr"),
        ({"debt": 100, "apr": 400, "periods": 12}, "--apr"),
        ({"debt": 100, "apr": 18, "periods": 0}, "--periods"),
        ({"debt": 100, "apr": 18, "periods": 12, "income": -5}, "--income"),
        ({"debt": 100, "apr": 18, "periods": 12, "income": 5000, "cap": 1.5}, "--cap"),
        ({"debt": float("nan"), "apr": 18, "periods": 12}, "--debt"),
    ],
)
def test_bad_numbers_are_refused(kwargs, fragment):
    with pytest.raises(PlanError, match=fragment) as e:
        make_plan(**kwargs)
    assert e.value.zh and fragment in e.value.zh and re.search("[\u4e00-\u9fff]", e.value.zh), e.value.zh
    assert "\n" not in e.value.zh


def test_plan_cli_prints_figures_and_errors_cleanly():
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "callassist",
            "plan",
            "--debt",
            "20000",
            "--apr",
            "18",
            "--periods",
            "24",
            "--income",
            "6000",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "998.48" in ok.stdout and "1,133.33" in ok.stdout and "845.83" in ok.stdout and "1,800.00" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "callassist", "plan", "--debt", "20000", "--apr", "18", "--periods", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "--periods" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("lang", "argv", "expected"),
    [
        ("C.UTF-8", [], "callassist: --debt must be a positive amount, got -1\n"),
        ("zh_CN.UTF-8", [], "callassist: --debt 必须是大于 0 的金额，现在是 -1\n"),
        ("zh_CN.UTF-8", ["--lang", "en"], "callassist: --debt must be a positive amount, got -1\n"),
        ("C.UTF-8", ["--lang", "zh"], "callassist: --debt 必须是大于 0 的金额，现在是 -1\n"),
    ],
)
def test_plan_errors_follow_the_language(monkeypatch, capsys, lang, argv, expected):
    """Chinese when the locale is (or --lang zh says so), the English text unchanged otherwise; one line."""
    from callassist.cli import main

    set_locale(monkeypatch, lang)
    assert main(["plan", "--debt", "-1", "--apr", "18", "--periods", "12", *argv]) == 2
    assert capsys.readouterr().err == expected


@pytest.mark.parametrize(
    ("cap", "shown"),
    [(0.3, "30%"), (0.3001, "30.01%"), (1, "100%"), (0.125, "12.5%"), (0.33333, "33.333%"), (1e-05, "0.001%")],
)
def test_cap_share_is_shown_as_given(cap, shown, capsys):
    from callassist.render import print_plan

    for lang, label in (("zh", "可承受月供"), ("en", "affordable monthly")):
        print_plan(make_plan(20000, 18, 24, income=6000, cap=cap), lang=lang)
        assert f"{label} ({shown})" in capsys.readouterr().out


@pytest.mark.parametrize("apr", [1e-300, 1e-12, 1e-6])
def test_a_tiny_rate_is_almost_no_interest(apr):
    """--apr 1e-300 divided by zero ((1+r)^n − 1 rounds to 0) and a rate like 1e-12 gave a payment off by cents."""
    p = make_plan(20000, apr, 600, income=6000)
    assert p.monthly == pytest.approx(20000 / 600, rel=1e-6) and p.annuity_interest == pytest.approx(0, abs=0.5)
    assert p.months_at_cap == pytest.approx(20000 / 1800, rel=1e-6)
    out = subprocess.run(
        [sys.executable, "-m", "callassist", "plan", "--debt", "20000", "--apr", repr(apr), "--periods", "600"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and "33.33" in out.stdout and "Traceback" not in out.stderr, out.stderr


def test_an_infinite_rate_is_called_implausible_not_negative():
    """--apr inf was refused as 'must be 0 or more', which it is."""
    with pytest.raises(PlanError) as e:
        make_plan(100, float("inf"), 12)
    assert "not plausible" in str(e.value) and "0 or more" not in str(e.value)
    assert "不合常理" in e.value.zh and "不能小于 0" not in e.value.zh
    with pytest.raises(PlanError, match="0 or more"):
        make_plan(100, float("nan"), 12)

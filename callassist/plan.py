"""Repayment arithmetic: equal instalments (等额本息), equal principal (等额本金), what an income can carry."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from callassist.errors import CallassistError

MAX_DEBT = 1e9
MAX_APR = 100.0  # percent a year; anything above is almost surely a typo (a daily or monthly rate)
MAX_PERIODS = 600


class PlanError(CallassistError):
    """A number the planner cannot work with."""


def cents(x: float) -> Decimal:
    """Round to the cent, half up, as lenders print amounts."""
    return Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def money(x: float) -> str:
    """12345.6 → '12,345.60'."""
    return f"{cents(x):,.2f}"


def check(debt: float, apr: float, periods: int | None = None, income: float | None = None, cap: float = 0.3) -> None:
    """Raise PlanError with a clear message for numbers that make no sense."""
    if not math.isfinite(debt) or debt <= 0:
        raise PlanError(f"--debt must be a positive amount, got {debt:g}")
    if debt > MAX_DEBT:
        raise PlanError(f"--debt {debt:g} is larger than this planner handles ({MAX_DEBT:g})")
    if not math.isfinite(apr) or apr < 0:
        raise PlanError(f"--apr must be 0 or more (percent a year; 0 means interest stopped), got {apr:g}")
    if apr > MAX_APR:
        raise PlanError(f"--apr {apr:g}% a year is not plausible; give the annual rate in percent (e.g. 18)")
    if periods is not None and not (1 <= periods <= MAX_PERIODS):
        raise PlanError(f"--periods must be a whole number from 1 to {MAX_PERIODS}, got {periods}")
    if income is not None and (not math.isfinite(income) or income <= 0):
        raise PlanError(f"--income must be a positive monthly amount, got {income:g}")
    if not math.isfinite(cap) or not (0 < cap <= 1):
        raise PlanError(f"--cap must be a share of income between 0 and 1 (e.g. 0.3), got {cap:g}")


def annuity_payment(debt: float, apr: float, periods: int) -> float:
    """Monthly payment for equal instalments: M = P·r·(1+r)^n / ((1+r)^n − 1); P/n when r = 0."""
    r = apr / 100 / 12
    if r == 0:
        return debt / periods
    g = (1 + r) ** periods
    return debt * r * g / (g - 1)


def months_needed(debt: float, apr: float, monthly: float) -> float | None:
    """Months to clear the debt paying `monthly` (annuity); None if that does not even cover the interest."""
    r = apr / 100 / 12
    if monthly <= 0:
        return None
    if r == 0:
        return debt / monthly
    if monthly <= debt * r:
        return None
    return -math.log(1 - debt * r / monthly) / math.log(1 + r)


@dataclass(frozen=True)
class Plan:
    """Figures for one debt, rate and number of periods (and optionally an income)."""

    debt: float
    apr: float
    periods: int
    monthly: float
    annuity_interest: float
    principal_first: float
    principal_last: float
    principal_interest: float
    income: float | None = None
    cap: float = 0.3
    affordable: float | None = None
    months_at_cap: float | None = None

    @property
    def fits_income(self) -> bool | None:
        """Whether the equal-instalment payment is within the affordable cap (None without an income)."""
        return None if self.affordable is None else self.monthly <= self.affordable + 1e-9


def make_plan(debt: float, apr: float, periods: int, income: float | None = None, cap: float = 0.3) -> Plan:
    """Compute a plan; raises PlanError for bad numbers."""
    check(debt, apr, periods, income, cap)
    r = apr / 100 / 12
    m = annuity_payment(debt, apr, periods)
    affordable = income * cap if income else None
    return Plan(
        debt=debt,
        apr=apr,
        periods=periods,
        monthly=m,
        annuity_interest=m * periods - debt,
        principal_first=debt / periods + debt * r,
        principal_last=debt / periods * (1 + r),
        principal_interest=debt * r * (periods + 1) / 2,
        income=income,
        cap=cap,
        affordable=affordable,
        months_at_cap=months_needed(debt, apr, affordable) if affordable else None,
    )

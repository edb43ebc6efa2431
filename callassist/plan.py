"""Repayment arithmetic: equal instalments (等额本息), equal principal (等额本金), what an income can carry."""

from __future__ import annotations

import math
import re
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


def percent(share: float) -> str:
    """A share as a percentage with every digit it was given: 0.3 → '30%', 0.3001 → '30.01%'."""
    d = (Decimal(repr(float(share))) * 100).normalize()
    return f"{d:f}%"


_CURRENCY = re.compile(r"^(?:US\$|\$|¥|￥|RMB)\s*|\s*(?:元|块)$")
# How a percentage written with % is stored: "points" (an APR of 18% is 18), "fraction" (a 30% cap is 0.3).
PERCENT = {"apr": "points", "cap": "fraction"}


def read_number(text: str, percent: str = "") -> float:
    """A number as people write it: "20,000", and a currency sign before an amount ($4,200, US$, ¥) or 元 after it;
    with `percent` ("points" or "fraction", see PERCENT) a trailing % too: "18%" → 18, "30%" → 0.3. Raises
    ValueError."""
    clean = text.replace(",", "").strip()
    if percent and clean[-1:] in ("%", "％"):
        value = float(clean[:-1])
        return value / 100 if percent == "fraction" else value
    if not percent:
        clean = _CURRENCY.sub("", clean, count=1).strip()
    return float(clean)


def check_value(key: str, value: float, label: str | None = None) -> None:
    """Raise PlanError if one of the planner's numbers (debt, apr, periods, income, cap) makes no sense.

    `label` names the number in the message (default `--key`, as on the command line); the profile checks the
    values it stores with this same function, so what `plan` refuses never reaches the talking points."""
    label = label or f"--{key}"
    if key == "debt":
        if not math.isfinite(value) or value <= 0:
            raise PlanError(
                f"{label} must be a positive amount, got {value:g}", zh=f"{label} 必须是大于 0 的金额，现在是 {value:g}"
            )
        if value > MAX_DEBT:
            raise PlanError(
                f"{label} {value:g} is larger than this planner handles ({MAX_DEBT:g})",
                zh=f"{label} {value:g} 超出了本计算器能处理的范围（最多 {MAX_DEBT:,.0f}）",
            )
    elif key == "apr":
        if math.isnan(value) or value < 0:
            raise PlanError(
                f"{label} must be 0 or more (percent a year; 0 means interest stopped), got {value:g}",
                zh=f"{label} 不能小于 0（年利率，单位 %；0 表示已停息），现在是 {value:g}",
            )
        if not value <= MAX_APR:  # infinity too
            raise PlanError(
                f"{label} {value:g}% a year is not plausible; give the annual rate in percent (e.g. 18)",
                zh=f"{label} 年利率 {value:g}% 不合常理；请填年利率的百分数（例如 18）",
            )
    elif key == "periods":
        if not (math.isfinite(value) and float(value).is_integer() and 1 <= value <= MAX_PERIODS):
            shown = int(value) if math.isfinite(value) and float(value).is_integer() else value
            raise PlanError(
                f"{label} must be a whole number from 1 to {MAX_PERIODS}, got {shown}",
                zh=f"{label} 必须是 1 到 {MAX_PERIODS} 之间的整数，现在是 {shown}",
            )
    elif key == "income":
        if not math.isfinite(value) or value <= 0:
            raise PlanError(
                f"{label} must be a positive monthly amount, got {value:g}",
                zh=f"{label} 必须是大于 0 的月收入金额，现在是 {value:g}",
            )
    elif key == "cap":
        if not math.isfinite(value) or not (0 < value <= 1):
            raise PlanError(
                f"{label} must be a share of income between 0 and 1 (e.g. 0.3), got {value:g}",
                zh=f"{label} 必须是收入中的比例，在 0 到 1 之间（例如 0.3），现在是 {value:g}",
            )
    else:
        raise ValueError(f"not a planner number: {key!r}")


def check(debt: float, apr: float, periods: int | None = None, income: float | None = None, cap: float = 0.3) -> None:
    """Raise PlanError with a clear message for numbers that make no sense."""
    check_value("debt", debt)
    check_value("apr", apr)
    if periods is not None:
        check_value("periods", periods)
    if income is not None:
        check_value("income", income)
    check_value("cap", cap)


def annuity_payment(debt: float, apr: float, periods: int) -> float:
    """Monthly payment for equal instalments: M = P·r·(1+r)^n / ((1+r)^n − 1); P/n when r = 0."""
    r = apr / 100 / 12
    if r == 0:
        return debt / periods
    # (1+r)^n − 1 through expm1/log1p: the plain form loses its digits (or becomes 0) for a tiny rate.
    g1 = math.expm1(periods * math.log1p(r))
    return debt * r * (g1 + 1) / g1


def months_needed(debt: float, apr: float, monthly: float) -> float | None:
    """Months to clear the debt paying `monthly` (annuity); None if that does not even cover the interest."""
    r = apr / 100 / 12
    if monthly <= 0:
        return None
    if r == 0:
        return debt / monthly
    if monthly <= debt * r:
        return None
    return -math.log1p(-debt * r / monthly) / math.log1p(r)


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

"""The prorated base fee: whole local days of the full period, trials, and the cumulative rounding that
makes the pieces of a split period add up to the full fee to the cent (docs/periods.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from chalicelib.domain.money import round_half_up
from chalicelib.domain.periods.local_days import day_start, days_in, local_day
from chalicelib.domain.periods.period import Period

_MICROSECONDS_PER_DAY = 86_400_000_000


@dataclass(frozen=True, slots=True)
class ProratedFee:
    """The base fee of `days` of a period of `full_days`: exact, and in whole cents."""

    amount_cents: int
    precise_amount_cents: Decimal
    days: int
    full_days: int


def trial_end(initial_started_at: datetime, trial_period_days: Decimal) -> datetime:
    """When a trial of `trial_period_days` 24-hour days (possibly fractional) ends; it is counted from the
    first start of the subscription's external id, so a re-subscription does not get a second trial."""
    return initial_started_at + timedelta(microseconds=int(Decimal(trial_period_days) * _MICROSECONDS_PER_DAY))


def prorated_base_fee(amount_cents: int, window: Period, full_period: Period, timezone: str,
                      trial_ends_at: datetime | None = None) -> ProratedFee:
    """The base fee of the local days of `window`, a part of `full_period`, that are not free in a trial
    (the day a trial ends is billed): amount_cents * days / full_days.

    Cents are rounded cumulatively from the period's first day: round(fee up to the window's last day)
    - round(fee before its first day), each half up; so the fee of a window starting the period is
    round(precise), as in Lago, and the pieces of a period always add up to amount_cents."""
    if window.start < full_period.start or window.end > full_period.end:
        raise ValueError("the window is not inside the full period")
    billed: Period | None = window
    if trial_ends_at is not None:
        billed = window.within(day_start(local_day(trial_ends_at, timezone), timezone))
    full_days = days_in(full_period, timezone)
    if billed is None:
        return ProratedFee(0, Decimal(0), 0, full_days)
    days_before = (local_day(billed.start, timezone) - local_day(full_period.start, timezone)).days
    days = days_in(billed, timezone)
    amount = Decimal(amount_cents)
    return ProratedFee(
        amount_cents=(round_half_up(amount * (days_before + days) / full_days)
                      - round_half_up(amount * days_before / full_days)),
        precise_amount_cents=amount * days / full_days,
        days=days,
        full_days=full_days,
    )

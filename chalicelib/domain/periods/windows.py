"""What each invoice of a subscription bills: the base fee's window and the charges' window (Lago's
from/to and charges_from/charges_to), for periodic runs, the start of a pay-in-advance plan, termination
and current usage."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.periods.billing_period import PeriodSchedule
from chalicelib.domain.periods.intervals import BillingTime, Interval, anchor_day
from chalicelib.domain.periods.local_days import day_start, local_day
from chalicelib.domain.periods.period import Period, after_last_second

_MONTHLY_CHARGES_INTERVALS = (Interval.YEARLY, Interval.SEMIANNUAL)


@dataclass(frozen=True, slots=True)
class BillingTerms:
    """What a subscription's windows depend on. `subscription_at` gives the anniversary; `started_at` is
    when billing began; `terminated_at`, the last second billed, as in Lago."""

    interval: Interval
    billing_time: BillingTime
    timezone: str
    subscription_at: datetime
    started_at: datetime
    pay_in_advance: bool = False
    bill_charges_monthly: bool = False
    terminated_at: datetime | None = None
    upgraded: bool = False  # terminated by an upgrade: the termination day is the new plan's

    @property
    def plan_periods(self) -> PeriodSchedule:
        return self._schedule(self.interval)

    @property
    def charges_periods(self) -> PeriodSchedule:
        """Months for a yearly or semiannual plan that bills charges monthly (ignored for other plans, as
        Lago does); else the plan's periods."""
        monthly = self.bill_charges_monthly and self.interval in _MONTHLY_CHARGES_INTERVALS
        return self._schedule(Interval.MONTHLY if monthly else self.interval)

    def base_fee_part(self, period: Period) -> Period | None:
        """`period` from 00:00 local of the start day through the termination second."""
        start_day = local_day(self.started_at, self.timezone)
        return period.within(day_start(start_day, self.timezone), self._covered_until)

    def charges_part(self, period: Period) -> Period | None:
        """`period` from the exact start instant through the termination second."""
        return period.within(self.started_at, self._covered_until)

    @property
    def _covered_until(self) -> datetime | None:
        return None if self.terminated_at is None else after_last_second(self.terminated_at)

    def _schedule(self, interval: Interval) -> PeriodSchedule:
        subscription_day = local_day(self.subscription_at, self.timezone)
        return PeriodSchedule(interval, anchor_day(self.billing_time, subscription_day), self.timezone)


@dataclass(frozen=True, slots=True)
class BillingWindows:
    """The windows one invoice bills; None where it bills nothing of that kind."""

    base_fee: Period | None
    charges: Period | None


def next_billing_at(terms: BillingTerms, moment: datetime) -> datetime:
    """The first billing boundary after `moment`: the end of the charges period containing it."""
    return terms.charges_periods.period_at(moment).end


def billing_windows(terms: BillingTerms, billing_at: datetime) -> BillingWindows:
    """The periodic run on the billing day that contains `billing_at`.

    Charges: the charges period that ended at the last boundary at or before `billing_at`. Base fee, only
    when that boundary also begins a plan period: the plan period that ended there (in arrears) or the
    one that begins there (in advance)."""
    charges_periods = terms.charges_periods
    index = charges_periods.index_at(billing_at)
    boundary = charges_periods.period(index).start
    plan_periods = terms.plan_periods
    plan_index = plan_periods.index_at(boundary)
    base_fee = None
    if plan_periods.period(plan_index).start == boundary:
        base_fee = terms.base_fee_part(plan_periods.period(plan_index if terms.pay_in_advance else plan_index - 1))
    return BillingWindows(base_fee, terms.charges_part(charges_periods.period(index - 1)))


def starting_windows(terms: BillingTerms) -> BillingWindows:
    """The invoice at the start of a pay-in-advance plan: its base fee from the start day to the end of
    the first period. A plan paid in arrears bills nothing at its start."""
    if not terms.pay_in_advance:
        return BillingWindows(None, None)
    return BillingWindows(terms.base_fee_part(terms.plan_periods.period_at(terms.started_at)), None)


def termination_windows(terms: BillingTerms) -> BillingWindows:
    """The invoice at `terminated_at`: usage of the charges period in progress up to it and, for a plan
    paid in arrears, the base fee of the plan period in progress through the termination day (a plan
    paid in advance was billed already; its unused days are a credit note's business)."""
    if terms.terminated_at is None:
        raise ValueError("the subscription is not terminated")
    base_fee = None
    if not terms.pay_in_advance:
        base_fee = terms.base_fee_part(terms.plan_periods.period_at(terms.terminated_at))
    return BillingWindows(base_fee, terms.charges_part(terms.charges_periods.period_at(terms.terminated_at)))


def current_usage_window(terms: BillingTerms, now: datetime) -> Period:
    """The charges window current usage covers at `now` (not before the start): the charges period containing
    `now`, from the start instant to the period's end (usage is projected to the end, as on the invoice)."""
    window = terms.charges_periods.period_at(now).within(terms.started_at)
    if window is None:
        raise ValueError(f"{now} is before the subscription's start {terms.started_at}")
    return window

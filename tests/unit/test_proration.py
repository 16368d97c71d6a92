"""The prorated base fee: days counted inclusively in local time over the full period, trials, and the
cumulative rounding under which the pieces of a period add up to the full fee to the cent."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.periods import (
    BillingTerms,
    BillingTime,
    Interval,
    Period,
    billing_windows,
    day_start,
    days_in,
    local_day,
    prorated_base_fee,
    termination_windows,
    trial_end,
)

PARIS = "Europe/Paris"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def monthly(started_at: datetime, timezone: str = "UTC", **options) -> BillingTerms:
    return BillingTerms(Interval.MONTHLY, BillingTime.CALENDAR, timezone, started_at, started_at, **options)


def first_invoice_fee(subscription: BillingTerms, amount_cents: int, billing_at: datetime,
                      trial_ends_at: datetime | None = None):
    """The base fee of the in-arrears run at `billing_at`, prorated over the plan period it bills."""
    window = billing_windows(subscription, billing_at).base_fee
    full_period = subscription.plan_periods.period_at(window.start)
    return prorated_base_fee(amount_cents, window, full_period, subscription.timezone, trial_ends_at)


@pytest.mark.parametrize(("interval", "moment", "full_days"), [
    (Interval.MONTHLY, utc(2022, 1, 15), 31),
    (Interval.MONTHLY, utc(2022, 4, 15), 30),
    (Interval.MONTHLY, utc(2022, 2, 15), 28),
    (Interval.MONTHLY, utc(2024, 2, 15), 29),
    (Interval.YEARLY, utc(2022, 6, 1), 365),
    (Interval.YEARLY, utc(2024, 6, 1), 366),
    (Interval.WEEKLY, utc(2022, 6, 1), 7),
])
def test_full_period_days_section_8_3(interval, moment, full_days):
    """§8.3: the proration divisor is the full period's length, 31/30/28/29/365/366/7 days."""
    subscription = BillingTerms(interval, BillingTime.CALENDAR, "UTC", utc(2020, 1, 1), utc(2020, 1, 1))

    assert days_in(subscription.plan_periods.period_at(moment), "UTC") == full_days


def test_a_calendar_plan_started_mid_month_bills_its_days_from_the_start_day():
    """§5.2 first invoice, calendar, started mid-period: days(start day .. period end) x single day price."""
    fee = first_invoice_fee(monthly(utc(2022, 3, 17, 14, 25)), 3100, utc(2022, 4, 1))

    # 17..31 March inclusive: 31 - 17 + 1 = 15 days of 31, at 3100 / 31 = 100 cents a day.
    assert (fee.days, fee.full_days, fee.amount_cents, fee.precise_amount_cents) == (15, 31, 1500, Decimal(1500))


def test_the_start_day_is_the_local_one():
    # 17 Mar 23:30Z is 18 Mar 00:30+01 in Paris: 18..31 March, 14 days of 31.
    fee = first_invoice_fee(monthly(utc(2022, 3, 17, 23, 30), PARIS), 3100, utc(2022, 4, 1))

    assert (fee.days, fee.full_days, fee.amount_cents) == (14, 31, 1400)


def test_a_period_across_a_dst_change_has_whole_local_days():
    # Paris, March 2026: 743 hours, but 31 days; the fee of the whole month is the plan's amount.
    subscription = monthly(utc(2026, 2, 1), PARIS)
    march = subscription.plan_periods.period_at(utc(2026, 3, 15))

    assert march.end - march.start == timedelta(days=31) - timedelta(hours=1)
    assert prorated_base_fee(999, march, march, PARIS).amount_cents == 999


def test_termination_bills_days_from_the_period_start_through_the_termination_day():
    """§5.2 termination in arrears: days(period start .. termination day, inclusive) x single day price."""
    subscription = monthly(utc(2022, 1, 1), terminated_at=utc(2022, 3, 10, 15, 20))
    window = termination_windows(subscription).base_fee

    fee = prorated_base_fee(3100, window, subscription.plan_periods.period_at(window.start), "UTC")

    assert (fee.days, fee.amount_cents) == (10, 1000)  # 1..10 March


def test_a_trial_covering_the_whole_period_bills_nothing():
    """§5.2 trial covering the whole period -> 0."""
    started_at = utc(2022, 3, 1)

    fee = first_invoice_fee(monthly(started_at), 3100, utc(2022, 4, 1), trial_end(started_at, Decimal(31)))

    assert (fee.days, fee.amount_cents, fee.precise_amount_cents) == (0, 0, 0)


@pytest.mark.parametrize(("trial_days", "timezone"), [
    (Decimal(10), "UTC"),  # 1 Mar 00:00Z + 10 days = 11 Mar 00:00Z
    (Decimal("10.5"), "UTC"),  # 11 Mar 12:00Z: the day the trial ends is billed
    # 1 Mar 00:00+01 = 28 Feb 23:00Z, + 10 days 00:14:24 = 10 Mar 23:14:24Z, which is 11 Mar 00:14:24+01.
    (Decimal("10.01"), PARIS),
])
def test_a_trial_ending_inside_the_period_bills_from_the_trial_end_day(trial_days, timezone):
    """§5.2 trial ending inside the period -> bill days from trial end to period end."""
    started_at = day_start(local_day(utc(2022, 3, 1, 12), timezone), timezone)

    ends = trial_end(started_at, trial_days)

    fee = first_invoice_fee(monthly(started_at, timezone), 3100, utc(2022, 4, 1, 12), ends)

    assert (fee.days, fee.amount_cents) == (31 - 11 + 1, 2100)  # 11..31 March


def test_a_trial_ending_in_the_next_period_prorates_that_one():
    started_at = utc(2022, 3, 1)
    subscription = monthly(started_at)
    ends = trial_end(started_at, Decimal(45))  # 1 Mar + 45 days = 15 Apr (31 days of March, then 14)

    assert ends == utc(2022, 4, 15)
    assert first_invoice_fee(subscription, 3000, utc(2022, 4, 1), ends).amount_cents == 0
    april = billing_windows(subscription, utc(2022, 5, 1)).base_fee
    fee = prorated_base_fee(3000, april, april, "UTC", ends)
    assert (fee.days, fee.full_days, fee.amount_cents) == (16, 30, 1600)  # 15..30 April


def test_trial_days_are_24_hours_and_may_be_fractional():
    assert trial_end(utc(2022, 3, 1), Decimal("1.5")) == utc(2022, 3, 2, 12)
    # Across Paris's DST change too: 29 Mar 2026 00:00+01 (28 Mar 23:00Z) + 24 h is 30 Mar 01:00+02.
    assert trial_end(utc(2026, 3, 28, 23), Decimal(1)) == utc(2026, 3, 29, 23)


def test_cumulative_rounding_of_a_half_cent():
    """45 cents over 30 days is 1.5 cents a day: the first day's piece rounds up to 2, so the other
    29 days get 45 - 2 = 43 (Lago, rounding each fee alone, would bill round(43.5) = 44 and 2: 46)."""
    april = Period(utc(2022, 4, 1), utc(2022, 5, 1))
    first_day, rest = Period(april.start, utc(2022, 4, 2)), Period(utc(2022, 4, 2), april.end)

    assert prorated_base_fee(45, first_day, april, "UTC").amount_cents == 2
    assert prorated_base_fee(45, rest, april, "UTC").amount_cents == 43
    assert prorated_base_fee(45, rest, april, "UTC").precise_amount_cents == Decimal("43.5")


def test_a_window_outside_the_full_period_is_refused():
    april = Period(utc(2022, 4, 1), utc(2022, 5, 1))

    with pytest.raises(ValueError):
        prorated_base_fee(3000, Period(utc(2022, 3, 31), utc(2022, 4, 10)), april, "UTC")


# --- Properties --------------------------------------------------------------------------------------

TIMEZONES = ["UTC", PARIS, "America/New_York", "America/Sao_Paulo", "Australia/Lord_Howe", "Pacific/Chatham"]


@st.composite
def full_periods(draw) -> tuple[Period, str]:
    """A plan period of any interval and billing time, and the timezone it is counted in."""
    timezone = draw(st.sampled_from(TIMEZONES))
    subscription_at = draw(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2080, 1, 1),
                                        timezones=st.just(UTC)))
    subscription = BillingTerms(draw(st.sampled_from(Interval)), draw(st.sampled_from(BillingTime)), timezone,
                                subscription_at, subscription_at)
    return subscription.plan_periods.period_at(subscription_at), timezone


amounts = st.integers(min_value=0, max_value=10**12)


def half_up(precise: Decimal) -> int:
    return int(precise.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(full_periods(), amounts, st.data())
def test_the_pieces_of_a_period_split_at_day_boundaries_add_up_to_the_full_fee(full_period, amount, data):
    period, timezone = full_period
    full_days = days_in(period, timezone)
    first_day = local_day(period.start, timezone)
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=full_days - 1), max_size=12)))
    edges = [period.start, *(day_start(first_day + timedelta(days=cut), timezone) for cut in cuts), period.end]
    pieces = [prorated_base_fee(amount, Period(start, end), period, timezone) for start, end in zip(edges, edges[1:])]

    assert sum(piece.amount_cents for piece in pieces) == amount
    assert sum(piece.days for piece in pieces) == full_days
    assert all(abs(piece.amount_cents - piece.precise_amount_cents) < 1 for piece in pieces)
    assert pieces[0].amount_cents == half_up(pieces[0].precise_amount_cents)  # from the start: Lago's rounding

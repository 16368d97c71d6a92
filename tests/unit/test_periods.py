"""Billing periods: Lago's examples, hand-worked periods for every interval, billing time and timezone
(DST included), the windows of each kind of invoice, and the tiling of time by consecutive periods."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.periods import (
    BillingTerms,
    BillingTime,
    BillingWindows,
    Interval,
    Period,
    billing_windows,
    current_usage_window,
    day_start,
    days_in,
    from_datetime,
    local_day,
    next_billing_at,
    starting_windows,
    termination_windows,
    to_datetime,
)
from chalicelib.domain.periods.period import after_last_second

PARIS, NEW_YORK = "Europe/Paris", "America/New_York"
CALENDAR, ANNIVERSARY = BillingTime.CALENDAR, BillingTime.ANNIVERSARY


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def terms(interval: str, billing_time: str = CALENDAR, *, subscription_at: datetime, timezone: str = "UTC",
          started_at: datetime | None = None, **options) -> BillingTerms:
    return BillingTerms(Interval(interval), BillingTime(billing_time), timezone, subscription_at,
                        started_at or subscription_at, **options)


def shown(window: Period | None) -> tuple[str, str] | None:
    return None if window is None else (from_datetime(window), to_datetime(window))


# --- lago-semantics.md: every date example, each row naming its section -----------------------------

class LagoExample(NamedTuple):
    terms: BillingTerms
    billing_at: datetime
    shown: tuple[str, str]


ANNIVERSARY_31_JAN_2022 = terms("monthly", ANNIVERSARY, subscription_at=utc(2022, 1, 31))
ANNIVERSARY_31_AUG_2022 = terms("monthly", ANNIVERSARY, subscription_at=utc(2022, 8, 31))

LAGO_EXAMPLES = {
    "§5.1 calendar monthly: billing 2022-03-01 bills February": LagoExample(terms("monthly", subscription_at=utc(2021, 6, 10)), utc(2022, 3, 1), ("2022-02-01T00:00:00Z", "2022-02-28T23:59:59Z")),
    "§5.1 anniversary monthly: sub 2021-02-02, billing 2022-03-02": LagoExample(terms("monthly", ANNIVERSARY, subscription_at=utc(2021, 2, 2)), utc(2022, 3, 2), ("2022-02-02T00:00:00Z", "2022-03-01T23:59:59Z")),
    "§5.1 sub 31 Jan 2022: the first period ends 02-27": LagoExample(ANNIVERSARY_31_JAN_2022, utc(2022, 2, 28), ("2022-01-31T00:00:00Z", "2022-02-27T23:59:59Z")),
    "§5.1 sub 31 Jan 2022: the next starts 02-28 and ends before the 31st of March": LagoExample(ANNIVERSARY_31_JAN_2022, utc(2022, 3, 31), ("2022-02-28T00:00:00Z", "2022-03-30T23:59:59Z")),
    "§5.1 sub 31 Jan 2022: the clamp does not drag later periods (back to the 31st)": LagoExample(ANNIVERSARY_31_JAN_2022, utc(2022, 4, 30), ("2022-03-31T00:00:00Z", "2022-04-29T23:59:59Z")),
    "§8.4 sub 31 Aug: the first period ends 29 Sep": LagoExample(ANNIVERSARY_31_AUG_2022, utc(2022, 9, 30), ("2022-08-31T00:00:00Z", "2022-09-29T23:59:59Z")),
    "§8.4 sub 31 Aug: the next starts 30 Sep": LagoExample(ANNIVERSARY_31_AUG_2022, utc(2022, 10, 31), ("2022-09-30T00:00:00Z", "2022-10-30T23:59:59Z")),
    "§1.3 the 31-day anniversary period 2022-07-09..08-08": LagoExample(terms("monthly", ANNIVERSARY, subscription_at=utc(2022, 5, 9)), utc(2022, 8, 9), ("2022-07-09T00:00:00Z", "2022-08-08T23:59:59Z")),
}


@pytest.mark.parametrize("example", LAGO_EXAMPLES.values(), ids=LAGO_EXAMPLES.keys())
def test_lago_examples_of_billed_periods(example):
    windows = billing_windows(example.terms, example.billing_at)

    assert shown(windows.base_fee) == example.shown
    assert shown(windows.charges) == example.shown


def test_lago_example_31_day_period_of_section_1_3():
    assert days_in(Period(utc(2022, 7, 9), utc(2022, 8, 9)), "UTC") == 31


@pytest.mark.parametrize("day_of_month", [28, 29, 30, 31])
def test_lago_example_last_day_of_a_short_month_bills_every_later_anniversary(day_of_month):
    """§5.1: billing on the last day of a short month bills all subscriptions whose day is >= that day."""
    subscription = terms("monthly", ANNIVERSARY, subscription_at=utc(2022, 1, day_of_month))

    assert next_billing_at(subscription, utc(2022, 2, 10)) == utc(2022, 2, 28)


@pytest.mark.parametrize(("interval", "billing_at", "full_days"), [
    ("monthly", utc(2022, 2, 1), 31),  # January
    ("monthly", utc(2022, 3, 1), 28),  # February 2022
    ("yearly", utc(2023, 1, 1), 365),  # 2022
    ("weekly", utc(2022, 3, 7), 7),  # Monday 2022-02-28 .. Sunday 2022-03-06
])
def test_lago_example_charges_duration_is_the_full_period(interval, billing_at, full_days):
    """§5.1: charges_duration is the number of days of the full period (31, 28, 365, 7...)."""
    charges = billing_windows(terms(interval, subscription_at=utc(2020, 1, 1)), billing_at).charges

    assert days_in(charges, "UTC") == full_days


# --- Hand-worked periods: every interval x billing time x timezone ------------------------------------
# 2026 facts used below: 1 Jan is a Thursday, 1 Feb and 1 Mar Sundays, 1 Apr a Wednesday, 1 Nov a Sunday.
# Paris is UTC+1 (CET), UTC+2 (CEST) from 29 Mar 2026 (last Sunday of March) to 25 Oct 2026, and in 2025
# until 26 Oct. New York is UTC-5 (EST), UTC-4 (EDT) from 8 Mar to 1 Nov 2026 (9 Mar to 2 Nov 2025).

class HandCase(NamedTuple):
    terms: BillingTerms
    at: datetime
    period: Period
    days: int


HAND_CASES = {
    # weekly calendar: Monday to Sunday.
    # Thursday 1 Jan 2026 - 3 days = Monday 29 Dec 2025; + 7 days = Monday 5 Jan.
    "weekly calendar UTC": HandCase(terms("weekly", subscription_at=utc(2025, 6, 1)), at=utc(2026, 1, 1, 12), period=Period(utc(2025, 12, 29), utc(2026, 1, 5)), days=7),
    # Sunday 29 Mar (1 Mar + 28); its week: Monday 23 Mar 00:00+01 = 22 Mar 23:00Z to Monday 30 Mar
    # 00:00+02 = 29 Mar 22:00Z (167 hours).
    "weekly calendar Paris, DST starts inside": HandCase(terms("weekly", subscription_at=utc(2026, 1, 1), timezone=PARIS), at=utc(2026, 3, 29, 12), period=Period(utc(2026, 3, 22, 23), utc(2026, 3, 29, 22)), days=7),
    # Sunday 1 Nov 07:00 EST; its week: Monday 26 Oct 00:00-04 = 04:00Z to Monday 2 Nov 00:00-05 = 05:00Z.
    "weekly calendar New York, DST ends inside": HandCase(terms("weekly", subscription_at=utc(2026, 1, 1), timezone=NEW_YORK), at=utc(2026, 11, 1, 12), period=Period(utc(2026, 10, 26, 4), utc(2026, 11, 2, 5)), days=7),
    # weekly anniversary: weeks start on the subscription's local weekday.
    # Thursdays from 1 Jan: 1, 8, 15, 22, 29 Jan, 5 Feb, 12 Feb; Tuesday 10 Feb falls in [5 Feb, 12 Feb).
    "weekly anniversary UTC": HandCase(terms("weekly", ANNIVERSARY, subscription_at=utc(2026, 1, 1, 15, 30)), at=utc(2026, 2, 10), period=Period(utc(2026, 2, 5), utc(2026, 2, 12)), days=7),
    # Wednesday 25 Mar 00:00+01 = 24 Mar 23:00Z to Wednesday 1 Apr 00:00+02 = 31 Mar 22:00Z.
    "weekly anniversary Paris, DST starts inside": HandCase(terms("weekly", ANNIVERSARY, subscription_at=utc(2026, 3, 25, 9), timezone=PARIS), at=utc(2026, 3, 31, 12), period=Period(utc(2026, 3, 24, 23), utc(2026, 3, 31, 22)), days=7),
    # 4 Mar 04:30Z is Tuesday 3 Mar 23:30 EST: the weeks start on Tuesdays.
    # Tuesday 3 Mar 00:00-05 = 05:00Z to Tuesday 10 Mar 00:00-04 (DST from 8 Mar) = 04:00Z.
    "weekly anniversary New York, local weekday differs from UTC's": HandCase(terms("weekly", ANNIVERSARY, subscription_at=utc(2026, 3, 4, 4, 30), timezone=NEW_YORK), at=utc(2026, 3, 8, 12), period=Period(utc(2026, 3, 3, 5), utc(2026, 3, 10, 4)), days=7),
    # monthly calendar.
    "monthly calendar UTC, leap February": HandCase(terms("monthly", subscription_at=utc(2023, 5, 5)), at=utc(2024, 2, 15), period=Period(utc(2024, 2, 1), utc(2024, 3, 1)), days=29),
    # 1 Mar 00:00+01 = 28 Feb 23:00Z to 1 Apr 00:00+02 = 31 Mar 22:00Z: 743 hours, 31 local days.
    "monthly calendar Paris, DST starts inside": HandCase(terms("monthly", subscription_at=utc(2026, 1, 1), timezone=PARIS), at=utc(2026, 3, 15, 12), period=Period(utc(2026, 2, 28, 23), utc(2026, 3, 31, 22)), days=31),
    # 1 Dec 03:00Z is 30 Nov 22:00 EST. 1 Nov 00:00-04 = 04:00Z to 1 Dec 00:00-05 = 05:00Z.
    "monthly calendar New York, still November locally": HandCase(terms("monthly", subscription_at=utc(2026, 1, 1), timezone=NEW_YORK), at=utc(2026, 12, 1, 3), period=Period(utc(2026, 11, 1, 4), utc(2026, 12, 1, 5)), days=30),
    # monthly anniversary.
    # 30 Jan, 29 Feb (a 29-day February), 30 Mar: 29 Feb + 29 days of March.
    "monthly anniversary UTC, the 30th clamped to 29 Feb": HandCase(terms("monthly", ANNIVERSARY, subscription_at=utc(2024, 1, 30, 8)), at=utc(2024, 2, 29, 12), period=Period(utc(2024, 2, 29), utc(2024, 3, 30)), days=1 + 29),
    # 30 Jan 23:30Z is 31 Jan 00:30+01: the anniversary is the 31st.
    # 31 Jan, 28 Feb, 31 Mar: 28 Feb 00:00+01 = 27 Feb 23:00Z to 31 Mar 00:00+02 = 30 Mar 22:00Z.
    "monthly anniversary Paris, the local 31st": HandCase(terms("monthly", ANNIVERSARY, subscription_at=utc(2026, 1, 30, 23, 30), timezone=PARIS), at=utc(2026, 3, 29, 12), period=Period(utc(2026, 2, 27, 23), utc(2026, 3, 30, 22)), days=1 + 30),
    # 15 Oct 00:00-04 = 04:00Z to 15 Nov 00:00-05 = 05:00Z; 15..31 Oct + 1..14 Nov.
    "monthly anniversary New York, DST ends inside": HandCase(terms("monthly", ANNIVERSARY, subscription_at=utc(2026, 10, 15, 16), timezone=NEW_YORK), at=utc(2026, 11, 10, 12), period=Period(utc(2026, 10, 15, 4), utc(2026, 11, 15, 5)), days=17 + 14),
    # quarterly calendar: January, April, July, October.
    "quarterly calendar UTC": HandCase(terms("quarterly", subscription_at=utc(2025, 2, 2)), at=utc(2026, 5, 20), period=Period(utc(2026, 4, 1), utc(2026, 7, 1)), days=30 + 31 + 30),
    # 1 Jan 00:00+01 = 31 Dec 2025 23:00Z to 1 Apr 00:00+02 = 31 Mar 22:00Z.
    "quarterly calendar Paris, DST starts inside": HandCase(terms("quarterly", subscription_at=utc(2025, 2, 2), timezone=PARIS), at=utc(2026, 1, 10), period=Period(utc(2025, 12, 31, 23), utc(2026, 3, 31, 22)), days=31 + 28 + 31),
    # 1 Oct 00:00-04 = 04:00Z to 1 Jan 2027 00:00-05 = 05:00Z.
    "quarterly calendar New York, DST ends inside": HandCase(terms("quarterly", subscription_at=utc(2025, 2, 2), timezone=NEW_YORK), at=utc(2026, 10, 31, 12), period=Period(utc(2026, 10, 1, 4), utc(2027, 1, 1, 5)), days=31 + 30 + 31),
    # quarterly anniversary: the subscription's day, every 3 months.
    # 30 Nov 2023, 29 Feb 2024, 30 May 2024.
    "quarterly anniversary UTC, the 30th clamped to 29 Feb": HandCase(terms("quarterly", ANNIVERSARY, subscription_at=utc(2023, 11, 30, 10)), at=utc(2024, 3, 1), period=Period(utc(2024, 2, 29), utc(2024, 5, 30)), days=1 + 31 + 30 + 29),
    # 15 Apr 00:00+02 = 14 Apr 22:00Z to 15 Jul 00:00+02 = 14 Jul 22:00Z.
    "quarterly anniversary Paris": HandCase(terms("quarterly", ANNIVERSARY, subscription_at=utc(2026, 1, 15, 8), timezone=PARIS), at=utc(2026, 4, 20), period=Period(utc(2026, 4, 14, 22), utc(2026, 7, 14, 22)), days=16 + 31 + 30 + 14),
    # 20 Dec 2025 00:00-05 = 05:00Z to 20 Mar 2026 00:00-04 = 04:00Z.
    "quarterly anniversary New York, DST starts inside": HandCase(terms("quarterly", ANNIVERSARY, subscription_at=utc(2025, 12, 20, 17), timezone=NEW_YORK), at=utc(2026, 2, 1), period=Period(utc(2025, 12, 20, 5), utc(2026, 3, 20, 4)), days=12 + 31 + 28 + 19),
    # semiannual calendar: January and July.
    "semiannual calendar UTC, the last second": HandCase(terms("semiannual", subscription_at=utc(2020, 3, 3)), at=utc(2024, 12, 31, 23, 59, 59), period=Period(utc(2024, 7, 1), utc(2025, 1, 1)), days=31 + 31 + 30 + 31 + 30 + 31),
    # 30 Jun 22:30Z is 1 Jul 00:30+02. 1 Jul 00:00+02 = 30 Jun 22:00Z to 1 Jan 2027 00:00+01 = 31 Dec 23:00Z.
    "semiannual calendar Paris, already July locally": HandCase(terms("semiannual", subscription_at=utc(2020, 3, 3), timezone=PARIS), at=utc(2026, 6, 30, 22, 30), period=Period(utc(2026, 6, 30, 22), utc(2026, 12, 31, 23)), days=31 + 31 + 30 + 31 + 30 + 31),
    # 1 Jan 00:00-05 = 05:00Z to 1 Jul 00:00-04 = 04:00Z.
    "semiannual calendar New York, DST starts inside": HandCase(terms("semiannual", subscription_at=utc(2020, 3, 3), timezone=NEW_YORK), at=utc(2026, 3, 1), period=Period(utc(2026, 1, 1, 5), utc(2026, 7, 1, 4)), days=31 + 28 + 31 + 30 + 31 + 30),
    # semiannual anniversary: the subscription's day, every 6 months.
    # 31 Aug 2023, 29 Feb 2024, 31 Aug 2024.
    "semiannual anniversary UTC, the 31st clamped to 29 Feb": HandCase(terms("semiannual", ANNIVERSARY, subscription_at=utc(2023, 8, 31)), at=utc(2024, 3, 15), period=Period(utc(2024, 2, 29), utc(2024, 8, 31)), days=1 + 31 + 30 + 31 + 30 + 31 + 30),
    # 10 Oct 2025 00:00+02 = 9 Oct 22:00Z to 10 Apr 2026 00:00+02 = 9 Apr 22:00Z.
    "semiannual anniversary Paris, DST ends and starts inside": HandCase(terms("semiannual", ANNIVERSARY, subscription_at=utc(2025, 10, 10, 8), timezone=PARIS), at=utc(2026, 1, 1), period=Period(utc(2025, 10, 9, 22), utc(2026, 4, 9, 22)), days=22 + 30 + 31 + 31 + 28 + 31 + 9),
    # 31 May, 30 Nov, 31 May 2027: 30 Nov 00:00-05 = 05:00Z to 31 May 2027 00:00-04 = 04:00Z.
    "semiannual anniversary New York, the 31st clamped to 30 Nov": HandCase(terms("semiannual", ANNIVERSARY, subscription_at=utc(2026, 5, 31, 16), timezone=NEW_YORK), at=utc(2026, 12, 15), period=Period(utc(2026, 11, 30, 5), utc(2027, 5, 31, 4)), days=1 + 31 + 31 + 28 + 31 + 30 + 30),
    # yearly calendar: January.
    "yearly calendar UTC, leap year": HandCase(terms("yearly", subscription_at=utc(2020, 3, 3)), at=utc(2024, 7, 1), period=Period(utc(2024, 1, 1), utc(2025, 1, 1)), days=366),
    # 1 Jan 2027 00:00+01 = 31 Dec 2026 23:00Z to 1 Jan 2028 00:00+01 = 31 Dec 2027 23:00Z.
    "yearly calendar Paris, already 2027 locally": HandCase(terms("yearly", subscription_at=utc(2020, 3, 3), timezone=PARIS), at=utc(2026, 12, 31, 23, 30), period=Period(utc(2026, 12, 31, 23), utc(2027, 12, 31, 23)), days=365),
    # 1 Jan 2026 03:00Z is 31 Dec 2025 22:00 EST. 1 Jan 2025 00:00-05 = 05:00Z to 1 Jan 2026 05:00Z.
    "yearly calendar New York, still 2025 locally": HandCase(terms("yearly", subscription_at=utc(2020, 3, 3), timezone=NEW_YORK), at=utc(2026, 1, 1, 3), period=Period(utc(2025, 1, 1, 5), utc(2026, 1, 1, 5)), days=365),
    # yearly anniversary.
    "yearly anniversary UTC, 29 Feb clamped to 28 Feb": HandCase(terms("yearly", ANNIVERSARY, subscription_at=utc(2024, 2, 29, 10)), at=utc(2025, 3, 1), period=Period(utc(2025, 2, 28), utc(2026, 2, 28)), days=365),
    # 15 Jun 2025 00:00+02 = 14 Jun 22:00Z to 15 Jun 2026 00:00+02 = 14 Jun 22:00Z; 23:59:59 local.
    "yearly anniversary Paris, the last second": HandCase(terms("yearly", ANNIVERSARY, subscription_at=utc(2025, 6, 15, 10), timezone=PARIS), at=utc(2026, 6, 14, 21, 59, 59), period=Period(utc(2025, 6, 14, 22), utc(2026, 6, 14, 22)), days=365),
    # 1 Nov 2025 04:30Z is 00:30 EDT (DST ends 2 Nov 2025 and 1 Nov 2026 at 02:00).
    "yearly anniversary New York, 1 Nov before the change both years": HandCase(terms("yearly", ANNIVERSARY, subscription_at=utc(2025, 11, 1, 4, 30), timezone=NEW_YORK), at=utc(2026, 1, 1), period=Period(utc(2025, 11, 1, 4), utc(2026, 11, 1, 4)), days=365),
}


@pytest.mark.parametrize("case", HAND_CASES.values(), ids=HAND_CASES.keys())
def test_hand_worked_period_containing_an_instant(case):
    schedule = case.terms.plan_periods

    assert schedule.period_at(case.at) == case.period
    assert days_in(case.period, case.terms.timezone) == case.days
    assert next_billing_at(case.terms, case.at) == case.period.end
    assert schedule.period_at(case.period.end).start == case.period.end


def test_every_interval_billing_time_and_timezone_is_worked_by_hand():
    covered = {(case.terms.interval, case.terms.billing_time, case.terms.timezone) for case in HAND_CASES.values()}

    assert covered == {(interval, billing_time, timezone) for interval in Interval for billing_time in BillingTime
                       for timezone in ("UTC", PARIS, NEW_YORK)}


def test_a_yearly_anniversary_on_29_february_returns_to_it_in_leap_years():
    schedule = terms("yearly", ANNIVERSARY, subscription_at=utc(2024, 2, 29)).plan_periods

    assert schedule.period_at(utc(2027, 6, 1)) == Period(utc(2027, 2, 28), utc(2028, 2, 29))
    assert days_in(schedule.period_at(utc(2027, 6, 1)), "UTC") == 366  # 2027-02-28 .. 2028-02-28
    assert schedule.period_at(utc(2028, 2, 29)) == Period(utc(2028, 2, 29), utc(2029, 2, 28))


def test_a_skipped_local_midnight_begins_the_day_at_the_clock_change():
    """São Paulo's clocks went from 23:59:59 -03 on 3 Nov 2018 to 01:00 -02 on 4 Nov: no 00:00 that day."""
    schedule = terms("monthly", ANNIVERSARY, subscription_at=utc(2018, 10, 4, 12),
                     timezone="America/Sao_Paulo").plan_periods

    # 4 Oct 00:00-03 = 03:00Z to 4 Nov 01:00-02 = 03:00Z, the first instant of 4 Nov.
    assert schedule.period_at(utc(2018, 10, 20)) == Period(utc(2018, 10, 4, 3), utc(2018, 11, 4, 3))
    assert days_in(schedule.period_at(utc(2018, 10, 20)), "America/Sao_Paulo") == 31


def test_a_repeated_local_midnight_begins_the_day_at_its_first_occurrence():
    """Havana's clocks go back from 01:00 -04 to 00:00 -05 on 1 Nov 2026: midnight happens twice."""
    schedule = terms("monthly", subscription_at=utc(2026, 1, 1), timezone="America/Havana").plan_periods

    # 1 Nov 00:00-04 = 04:00Z (the second midnight is 05:00Z); 04:30Z is 00:30 -04 on 1 Nov.
    assert schedule.period_at(utc(2026, 11, 1, 4, 30)).start == utc(2026, 11, 1, 4)
    assert schedule.period_at(utc(2026, 11, 1, 3, 59, 59)).end == utc(2026, 11, 1, 4)


def test_a_clock_turned_back_across_midnight_leaves_the_instant_in_the_day_that_began():
    """St John's went from 00:00:59 -02:30 on 7 Nov 2010 back to 23:01 -03:30 on 6 Nov."""
    # Weeks from Sunday 31 Oct 2010 (7 Nov - 7); Sunday 7 Nov begins at 00:00-02:30 = 02:30Z.
    subscription = terms("weekly", ANNIVERSARY, subscription_at=utc(2010, 10, 31, 12), timezone="America/St_Johns")
    repeated_hour = utc(2010, 11, 7, 3)  # reads 6 Nov 23:30 -03:30, an hour after 7 Nov began

    assert local_day(repeated_hour, "America/St_Johns") == date(2010, 11, 6)
    assert subscription.plan_periods.period_at(repeated_hour).start == utc(2010, 11, 7, 2, 30)


# --- The windows of each invoice --------------------------------------------------------------------

def test_first_period_charges_start_at_the_start_instant_and_the_base_fee_at_00_00_that_day():
    """§5.1 first period: from_datetime at 00:00 of the start day, charges_from_datetime at started_at."""
    subscription = terms("monthly", subscription_at=utc(2022, 3, 17, 14, 25))

    windows = billing_windows(subscription, utc(2022, 4, 1, 0, 5))

    assert shown(windows.base_fee) == ("2022-03-17T00:00:00Z", "2022-03-31T23:59:59Z")
    assert shown(windows.charges) == ("2022-03-17T14:25:00Z", "2022-03-31T23:59:59Z")


def test_first_period_base_fee_starts_at_local_midnight():
    # 17 Mar 14:25Z is 15:25+01 in Paris; that day began at 17 Mar 00:00+01 = 16 Mar 23:00Z.
    subscription = terms("monthly", subscription_at=utc(2022, 3, 17, 14, 25), timezone=PARIS)

    windows = billing_windows(subscription, utc(2022, 4, 1, 5))

    assert windows.base_fee == Period(utc(2022, 3, 16, 23), utc(2022, 3, 31, 22))
    assert windows.charges == Period(utc(2022, 3, 17, 14, 25), utc(2022, 3, 31, 22))
    assert shown(windows.base_fee) == ("2022-03-16T23:00:00Z", "2022-03-31T21:59:59Z")


def test_windows_are_in_utc_whatever_the_zone_of_the_start_instant():
    started_at = datetime(2022, 3, 17, 15, 25, tzinfo=ZoneInfo(PARIS))  # 14:25Z

    charges = billing_windows(terms("monthly", subscription_at=started_at), utc(2022, 4, 1)).charges

    assert charges.start.utcoffset() == timedelta(0) and charges.start == utc(2022, 3, 17, 14, 25)


def test_a_run_before_the_first_period_ended_bills_nothing_in_arrears():
    subscription = terms("monthly", subscription_at=utc(2022, 3, 17, 14, 25))

    assert billing_windows(subscription, utc(2022, 3, 20)) == BillingWindows(None, None)
    assert starting_windows(subscription) == BillingWindows(None, None)


def test_pay_in_advance_bills_the_new_periods_fee_with_the_previous_periods_charges():
    """§5.1 pay_in_advance: base fee for the period that starts today, charges for the one that ended."""
    subscription = terms("monthly", subscription_at=utc(2022, 1, 10, 9), pay_in_advance=True)

    windows = billing_windows(subscription, utc(2022, 3, 1))

    assert shown(windows.base_fee) == ("2022-03-01T00:00:00Z", "2022-03-31T23:59:59Z")
    assert shown(windows.charges) == ("2022-02-01T00:00:00Z", "2022-02-28T23:59:59Z")


def test_pay_in_advance_start_bills_the_rest_of_the_first_period():
    subscription = terms("monthly", subscription_at=utc(2022, 1, 10, 9), pay_in_advance=True)

    windows = starting_windows(subscription)

    assert shown(windows.base_fee) == ("2022-01-10T00:00:00Z", "2022-01-31T23:59:59Z")
    assert windows.charges is None
    # The first periodic run: February's fee, and January's charges from the start instant.
    windows = billing_windows(subscription, utc(2022, 2, 1))
    assert shown(windows.base_fee) == ("2022-02-01T00:00:00Z", "2022-02-28T23:59:59Z")
    assert shown(windows.charges) == ("2022-01-10T09:00:00Z", "2022-01-31T23:59:59Z")


def test_pay_in_advance_anniversary():
    subscription = terms("monthly", ANNIVERSARY, subscription_at=utc(2022, 1, 10, 9), pay_in_advance=True)

    windows = billing_windows(subscription, utc(2022, 2, 10, 1))

    assert shown(windows.base_fee) == ("2022-02-10T00:00:00Z", "2022-03-09T23:59:59Z")
    assert shown(windows.charges) == ("2022-01-10T09:00:00Z", "2022-02-09T23:59:59Z")


@pytest.mark.parametrize("subscription, month_at, month_charges, period_end_at, base_fee, last_month_charges", [
    pytest.param(terms("yearly", subscription_at=utc(2022, 1, 1), bill_charges_monthly=True),
                 utc(2022, 5, 1), ("2022-04-01T00:00:00Z", "2022-04-30T23:59:59Z"),
                 utc(2023, 1, 1), ("2022-01-01T00:00:00Z", "2022-12-31T23:59:59Z"),
                 ("2022-12-01T00:00:00Z", "2022-12-31T23:59:59Z"),
                 id="yearly in arrears: the yearly fee only in January"),
    # Months: 31 Jan, 28 Feb, 31 Mar, 30 Apr, 31 May, 30 Jun, 31 Jul; half-years: 31 Jan, 31 Jul.
    pytest.param(terms("semiannual", ANNIVERSARY, subscription_at=utc(2022, 1, 31), bill_charges_monthly=True),
                 utc(2022, 2, 28), ("2022-01-31T00:00:00Z", "2022-02-27T23:59:59Z"),
                 utc(2022, 7, 31), ("2022-01-31T00:00:00Z", "2022-07-30T23:59:59Z"),
                 ("2022-06-30T00:00:00Z", "2022-07-30T23:59:59Z"),
                 id="semiannual anniversary: the months follow the anniversary clamp"),
])
def test_bill_charges_monthly_bills_each_month_s_charges_and_the_fee_at_the_period_end(
        subscription, month_at, month_charges, period_end_at, base_fee, last_month_charges):
    month, period_end = billing_windows(subscription, month_at), billing_windows(subscription, period_end_at)

    assert month.base_fee is None
    assert shown(month.charges) == month_charges
    assert shown(period_end.base_fee) == base_fee
    assert shown(period_end.charges) == last_month_charges


def test_bill_charges_monthly_bills_on_the_first_of_the_next_month():
    subscription = terms("yearly", subscription_at=utc(2022, 1, 1), bill_charges_monthly=True)

    assert next_billing_at(subscription, utc(2022, 5, 17)) == utc(2022, 6, 1)


def test_bill_charges_monthly_in_advance_bills_the_new_year_with_last_months_charges():
    subscription = terms("yearly", subscription_at=utc(2022, 1, 1), bill_charges_monthly=True, pay_in_advance=True)

    assert billing_windows(subscription, utc(2022, 5, 1)).base_fee is None
    windows = billing_windows(subscription, utc(2023, 1, 1))
    assert shown(windows.base_fee) == ("2023-01-01T00:00:00Z", "2023-12-31T23:59:59Z")
    assert shown(windows.charges) == ("2022-12-01T00:00:00Z", "2022-12-31T23:59:59Z")


def test_bill_charges_monthly_is_ignored_for_quarterly_plans():
    subscription = terms("quarterly", subscription_at=utc(2022, 1, 1), bill_charges_monthly=True)

    assert next_billing_at(subscription, utc(2022, 2, 1)) == utc(2022, 4, 1)


def test_termination_bills_through_the_termination_second():
    """§5.1 last period: to and charges_to clamped to terminated_at; the termination day is billed."""
    subscription = terms("monthly", subscription_at=utc(2022, 1, 1), terminated_at=utc(2022, 3, 10, 15, 20))

    windows = termination_windows(subscription)

    assert shown(windows.base_fee) == ("2022-03-01T00:00:00Z", "2022-03-10T15:20:00Z")
    assert shown(windows.charges) == ("2022-03-01T00:00:00Z", "2022-03-10T15:20:00Z")
    assert days_in(windows.base_fee, "UTC") == 10  # 1..10 March, inclusive


def test_termination_at_midnight_still_bills_that_day():
    subscription = terms("monthly", subscription_at=utc(2022, 1, 1), terminated_at=utc(2022, 3, 10))

    assert days_in(termination_windows(subscription).base_fee, "UTC") == 10


def test_termination_of_a_pay_in_advance_plan_bills_only_charges():
    subscription = terms("monthly", subscription_at=utc(2022, 1, 1), pay_in_advance=True,
                         terminated_at=utc(2022, 3, 10, 15, 20))

    assert termination_windows(subscription).base_fee is None
    # A run after the termination does not bill a period the subscription never reached.
    assert billing_windows(subscription, utc(2022, 4, 1)).base_fee is None


def test_termination_of_an_active_subscription_is_refused():
    with pytest.raises(ValueError):
        termination_windows(terms("monthly", subscription_at=utc(2022, 1, 1)))


def test_current_usage_covers_the_charges_period_from_the_start_instant():
    subscription = terms("monthly", subscription_at=utc(2022, 3, 17, 14, 25))

    assert shown(current_usage_window(subscription, utc(2022, 3, 20))) == ("2022-03-17T14:25:00Z",
                                                                            "2022-03-31T23:59:59Z")
    assert shown(current_usage_window(subscription, utc(2022, 4, 20))) == ("2022-04-01T00:00:00Z",
                                                                            "2022-04-30T23:59:59Z")


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        local_day(datetime(2022, 1, 1), "UTC")


# --- Properties: consecutive periods tile time -------------------------------------------------------

# UTC, DST zones, a midnight skipped (São Paulo) and repeated (Havana), a clock turned back across
# midnight (St John's), half-hour DST (Lord Howe), odd offsets (Kathmandu, Chatham).
TIMEZONES = ["UTC", PARIS, NEW_YORK, "America/Sao_Paulo", "America/Havana", "America/St_Johns",
             "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham"]
FULL_DAYS = {Interval.WEEKLY: {7}, Interval.MONTHLY: {28, 29, 30, 31}, Interval.QUARTERLY: {89, 90, 91, 92},
             Interval.SEMIANNUAL: {181, 182, 183, 184}, Interval.YEARLY: {365, 366}}
instants = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2080, 1, 1), timezones=st.just(UTC))
billing_terms = st.builds(terms, st.sampled_from(Interval), st.sampled_from(BillingTime),
                          subscription_at=instants, timezone=st.sampled_from(TIMEZONES))


@given(billing_terms, instants, st.data())
def test_consecutive_periods_tile_time(subscription, moment, data):
    schedule = subscription.plan_periods
    first = schedule.index_at(moment)
    periods = [schedule.period(index) for index in range(first - 1, first + 6)]

    for period, following in zip(periods, periods[1:]):
        assert period.start < period.end == following.start
        assert days_in(period, subscription.timezone) in FULL_DAYS[subscription.interval]
    probe = data.draw(st.datetimes(min_value=periods[0].start.replace(tzinfo=None),
                                   max_value=(periods[-1].end - timedelta(microseconds=1)).replace(tzinfo=None),
                                   timezones=st.just(UTC)))
    assert [probe in period for period in periods].count(True) == 1
    assert probe in schedule.period_at(probe)


@given(billing_terms, instants)
def test_the_period_containing_an_instant_contains_it_and_starts_at_a_local_midnight(subscription, moment):
    period = subscription.plan_periods.period_at(moment)

    assert moment in period
    assert period.start == day_start(local_day(period.start, subscription.timezone), subscription.timezone)
    assert next_billing_at(subscription, moment) == period.end


@given(instants, st.sampled_from(TIMEZONES), instants)
def test_anniversary_months_start_on_the_anniversary_or_the_last_day_of_a_shorter_month(subscription_at, timezone,
                                                                                        moment):
    anniversary = local_day(subscription_at, timezone)
    schedule = terms("monthly", ANNIVERSARY, subscription_at=subscription_at, timezone=timezone).plan_periods

    start_day = local_day(schedule.period_at(moment).start, timezone)

    next_month_first = (start_day.replace(day=1) + timedelta(days=32)).replace(day=1)
    last_day_of_month = (next_month_first - timedelta(days=1)).day
    assert start_day.day == min(anniversary.day, last_day_of_month)


def test_a_last_second_billed_is_covered_whole():
    """terminated_at 16 Nov 10:00:00 is the last second billed: coverage ends (exclusive) at 10:00:01, and a period
    ending there shows 10:00:00 as its inclusive end."""
    last = datetime(2026, 11, 16, 10, tzinfo=UTC)
    assert after_last_second(last) == datetime(2026, 11, 16, 10, 0, 1, tzinfo=UTC)
    assert Period(datetime(2026, 11, 1, tzinfo=UTC), after_last_second(last)).last_second == last

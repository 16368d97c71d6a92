"""Plan intervals and billing times, and the local days on which their periods begin."""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum


class Interval(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    YEARLY = "yearly"


class BillingTime(StrEnum):
    CALENDAR = "calendar"
    ANNIVERSARY = "anniversary"


# A Monday that is also a 1st of January: every calendar period (Monday weeks; months, quarters,
# half-years and years from January) begins a whole number of intervals after it.
CALENDAR_ANCHOR = date(2001, 1, 1)

_MONTHS = {Interval.MONTHLY: 1, Interval.QUARTERLY: 3, Interval.SEMIANNUAL: 6, Interval.YEARLY: 12}


def anchor_day(billing_time: BillingTime, subscription_day: date) -> date:
    """The day periods are counted from: the calendar's, or the subscription's own local day."""
    return CALENDAR_ANCHOR if billing_time == BillingTime.CALENDAR else subscription_day


def period_start_day(interval: Interval, anchor: date, index: int) -> date:
    """The day period `index` begins (period 0 begins on `anchor`).

    Counted from the anchor, never from the previous period, so a day clamped to the end of a short
    month does not drag the later ones: 31 Jan, 28 Feb, 31 Mar."""
    if interval == Interval.WEEKLY:
        return anchor + timedelta(weeks=index)
    months = anchor.month - 1 + index * _MONTHS[interval]
    year, month = anchor.year + months // 12, months % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def period_index(interval: Interval, anchor: date, day: date) -> int:
    """The index of the period that contains `day`."""
    if interval == Interval.WEEKLY:
        return (day - anchor).days // 7
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    index = months // _MONTHS[interval]
    # The period beginning in `day`'s month may begin later in that month than `day`.
    return index if period_start_day(interval, anchor, index) <= day else index - 1

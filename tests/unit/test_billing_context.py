"""The billing context of a subscription at one instant, worked out by hand: the charges period containing it, the
part billed (from the start instant through the termination second) and the aggregation window (its days those of
the full period), on calendar and anniversary terms, in a timezone with a DST change, cut by a termination, after
an upgrade, and for a subscription still pending."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import model_builders as models

from chalicelib.domain.aggregations.windows import Window, epoch_ms
from chalicelib.domain.billing_context import billing_context, starts_at
from chalicelib.domain.periods import Period
from chalicelib.domain.subscriptions import Subscription

MONTHLY = models.plan()
YEARLY_CHARGED_MONTHLY = MONTHLY.model_copy(update={"interval": "yearly", "bill_charges_monthly": True})


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def subscription(started_at: datetime | None, billing_time: str = "calendar", *, status: str = "active",
                 subscription_at: datetime | None = None, terminated_at: datetime | None = None,
                 upgraded: bool = False) -> Subscription:
    return models.subscription(billing_time=billing_time, status=status, subscription_at=subscription_at or started_at,
                               started_at=started_at, terminated_at=terminated_at, terminated_by_upgrade=upgraded)


def window(start: datetime, end: datetime, days: int, timezone: str = "UTC", upgraded: bool = False) -> Window:
    return Window(epoch_ms(start), epoch_ms(end), days, timezone, upgraded=upgraded)


def test_calendar_terms_bill_march_from_the_start_instant_over_its_31_days():
    context = billing_context(subscription(utc(2026, 3, 15, 10, 30)), MONTHLY, "UTC", utc(2026, 3, 20))
    assert context.period == Period(utc(2026, 3, 1), utc(2026, 4, 1))
    assert context.billed == Period(utc(2026, 3, 15, 10, 30), utc(2026, 4, 1))
    assert context.window == window(utc(2026, 3, 15, 10, 30), utc(2026, 4, 1), 31)


def test_the_next_calendar_period_is_billed_whole():
    context = billing_context(subscription(utc(2026, 3, 15, 10, 30)), MONTHLY, "UTC", utc(2026, 4, 30, 23, 59))
    assert context.billed == context.period == Period(utc(2026, 4, 1), utc(2026, 5, 1))
    assert context.window == window(utc(2026, 4, 1), utc(2026, 5, 1), 30)


def test_anniversary_terms_run_from_the_subscription_day_to_the_same_day_next_month():
    context = billing_context(subscription(utc(2026, 3, 15, 10, 30), "anniversary"), MONTHLY, "UTC",
                              utc(2026, 4, 20))
    assert context.billed == context.period == Period(utc(2026, 4, 15), utc(2026, 5, 15))
    assert context.window == window(utc(2026, 4, 15), utc(2026, 5, 15), 30)  # 15 April .. 14 May


def test_periods_are_the_customers_local_months_across_a_dst_change():
    paris = ZoneInfo("Europe/Paris")
    context = billing_context(subscription(utc(2026, 1, 1)), MONTHLY, "Europe/Paris", utc(2026, 3, 29, 12))
    # 1 March 00:00 in Paris is 23:00 UTC the day before (CET); 1 April 00:00 is 22:00 UTC (CEST since 29 March).
    assert context.period == Period(datetime(2026, 3, 1, tzinfo=paris).astimezone(UTC), utc(2026, 3, 31, 22))
    assert context.period.start == utc(2026, 2, 28, 23)
    assert context.window == window(utc(2026, 2, 28, 23), utc(2026, 3, 31, 22), 31, "Europe/Paris")


def test_a_termination_inside_the_period_cuts_the_billed_part_after_its_last_second():
    ended = subscription(utc(2026, 1, 1), status="terminated", terminated_at=utc(2026, 3, 9, 23, 59, 59))
    context = billing_context(ended, MONTHLY, "UTC", utc(2026, 3, 5))
    assert context.period == Period(utc(2026, 3, 1), utc(2026, 4, 1))
    assert context.billed == Period(utc(2026, 3, 1), utc(2026, 3, 10))
    assert context.window == window(utc(2026, 3, 1), utc(2026, 3, 10), 31)  # divided by March's days, not 9


def test_nothing_is_billed_of_a_period_after_the_termination():
    ended = subscription(utc(2026, 1, 1), status="terminated", terminated_at=utc(2026, 3, 9, 23, 59, 59))
    context = billing_context(ended, MONTHLY, "UTC", utc(2026, 4, 2))
    assert (context.period, context.billed, context.window) == (Period(utc(2026, 4, 1), utc(2026, 5, 1)), None, None)


def test_an_upgrade_leaves_the_last_day_of_its_period_to_the_new_plan_and_only_that_period():
    upgraded = subscription(utc(2026, 1, 1), status="terminated", terminated_at=utc(2026, 3, 9, 12), upgraded=True)
    march = billing_context(upgraded, MONTHLY, "UTC", utc(2026, 3, 1))
    assert march.billed == Period(utc(2026, 3, 1), utc(2026, 3, 9, 12, 0, 1))
    assert march.window == window(utc(2026, 3, 1), utc(2026, 3, 9, 12, 0, 1), 31, upgraded=True)
    assert march.window.persisted_days == 8  # 1..9 March touched, the 9th is the new plan's
    february = billing_context(upgraded, MONTHLY, "UTC", utc(2026, 2, 10))
    assert february.window == window(utc(2026, 2, 1), utc(2026, 3, 1), 28)


def test_a_yearly_plan_billing_charges_monthly_has_monthly_charges_periods():
    context = billing_context(subscription(utc(2026, 1, 1)), YEARLY_CHARGED_MONTHLY, "UTC", utc(2026, 2, 14))
    assert context.period == Period(utc(2026, 2, 1), utc(2026, 3, 1))
    assert context.terms.plan_periods.period_at(utc(2026, 2, 14)) == Period(utc(2026, 1, 1), utc(2027, 1, 1))


def test_a_pending_subscription_is_billed_from_its_subscription_at():
    pending = subscription(None, status="pending", subscription_at=utc(2026, 5, 10, 8))
    assert starts_at(pending) == utc(2026, 5, 10, 8)
    context = billing_context(pending, MONTHLY, "UTC", utc(2026, 5, 12))
    assert context.billed == Period(utc(2026, 5, 10, 8), utc(2026, 6, 1))
    assert context.window == window(utc(2026, 5, 10, 8), utc(2026, 6, 1), 31)

"""The migration rule, pure (chalicelib/domain/backdating.py): what a subscription activated by a request bills by
itself, what only a backfill bills, and how a backfill walks the history (chalicelib/domain/billing_steps.py).
Calendar months in UTC unless a test says otherwise; instants written out."""
from __future__ import annotations

from datetime import UTC, datetime

import model_builders as models
import pytest
from hypothesis import given
from hypothesis import strategies as st
from model_builders import plan

from chalicelib.domain.backdating import UnbilledHistory, started_on_request_day
from chalicelib.domain.billing_steps import after_invoice, next_backfill_step, next_step
from chalicelib.domain.periods import Period
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription, activated_subscription


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def pending(subscription_at: datetime, **fields) -> Subscription:
    return models.subscription(status="pending", subscription_at=subscription_at, **fields)


def activated(subscription_at: datetime, requested_at: datetime | None, timezone: str = "UTC", **plan_options):
    return activated_subscription(pending(subscription_at), plan(**plan_options), timezone, requested_at=requested_at)


def current(subscription: Subscription) -> tuple:
    return subscription.current_billing_period_start, subscription.current_billing_period_end


# ---------------------------------------------------------------------------------------------- activation


def test_dated_three_months_back_it_bills_from_the_period_of_the_request_and_owes_the_rest_as_history():
    """Dated 7 September, requested 7 December: December is live; September (from the 7th), October and November
    are history, until 1 December."""
    subscription = activated(utc(2026, 9, 7), utc(2026, 12, 7, 12))
    assert (subscription.status, subscription.started_at) == ("active", utc(2026, 9, 7))
    assert current(subscription) == (utc(2026, 12, 1), utc(2027, 1, 1))
    assert subscription.starting_invoice_due is False
    assert subscription.unbilled_history == UnbilledHistory(
        starting_due=False, period_start=utc(2026, 9, 7), period_end=utc(2026, 10, 1), until=utc(2026, 12, 1))


def test_started_in_the_period_of_the_request_it_has_no_history_to_bill_in_arrears():
    subscription = activated(utc(2026, 12, 4), utc(2026, 12, 7))
    assert current(subscription) == (utc(2026, 12, 4), utc(2027, 1, 1))
    assert subscription.unbilled_history is None


def test_a_pay_in_advance_plan_bills_its_start_at_once_only_the_day_it_starts():
    """Lago's "today", in the customer's timezone: dated 00:00 UTC and requested 23:00 UTC on 1 December is the
    same day in UTC, but 2 December 00:00 in Paris (CET, +01:00) against 1 December 01:00: a past day there."""
    same_day = activated(utc(2026, 12, 1), utc(2026, 12, 1, 23), pay_in_advance=True)
    assert (same_day.starting_invoice_due, same_day.unbilled_history) == (True, None)
    paris = activated(utc(2026, 12, 1), utc(2026, 12, 1, 23), "Europe/Paris", pay_in_advance=True)
    assert paris.starting_invoice_due is False
    assert paris.unbilled_history == UnbilledHistory(starting_due=True, until=utc(2026, 12, 1))  # its start
    assert started_on_request_day(utc(2026, 12, 1), utc(2026, 12, 1, 23), "Europe/Paris") is False


def test_the_biller_activating_a_pending_subscription_bills_it_from_its_start():
    """No request: activated when its time comes (however late the biller runs), every period is its own."""
    subscription = activated(utc(2026, 9, 7), None, pay_in_advance=True)
    assert current(subscription) == (utc(2026, 9, 7), utc(2026, 10, 1))
    assert (subscription.starting_invoice_due, subscription.unbilled_history) == (True, None)


def test_a_request_at_a_boundary_leaves_the_period_that_just_ended_to_history():
    """Requested at 1 December 00:00:00 exactly: November ended at that instant, before the request could bill it."""
    subscription = activated(utc(2026, 11, 1), utc(2026, 12, 1))
    assert current(subscription) == (utc(2026, 12, 1), utc(2027, 1, 1))
    assert subscription.unbilled_history.period_end == utc(2026, 12, 1)


def test_not_before_clamps_a_past_day_start_to_the_last_termination():
    """Lago's clamp applies to a subscription dated a past day only."""
    clamped = activated_subscription(pending(utc(2026, 9, 1)), plan(), "UTC", requested_at=utc(2026, 10, 15),
                                     not_before=utc(2026, 10, 10, 12))
    assert clamped.started_at == utc(2026, 10, 10, 12)
    assert (current(clamped), clamped.unbilled_history) == ((utc(2026, 10, 10, 12), utc(2026, 11, 1)), None)
    today = activated_subscription(pending(utc(2026, 10, 15, 1)), plan(), "UTC", requested_at=utc(2026, 10, 15, 9),
                                   not_before=utc(2026, 10, 15, 5))
    assert today.started_at == utc(2026, 10, 15, 1)


# ------------------------------------------------------------------------------------------- backfill steps


def steps(subscription: Subscription, plan_: Plan) -> list[tuple]:
    """Every backfill step of the subscription, in order, each applied."""
    walked = []
    while (step := next_backfill_step(subscription)) is not None:
        walked.append((step.kind, step.at))
        subscription = after_invoice(step, plan_, "UTC", utc(2027, 1, 1), draft_invoice_id=None)
    return walked


def test_a_backfill_walks_the_starting_invoice_then_each_period_up_to_the_live_one():
    advance = plan(pay_in_advance=True)
    subscription = activated_subscription(pending(utc(2026, 9, 10)), advance, "UTC", requested_at=utc(2026, 12, 7))
    assert steps(subscription, advance) == [("starting", utc(2026, 9, 10)), ("periodic", utc(2026, 10, 1)),
                                            ("periodic", utc(2026, 11, 1)), ("periodic", utc(2026, 12, 1))]


def test_a_backfilled_step_never_moves_the_live_period():
    subscription = activated(utc(2026, 9, 7), utc(2026, 12, 7))
    step = next_backfill_step(subscription)
    assert (step.kind, step.at, step.backfill) == ("periodic", utc(2026, 10, 1), True)
    assert step.invoice_group() == "backfill-periodic"
    after = after_invoice(step, plan(), "UTC", utc(2026, 12, 8), draft_invoice_id="draft")
    assert current(after) == current(subscription)
    assert (after.unbilled_history.period_start, after.unbilled_history.period_end) == (utc(2026, 10, 1),
                                                                                        utc(2026, 11, 1))
    assert after.draft_periods[0].period_start == utc(2026, 9, 1)  # the full charges period, as live drafts
    assert next_step(after).kind == "periodic" and next_step(after).at == utc(2027, 1, 1)
    assert after.next_backfill_at == utc(2026, 11, 1)


def test_history_owes_only_its_periods_not_yet_backfilled():
    history = UnbilledHistory(period_start=utc(2026, 10, 1), period_end=utc(2026, 11, 1), until=utc(2026, 12, 1))
    assert not history.owes(Period(utc(2026, 9, 1), utc(2026, 10, 1)))  # backfilled
    assert history.owes(Period(utc(2026, 10, 1), utc(2026, 11, 1)))
    assert history.owes(Period(utc(2026, 11, 1), utc(2026, 12, 1)))
    assert not history.owes(Period(utc(2026, 12, 1), utc(2027, 1, 1)))  # live


@pytest.mark.parametrize("billing_time", ["calendar", "anniversary"])
@given(start_days=st.integers(0, 3 * 365), lag_hours=st.integers(0, 2 * 365 * 24))
def test_history_and_live_periods_tile_the_time_since_the_start_exactly_once(billing_time, start_days, lag_hours):
    """Whatever the start and the request: the backfill's periods and the live ones that follow cover every charges
    period from the start on, each once, the history's ending where the request's period begins."""
    from datetime import timedelta

    subscription_at = utc(2024, 1, 1) + timedelta(days=start_days, hours=7)
    requested_at = subscription_at + timedelta(hours=lag_hours)
    monthly = plan()
    subscription = activated_subscription(pending(subscription_at, billing_time=billing_time), monthly, "UTC",
                                          requested_at=requested_at)
    history = [at for kind, at in steps(subscription, monthly) if kind == "periodic"]
    assert all(at <= requested_at for at in history)
    live_start, live_end = current(subscription)
    assert live_start <= max(requested_at, subscription_at) < live_end
    boundaries = [subscription.started_at, *history]
    assert boundaries[-1] == live_start  # no gap, no overlap between history and the live period
    assert boundaries == sorted(set(boundaries))

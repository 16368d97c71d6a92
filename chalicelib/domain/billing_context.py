"""The billing context of a subscription at one instant: its terms, the charges period containing the instant, the
part of that period it bills and what aggregations read of it. Every caller (the aggregator's routing, pay-in-advance
fees, invoice shares, drafts, current usage) computes it here, once per use. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.aggregations.windows import Window, epoch_ms
from chalicelib.domain.periods import BillingTerms, Period, days_in
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription, billing_terms


@dataclass(frozen=True)
class BillingContext:
    """`period` is the full charges period containing the instant (its start keys the stored aggregates); `billed`
    the part of it billed, from the start instant through the termination second (None when nothing is); `window`
    what the aggregations read of it, divided by the full period's days (None when nothing is billed)."""

    terms: BillingTerms
    period: Period
    billed: Period | None
    window: Window | None


def starts_at(subscription: Subscription) -> datetime | None:
    """When it started, or, pending, when it will: the biller activates it from its `subscription_at` (a downgrade's
    successor: from its switch instant), so an event stored before then with a later timestamp is billed by it, in
    the period it will have."""
    if subscription.started_at is not None or subscription.status != "pending":
        return subscription.started_at
    return subscription.subscription_at


def subscription_terms(subscription: Subscription, plan: Plan, timezone: str) -> BillingTerms:
    """The subscription's terms, from its start (`starts_at`), cut at its termination when it has one."""
    started_at = starts_at(subscription)
    if started_at is None:
        raise ValueError(f"subscription {subscription.id} never started: it has no billing terms")
    return billing_terms(plan, subscription.billing_time, timezone, subscription.subscription_at, started_at,
                         subscription.terminated_at, upgraded=subscription.terminated_by_upgrade)


def charges_window(terms: BillingTerms, period: Period) -> Window:
    """What the aggregations read of a charges period: from the start instant, divided by the full period's days. An
    upgrade ending the subscription inside the period leaves its last day to the new plan (`Window.upgraded`)."""
    shown = terms.charges_part(period)
    if shown is None:
        raise ValueError(f"the charges period {period} bills nothing of these terms")
    ended_here = terms.terminated_at is not None and period.start <= terms.terminated_at < period.end
    return Window(epoch_ms(shown.start), epoch_ms(shown.end), days_in(period, terms.timezone), terms.timezone,
                  upgraded=terms.upgraded and ended_here)


def context_at(terms: BillingTerms, at: datetime) -> BillingContext:
    """The context of the charges period of `terms` containing `at`."""
    period = terms.charges_periods.period_at(at)
    billed = terms.charges_part(period)
    return BillingContext(terms, period, billed, None if billed is None else charges_window(terms, period))


def billing_context(subscription: Subscription, plan: Plan, timezone: str, at: datetime) -> BillingContext:
    """The subscription's context at `at` (in the customer's `timezone`)."""
    return context_at(subscription_terms(subscription, plan, timezone), at)

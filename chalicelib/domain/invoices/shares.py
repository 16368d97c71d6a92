"""What one subscription contributes to one invoice: its windows and fees, on a billing day, at the start of
a pay-in-advance plan and at termination. Pure: the caller loads and resolves the inputs.

- `subscription`: started (a pending one bills nothing); its `terminated_at` cuts the windows.
- `plan`: the subscription's plan; `metrics`: its charges' metrics by lago_id.
- `timezone` (a share at a plan's start) or `terms` (`billing_context.subscription_terms`, computed once by the
  caller for the charges period it reads): the customer's timezone, else the organization's, else UTC.
- `usage`: the stored aggregates of the charges period billed (the share's `charges_window` lies in it), by
  BucketKey, with the openings of recurring metrics (`current_usage.recurring_openings`).
- `initial_started_at`: the first start of the subscription's external id, from which a trial is counted."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.billing_context import context_at, subscription_terms
from chalicelib.domain.invoices.base_fee import subscription_fee, trial_ends_at
from chalicelib.domain.invoices.charge_fees import StoredUsage, charge_fees
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.periods import (
    BillingTerms,
    BillingWindows,
    Period,
    billing_windows,
    day_start,
    local_day,
    starting_windows,
    termination_windows,
)
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription

InvoicingReason = Literal["subscription_starting", "subscription_periodic", "subscription_terminating",
                          "in_advance_charge"]
NOTHING_STORED = StoredUsage(states={})


@dataclass(frozen=True)
class SubscriptionShare:
    """The windows billed (None where nothing of that kind is) and the fees: the subscription fee first,
    then the charge fees. No fee at all (a trial, nothing used) is for the caller to skip or bill empty."""

    subscription_id: str
    invoicing_reason: InvoicingReason
    base_fee_window: Period | None
    charges_window: Period | None
    fees: tuple[FeeLine, ...]


def periodic_share(subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric], terms: BillingTerms,
                   billing_at: datetime, usage: StoredUsage, *, initial_started_at: datetime) -> SubscriptionShare:
    """The run on the billing day containing `billing_at` (`billing_windows`): the charges period that just
    ended, priced from `usage` (its stored aggregates), and the base fee when a plan period ends (in arrears)
    or begins (in advance) that day. `initial_started_at`: the first start of the external id (trials)."""
    return _share(subscription, plan, metrics, terms, billing_windows(terms, billing_at), usage,
                  "subscription_periodic", initial_started_at)


def starting_share(subscription: Subscription, plan: Plan, timezone: str, *,
                   initial_started_at: datetime, billing_at: datetime | None = None) -> SubscriptionShare:
    """The invoice of a pay-in-advance plan's start, issued at `billing_at` (default: its start)
    (`starting_windows`): the base fee from the start day to the first period's end, less a trial's free days.
    Nothing for a plan paid in arrears, nor while a trial runs: Lago bills no pay-in-advance fee when a trial starts,
    and the rest of the period when it ends (`billing_steps.after_empty_start`)."""
    terms = _terms(subscription, plan, timezone)
    trial_ends = trial_ends_at(plan, initial_started_at)
    windows = starting_windows(terms)
    if trial_ends is not None and trial_ends > (billing_at or terms.started_at):
        windows = BillingWindows(None, None)
    return _share(subscription, plan, {}, terms, windows, NOTHING_STORED, "subscription_starting", initial_started_at)


def termination_share(subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric],
                      terms: BillingTerms, usage: StoredUsage, *, initial_started_at: datetime) -> SubscriptionShare:
    """The invoice at `subscription.terminated_at` (`termination_windows`): the charges period in progress
    up to it, priced from `usage`, and for a plan paid in arrears the base fee through the termination day."""
    windows = termination_windows(terms)  # refuses a subscription without `terminated_at`
    if subscription.terminated_by_upgrade and windows.base_fee is not None and terms.terminated_at is not None:
        # Upgraded: the old plan's base fee runs to the day before; the new plan bills the upgrade day.
        upgrade_day = day_start(local_day(terms.terminated_at, terms.timezone), terms.timezone)
        windows = BillingWindows(windows.base_fee.within(end=upgrade_day), windows.charges)
    return _share(subscription, plan, metrics, terms, windows, usage, "subscription_terminating", initial_started_at)


def _terms(subscription: Subscription, plan: Plan, timezone: str) -> BillingTerms:
    if subscription.started_at is None:
        raise ValueError("a subscription that has not started bills nothing")
    return subscription_terms(subscription, plan, timezone)


def _share(subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric], terms: BillingTerms,
           windows: BillingWindows, usage: StoredUsage, reason: InvoicingReason,
           initial_started_at: datetime) -> SubscriptionShare:
    fees: list[FeeLine] = []
    if windows.base_fee is not None:
        fee = subscription_fee(subscription.id, plan, terms, windows.base_fee, initial_started_at)
        if fee is not None:
            fees.append(fee)
    if windows.charges is not None:
        fees.extend(charge_fees(subscription.id, plan, metrics, context_at(terms, windows.charges.start), usage))
    return SubscriptionShare(subscription.id, reason, windows.base_fee, windows.charges, tuple(fees))

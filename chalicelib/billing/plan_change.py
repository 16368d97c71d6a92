"""The plan a subscription's charges window is billed on, once an upgrade has taken part of it over."""
from __future__ import annotations

from collections.abc import Mapping

from chalicelib.billing.ports import BillingStores
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.invoices.charge_fees import left_to_the_next_plan
from chalicelib.domain.periods import Period
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription


def billed_plan(stores: BillingStores, subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric],
                window: Period) -> Plan:
    """`plan`, or, for the charges window (or period) a subscription ended by an upgrade was terminated in, the plan
    without what the new plan bills (`left_to_the_next_plan`)."""
    ended_in_window = subscription.terminated_at is not None and subscription.terminated_at in window
    if not (ended_in_window and subscription.terminated_by_upgrade and subscription.next_plan_id):
        return plan
    next_plan = stores.plans.get_any(subscription.organization_id, subscription.next_plan_id)
    return plan if next_plan is None else left_to_the_next_plan(plan, metrics, next_plan)

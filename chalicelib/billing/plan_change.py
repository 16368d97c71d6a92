"""The plan a subscription's charges window is billed on, once an upgrade has taken part of it over."""
from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.invoices.charge_fees import left_to_the_next_plan
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription


def billed_plan(stores, subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric], *,
                final_window: bool) -> Plan:
    """`plan`, or, for the final charges window of a subscription ended by an upgrade, the plan without what the new
    plan bills (`left_to_the_next_plan`)."""
    if not (final_window and subscription.terminated_by_upgrade and subscription.next_plan_id):
        return plan
    next_plan = stores.plans.get_any(subscription.organization_id, subscription.next_plan_id)
    return plan if next_plan is None else left_to_the_next_plan(plan, metrics, next_plan)

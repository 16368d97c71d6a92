"""The Subscriptions tab's view models: each subscription of a customer in words, the plans it may be assigned, and,
for an active one, the plans it may change to, each saying whether it is an upgrade taking effect now or a downgrade
at the end of the period (the domain's rule, `domain/subscriptions.is_upgrade`)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from chalicelib.domain.money import format_money
from chalicelib.domain.periods import local_day
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription, is_upgrade

UPGRADE = "upgrade, takes effect now"
DOWNGRADE = "downgrade, takes effect at the end of the current period"


@dataclass(frozen=True)
class PlanChoice:
    code: str
    text: str  # the option's text: name, code, interval, base fee, and for a change its kind


@dataclass(frozen=True)
class SubscriptionRow:
    id: str  # the lago id: rows of one external id (active, its downgrade's pending one, terminated ones) differ
    external_id: str
    name: str
    plan: str
    status: str
    start_date: str  # the customer's local day of `subscription_at`
    billing_time: str
    downgrade: str | None  # an active one's scheduled downgrade, in words
    changes: list[PlanChoice]  # an active one's other plans of its currency; [] otherwise


def plan_text(plan: Plan) -> str:
    return (f"{plan.name} ({plan.code}, {plan.interval}, "
            f"{format_money(plan.amount_cents, plan.amount_currency)})")


def plan_choices(plans: Iterable[Plan]) -> list[PlanChoice]:
    """Every plan, for "Assign plan"."""
    return [PlanChoice(plan.code, plan_text(plan)) for plan in plans]


def change_choices(current: Plan, plans: Iterable[Plan]) -> list[PlanChoice]:
    """The plans an active subscription on `current` may move to (another plan of its currency), each with the
    kind of change the subscription use case will make."""
    return [PlanChoice(plan.code, f"{plan_text(plan)}: {UPGRADE if is_upgrade(current, plan) else DOWNGRADE}")
            for plan in plans if plan.id != current.id and plan.amount_currency == current.amount_currency]


def _downgrade(subscription: Subscription, plan_codes: Mapping[str, str]) -> str | None:
    if subscription.status != "active" or subscription.downgrade_plan_date is None:
        return None
    code = plan_codes.get(subscription.next_plan_id or "", "another plan")
    return f"Downgrades to {code} on {subscription.downgrade_plan_date.isoformat()}"


def subscription_row(subscription: Subscription, plan: Plan, timezone: str, plans: Sequence[Plan],
                     plan_codes: Mapping[str, str]) -> SubscriptionRow:
    """`plan_codes`: the codes of the plans its plan changes name (the listing's, as the API shows them)."""
    active = subscription.status == "active"
    return SubscriptionRow(
        id=subscription.id, external_id=subscription.external_id, name=subscription.name or subscription.external_id,
        plan=f"{plan.name} ({plan.code})", status=subscription.status,
        start_date=local_day(subscription.subscription_at, timezone).isoformat(),
        billing_time=subscription.billing_time, downgrade=_downgrade(subscription, plan_codes),
        changes=change_choices(plan, plans) if active else [])

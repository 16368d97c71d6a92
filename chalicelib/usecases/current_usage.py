"""Reading a customer's current usage (`GET /customers/{external_id}/current_usage`): the charges period in progress
as of the customer's "now", priced from its stored aggregates by the pricing code the biller uses (invariant 3).
A read model: it reads through the ports it is given and computes; the HTTP handler parses and renders."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.clock import CustomerClock
from chalicelib.domain.current_usage import PeriodUsage, UsagePeriod, current_usage_period, price_period_usage
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotAllowed, NotFound, NotReadyYet, ValidationFailed
from chalicelib.domain.invoices.charge_fees import StoredUsage
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import BillingTerms, Period
from chalicelib.domain.plans import Plan
from chalicelib.domain.readers import MetricReader, PlanReader
from chalicelib.domain.subscriptions import Subscription
from chalicelib.setup_cache import OrganizationSetup, SetupCache


class Customers(Protocol):
    def find_by_external_id(self, organization_id: str, external_id: str, /) -> Customer | None: ...


class Subscriptions(Protocol):
    def find_current(self, organization_id: str, external_id: str, /) -> Subscription | None: ...

    def of_customer(self, organization_id: str, customer_id: str, statuses: Iterable[str], /) -> list[Subscription]:
        ...


class DeadLetters(Protocol):
    def dead_events(self, organization_id: str, external_subscription_id: str | None = None, /) -> Sequence[object]:
        ...


class StoredUsageReader(Protocol):
    """The stored aggregates of a subscription's charges `period` (chalicelib/usage/period_usage.stored_usage)."""

    def __call__(self, subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric],
                 terms: BillingTerms, period: Period, /) -> StoredUsage: ...


@dataclass(frozen=True)
class CurrentUsage:
    """What current usage shows: the period in progress and its usage priced."""

    period: UsagePeriod
    usage: PeriodUsage


class ReadCurrentUsage:
    """The usage of a customer's current period. Its reads are fixed by the customer's plan, never by the number of
    events: docs/api-coverage.md (Current usage)."""

    def __init__(self, customers: Customers, subscriptions: Subscriptions, plans: PlanReader, metrics: MetricReader,
                 dead_letters: DeadLetters, stored_usage: StoredUsageReader, setup: SetupCache | None = None):
        self._setup = setup or SetupCache()
        self._customers = customers
        self._subscriptions = subscriptions
        self._plans = plans
        self._metrics = metrics
        self._dead_letters = dead_letters
        self._stored_usage = stored_usage

    def __call__(self, organization: Organization, external_customer_id: str, external_subscription_id: str | None,
                 *, apply_taxes: bool, clock: CustomerClock) -> CurrentUsage:
        """As of the customer's "now" (`clock`: a test clock's for a customer on one); taxed when `apply_taxes`.
        The customer, its subscriptions, the plan and its metrics come from the container's setup cache at the
        organization's setup version: a warm read makes the organization's, the dead letters' and the aggregates'
        requests."""
        organization_id = organization.id
        setup = self._setup.at(organization_id, organization.setup_version)
        customer = setup.read("customer_external_id", external_customer_id,
                              lambda: self._customers.find_by_external_id(organization_id, external_customer_id))
        if customer is None:
            raise NotFound("customer")
        now = clock.now_for(customer.test_clock_id)
        subscription = self._active_subscription(setup, organization_id, customer.id, external_subscription_id, now)
        plan = setup.read("plan", subscription.plan_id,
                          lambda: self._plans.get_any(organization_id, subscription.plan_id))
        if plan is None:
            raise NotAllowed("no_active_subscription")
        if self._dead_letters.dead_events(organization_id, subscription.external_id):
            raise NotReadyYet("usage_pending")  # an event set aside: any total would be wrong until it is replayed
        metrics = setup.read("plan_metrics", plan.id,
                             lambda: self._metrics.get_many(organization_id, plan.billable_metric_ids()))
        timezone = customer.applicable_timezone(organization.timezone)
        period = current_usage_period(subscription, plan, timezone, now)
        stored = self._stored_usage(subscription, plan, metrics, period.context.terms, period.period)
        vat_rate = customer.applicable_vat_rate(organization.vat_rate) if apply_taxes else None
        usage = price_period_usage(plan, metrics, period.window, stored.states, plan.amount_currency, vat_rate,
                                   opening=stored.openings, event_values=stored.event_values)
        return CurrentUsage(period, usage)

    def _active_subscription(self, setup: OrganizationSetup, organization_id: str, customer_id: str,
                             external_subscription_id: str | None, now: datetime) -> Subscription:
        """The customer's active subscription named (or its only one): 405 `no_active_subscription` otherwise, 422
        when it has several and none is named. Read again once the biller may have changed one (started a pending
        one, ended or switched an active one)."""
        if external_subscription_id:
            subscription = setup.read_while(
                "current_subscription", external_subscription_id,
                lambda: self._subscriptions.find_current(organization_id, external_subscription_id),
                lambda cached: cached is None or cached.settled_at(now))
            if subscription is None or subscription.status != "active" or subscription.customer_id != customer_id:
                raise NotAllowed("no_active_subscription")
            return subscription
        current = setup.read_while(
            "current_subscriptions_of_customer", customer_id,
            lambda: self._subscriptions.of_customer(organization_id, customer_id, ("active", "pending")),
            lambda cached: all(subscription.settled_at(now) for subscription in cached))
        active = [subscription for subscription in current if subscription.status == "active"]
        if not active:
            raise NotAllowed("no_active_subscription")
        if len(active) > 1:
            raise ValidationFailed.single("external_subscription_id", "value_is_mandatory")
        return active[0]

"""Ingesting events, one or a batch: validated whole before anything is written, then one conditional write per
event on its idempotency key.

Metrics, subscriptions, customers and plans are read from the container's setup cache while the organization's
setup version holds (chalicelib/setup_cache.py): a warm container stores a single event with two requests, the
organization's read and the event's write."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.events import MAX_BATCH_EVENTS, Event, EventInput, iso_ms, property_errors
from chalicelib.domain.organizations import Organization
from chalicelib.domain.subscriptions import Subscription
from chalicelib.memo import Memo
from chalicelib.setup_cache import OrganizationSetup, SetupCache
from chalicelib.usecases.ports import (
    BillableMetricStore,
    CustomerClock,
    CustomerStore,
    EventStore,
    IdSource,
    PlanStore,
    SubscriptionStore,
)


@dataclass
class _Refused(Exception):
    """One event's refusal: field errors (422), or the resource its id names not found (404 for a single
    event; a field error of its index in a batch)."""

    details: dict[str, list[str]]
    not_found: tuple[str, str] | None = None  # (field, resource)

    def as_field_errors(self) -> dict[str, list[str]]:
        if self.not_found is None:
            return self.details
        name, resource = self.not_found
        return {name: [f"{resource}_not_found"]}

    def as_domain_error(self) -> Exception:
        if self.not_found is not None:
            return NotFound(self.not_found[1])
        return ValidationFailed(self.details)


class _Resolver:
    """The organization's records an ingestion request reads: its metrics, customers, plans and subscriptions from
    the container's setup cache (at the setup version the request's authentication read), a customer's active
    subscriptions once per request (the biller starts and ends them without moving the version)."""

    def __init__(self, subscriptions: SubscriptionStore, customers: CustomerStore, metrics: BillableMetricStore,
                 plans: PlanStore, organization_id: str, setup: OrganizationSetup):
        self.organization_id = organization_id
        self._subscriptions = subscriptions
        self._customers = customers
        self._metrics = metrics
        self._plans = plans
        self._setup = setup
        self._active: Memo[str, list[Subscription]] = Memo(
            lambda customer_id: subscriptions.of_customer(organization_id, customer_id, ("active",)))

    def metric(self, code: str) -> BillableMetric | None:
        return self._setup.read("metric_code", code, lambda: self._metrics.find_by_code(self.organization_id, code))

    def customer(self, external_id: str) -> Customer | None:
        return self._setup.read("customer_external_id", external_id,
                                lambda: self._customers.find_by_external_id(self.organization_id, external_id))

    def subscription(self, external_id: str, clock: CustomerClock) -> Subscription | None:
        """The active or pending subscription of the external id, else its latest terminated one (late events of a
        terminated subscription are accepted, as Lago does; the aggregator bills by timestamp). Read again once the
        biller may have changed it (a downgrade's switch names another subscription)."""
        return self._setup.read_while(
            "current_or_terminated_subscription", external_id, lambda: self._current_or_terminated(external_id),
            lambda cached: cached is None or cached.settled_at(clock.now_for(cached.test_clock_id)))

    def _current_or_terminated(self, external_id: str) -> Subscription | None:
        return (self._subscriptions.find_current(self.organization_id, external_id)
                or self._subscriptions.find_latest(self.organization_id, external_id, "terminated"))

    def subscriptions_billing(self, customer: Customer, metric: BillableMetric) -> list[Subscription]:
        """The customer's active subscriptions whose plan has a charge on the metric."""
        return [subscription for subscription in self._active(customer.id)
                if metric.id in self._plan_metric_ids(subscription.plan_id)]

    def _plan_metric_ids(self, plan_id: str) -> set[str]:
        plan = self._setup.read("plan", plan_id, lambda: self._plans.get_any(self.organization_id, plan_id))
        return plan.billable_metric_ids() if plan is not None else set()


def _already_exists() -> dict[str, list[str]]:
    return {"transaction_id": ["value_already_exist"]}


@dataclass(frozen=True)
class IngestEvents:
    """`POST /events` and `POST /events/batch`. Each event is received at its customer's "now" (the request's
    CustomerClock: a test clock's frozen time for a customer on one)."""

    events: EventStore
    subscriptions: SubscriptionStore
    customers: CustomerStore
    metrics: BillableMetricStore
    plans: PlanStore
    ids: IdSource
    setup: SetupCache = field(default_factory=SetupCache)

    def _resolver(self, organization: Organization) -> _Resolver:
        """Read at the setup version of `organization` as the request's authentication read it."""
        return _Resolver(self.subscriptions, self.customers, self.metrics, self.plans, organization.id,
                         self.setup.at(organization.id, organization.setup_version))

    def _validated(self, resolver: _Resolver, payload: Any, clock: CustomerClock) -> Event:
        """The event a payload asks to store, or _Refused. Formats first, then the subscription (or the
        customer), then the metric and the property it aggregates; its timestamp is its reception when it has
        none."""
        try:
            request = EventInput.parse(payload)
        except ValidationFailed as failure:
            raise _Refused(failure.details) from None
        subscription: Subscription | None = None
        customer: Customer | None = None
        if request.external_subscription_id is not None:
            subscription = resolver.subscription(request.external_subscription_id, clock)
            if subscription is None:
                raise _Refused({}, ("external_subscription_id", "subscription"))
        else:
            assert request.external_customer_id is not None  # parse requires one of the two ids
            customer = resolver.customer(request.external_customer_id)
            if customer is None:
                raise _Refused({}, ("external_customer_id", "customer"))
        assert request.code is not None  # parse requires it
        metric = resolver.metric(request.code)
        if metric is None:
            raise _Refused({"code": ["metric_not_found"]})
        properties = request.properties or {}
        errors = property_errors(metric, properties)
        if errors:
            raise _Refused(errors)
        if customer is not None:
            candidates = resolver.subscriptions_billing(customer, metric)
            if len(candidates) != 1:
                code = "no_active_subscription" if not candidates else "multiple_active_subscriptions"
                raise _Refused({"external_customer_id": [code]})
            subscription = candidates[0]
        assert subscription is not None  # named by its external id, or the customer's one billing the metric
        given = request.timestamp is not None
        received_ms = epoch_ms(clock.now_for(subscription.test_clock_id))
        return Event(lago_id=self.ids.new_id(), organization_id=resolver.organization_id,
                     transaction_id=request.transaction_id, external_subscription_id=subscription.external_id,
                     lago_subscription_id=subscription.id, lago_customer_id=subscription.customer_id,
                     code=request.code, timestamp_ms=request.timestamp if given else received_ms,
                     timestamp_given=given, properties=properties,
                     precise_total_amount_cents=request.precise_total_amount_cents, received_at=iso_ms(received_ms))

    def _stored(self, unique: list[Event]) -> tuple[list[Event], list[int]]:
        """Write the events; per event the one now stored (itself, or the same event stored before), and the
        positions whose key holds another event (`value_already_exist`)."""
        results, conflicts = [], []
        for position, (event, existing) in enumerate(zip(unique, self.events.insert(unique))):
            if existing is None or existing.same_as(event):
                results.append(existing or event)
            else:
                results.append(event)
                conflicts.append(position)
        return results, conflicts

    def one(self, organization: Organization, payload: Any, clock: CustomerClock) -> Event:
        """`POST /events`: the stored event (200 also when it repeats a stored one)."""
        try:
            event = self._validated(self._resolver(organization), payload, clock)
        except _Refused as refused:
            raise refused.as_domain_error() from None
        (stored,), conflicts = self._stored([event])
        if conflicts:
            raise ValidationFailed(_already_exists())
        return stored

    def batch(self, organization: Organization, payloads: Any, clock: CustomerClock) -> list[Event]:
        """`POST /events/batch`: 1 to 100 events, all validated before any is written; errors keyed by index.

        Repeats inside the batch (same key) are stored once and shown at each of their indexes. A key already
        stored with other content is only seen when written: the batch's other events are then stored, and
        the answer is 422 naming the conflicting indexes (the batch again without them is accepted)."""
        if not isinstance(payloads, list) or not payloads:
            raise ValidationFailed.single("events", "no_events")
        if len(payloads) > MAX_BATCH_EVENTS:
            raise ValidationFailed.single("events", "too_many_events")
        resolver = self._resolver(organization)
        errors: dict[str, Any] = {}
        first_of_key: dict[tuple[str, str], int] = {}
        unique: list[Event] = []
        positions: list[int] = []  # per payload, its event's position in `unique`
        for index, payload in enumerate(payloads):
            try:
                event = self._validated(resolver, payload, clock)
            except _Refused as refused:
                errors[str(index)] = refused.as_field_errors()
                positions.append(-1)
                continue
            first = first_of_key.get(event.key())
            if first is None:
                first_of_key[event.key()] = len(unique)
                positions.append(len(unique))
                unique.append(event)
            elif unique[first].same_as(event):
                positions.append(first)
            else:
                errors[str(index)] = _already_exists()
                positions.append(-1)
        if errors:
            raise ValidationFailed(errors)
        stored, conflicts = self._stored(unique)
        if conflicts:
            conflicting: dict[str, Any] = {str(index): _already_exists() for index, position in enumerate(positions)
                                           if position in set(conflicts)}
            raise ValidationFailed(conflicting)
        return [stored[position] for position in positions]

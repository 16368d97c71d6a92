"""The verbs on events: ingest one or a batch (validated whole before anything is written, then one
conditional write per event on its idempotency key), find one by transaction_id, and list a subscription's.

Lookups of metrics, subscriptions, customers and plans are cached for the request, so a batch of 100
events for one subscription reads each once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import uuid6

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.clock import CustomerClock
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.events import (
    MAX_BATCH_EVENTS,
    Event,
    EventInput,
    iso_ms,
    property_errors,
    query_instant_ms,
)
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription

_MISSING = object()


class SubscriptionReader(Protocol):
    def find_current(self, organization_id: str, external_id: str) -> Subscription | None: ...
    def find_latest(self, organization_id: str, external_id: str, status: str) -> Subscription | None: ...
    def of_customer(self, organization_id: str, customer_id: str, statuses: tuple[str, ...]) -> list[Subscription]: ...


class CustomerReader(Protocol):
    def find_by_external_id(self, organization_id: str, external_id: str) -> Customer | None: ...


class MetricReader(Protocol):
    def find_by_code(self, organization_id: str, code: str) -> BillableMetric | None: ...


class PlanReader(Protocol):
    def get_any(self, organization_id: str, plan_id: str) -> Plan | None: ...


class EventStore(Protocol):
    def insert(self, events: list[Event]) -> list[Event | None]:
        """Store each event unless its key exists: per event None (stored now) or the event stored before
        at its key. Raises Unavailable if any write failed (the others are done)."""

    def find(self, organization_id: str, transaction_id: str,
             external_subscription_id: str | None = None) -> Event | None: ...

    def list_page(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
                  to_ms: int | None, page: int, per_page: int, billable: bool | None = None) -> list[Event]: ...

    def count(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
              to_ms: int | None, billable: bool | None = None) -> int: ...


@dataclass(frozen=True)
class Stores:
    events: EventStore
    subscriptions: SubscriptionReader
    customers: CustomerReader
    billable_metrics: MetricReader
    plans: PlanReader


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


@dataclass
class _Resolver:
    """The organization's records an ingestion request reads, each read at most once per request."""

    stores: Stores
    organization_id: str
    clock: CustomerClock
    cache: dict = field(default_factory=dict)

    def _cached(self, key: tuple, read):
        found = self.cache.get(key, _MISSING)
        if found is _MISSING:
            found = self.cache[key] = read()
        return found

    def metric(self, code: str) -> BillableMetric | None:
        return self._cached(("metric", code),
                            lambda: self.stores.billable_metrics.find_by_code(self.organization_id, code))

    def subscription(self, external_id: str) -> Subscription | None:
        """The active or pending subscription of the external id, else its latest terminated one (late
        events of a terminated subscription are accepted, as Lago does; the aggregator bills by timestamp)."""
        def read():
            subscriptions = self.stores.subscriptions
            return (subscriptions.find_current(self.organization_id, external_id)
                    or subscriptions.find_latest(self.organization_id, external_id, "terminated"))
        return self._cached(("subscription", external_id), read)

    def customer(self, external_id: str) -> Customer | None:
        return self._cached(("customer", external_id),
                            lambda: self.stores.customers.find_by_external_id(self.organization_id, external_id))

    def subscriptions_billing(self, customer: Customer, metric: BillableMetric) -> list[Subscription]:
        """The customer's active subscriptions whose plan has a charge on the metric."""
        active = self._cached(("of_customer", customer.id), lambda: self.stores.subscriptions.of_customer(
            self.organization_id, customer.id, ("active",)))
        return [subscription for subscription in active
                if metric.id in self._plan_metric_ids(subscription.plan_id)]

    def _plan_metric_ids(self, plan_id: str) -> set[str]:
        plan = self._cached(("plan", plan_id), lambda: self.stores.plans.get_any(self.organization_id, plan_id))
        return plan.billable_metric_ids() if plan is not None else set()


def _validated(resolver: _Resolver, payload) -> Event:
    """The event a payload asks to store, or _Refused. Formats first, then the subscription (or the
    customer), then the metric and the property it aggregates. It is received at its customer's "now" (a test
    clock's frozen time for a customer on one), its timestamp when it has none."""
    try:
        request = EventInput.parse(payload)
    except ValidationFailed as failure:
        raise _Refused(failure.details) from None
    customer = None
    if request.external_subscription_id is not None:
        subscription = resolver.subscription(request.external_subscription_id)
        if subscription is None:
            raise _Refused({}, ("external_subscription_id", "subscription"))
    else:
        customer = resolver.customer(request.external_customer_id)
        if customer is None:
            raise _Refused({}, ("external_customer_id", "customer"))
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
    given = request.timestamp is not None
    received_ms = epoch_ms(resolver.clock.now_for(subscription.test_clock_id))
    return Event(lago_id=str(uuid6.uuid7()), organization_id=resolver.organization_id,
                 transaction_id=request.transaction_id, external_subscription_id=subscription.external_id,
                 lago_subscription_id=subscription.id, lago_customer_id=subscription.customer_id, code=request.code,
                 timestamp_ms=request.timestamp if given else received_ms, timestamp_given=given,
                 properties=properties, precise_total_amount_cents=request.precise_total_amount_cents,
                 received_at=iso_ms(received_ms))


def _stored(events: EventStore, unique: list[Event]) -> tuple[list[Event], list[int]]:
    """Write the events; per event the one now stored (itself, or the same event stored before), and the
    positions whose key holds another event (`value_already_exist`)."""
    results, conflicts = [], []
    for position, (event, existing) in enumerate(zip(unique, events.insert(unique))):
        if existing is None or existing.same_as(event):
            results.append(existing or event)
        else:
            results.append(event)
            conflicts.append(position)
    return results, conflicts


def _already_exists() -> dict[str, list[str]]:
    return {"transaction_id": ["value_already_exist"]}


def create_event(stores: Stores, organization: Organization, payload: dict, clock: CustomerClock) -> Event:
    """`POST /events`: the stored event (200 also when it repeats a stored one)."""
    try:
        event = _validated(_Resolver(stores, organization.id, clock), payload)
    except _Refused as refused:
        raise refused.as_domain_error() from None
    (stored,), conflicts = _stored(stores.events, [event])
    if conflicts:
        raise ValidationFailed(_already_exists())
    return stored


def create_events(stores: Stores, organization: Organization, payloads, clock: CustomerClock) -> list[Event]:
    """`POST /events/batch`: 1 to 100 events, all validated before any is written; errors keyed by index.

    Repeats inside the batch (same key) are stored once and shown at each of their indexes. A key already
    stored with other content is only seen when written: the batch's other events are then stored, and
    the answer is 422 naming the conflicting indexes (the batch again without them is accepted)."""
    if not isinstance(payloads, list) or not payloads:
        raise ValidationFailed.single("events", "no_events")
    if len(payloads) > MAX_BATCH_EVENTS:
        raise ValidationFailed.single("events", "too_many_events")
    resolver = _Resolver(stores, organization.id, clock)
    errors: dict[str, dict] = {}
    first_of_key: dict[tuple[str, str], int] = {}
    unique: list[Event] = []
    positions: list[int] = []  # per payload, its event's position in `unique`
    for index, payload in enumerate(payloads):
        try:
            event = _validated(resolver, payload)
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
    stored, conflicts = _stored(stores.events, unique)
    if conflicts:
        raise ValidationFailed({str(index): _already_exists() for index, position in enumerate(positions)
                                if position in set(conflicts)})
    return [stored[position] for position in positions]


def find_event(stores: Stores, organization: Organization, transaction_id: str,
               external_subscription_id: str | None = None) -> Event:
    """`GET /events/{transaction_id}`: the most recently received event with that transaction_id (of the
    subscription, when `external_subscription_id` is given)."""
    event = stores.events.find(organization.id, transaction_id, external_subscription_id)
    if event is None:
        raise NotFound("event")
    return event


@dataclass(frozen=True)
class Listed:
    events: list[Event]
    total_count: int


_BILLABLE_VALUES = {"true": True, "false": False}


def list_events(stores: Stores, organization: Organization, query: dict, page: int, per_page: int) -> Listed:
    """`GET /events?external_subscription_id=&code=&timestamp_from=&timestamp_to=&billable=`: a subscription's
    events, newest timestamp first; `billable=false` only those no invoice will ever include (with their
    `unbillable_reason`), `billable=true` the others. `external_subscription_id` is required (events are
    partitioned by subscription)."""
    external_subscription_id = query.get("external_subscription_id")
    if not external_subscription_id:
        raise ValidationFailed.single("external_subscription_id", "value_is_mandatory")
    code = query.get("code") or None
    errors: dict = {}
    billable = query.get("billable") or None
    if billable is not None and billable not in _BILLABLE_VALUES:
        errors["billable"] = ["value_is_invalid"]
    bounds = []
    for name in ("timestamp_from", "timestamp_to"):
        try:
            bounds.append(query_instant_ms(name, query.get(name)))
        except ValidationFailed as failure:
            errors.update(failure.details)
    if errors:
        raise ValidationFailed(errors)
    from_ms, to_ms = bounds
    events, only = stores.events, _BILLABLE_VALUES.get(billable)
    listed = events.list_page(organization.id, external_subscription_id, code, from_ms, to_ms, page, per_page, only)
    total = (events.count(organization.id, external_subscription_id, code, from_ms, to_ms, only)
             if listed or page > 1 else 0)
    return Listed(listed, total)

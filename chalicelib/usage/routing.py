"""Where a stored event is billed: the subscription active at its timestamp, its plan's charges on the event's
metric, the charges period containing the timestamp, the filter bucket, and the aggregation with its window.
Shared by the stream aggregator and `rebuild-usage`; setup reads go through the container's setup cache
(chalicelib/setup_cache.py)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chalicelib.domain.aggregate_keys import AggregateKey, applied_events_key, bucket_key, transactions_bucket
from chalicelib.domain.aggregations.base import AnyAggregation
from chalicelib.domain.aggregations.count import CountAggregation
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.registry import aggregation_for
from chalicelib.domain.aggregations.unique_count import UniqueCountAggregation
from chalicelib.domain.aggregations.windows import Window, epoch_ms, from_epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.billing_context import billing_context, starts_at
from chalicelib.domain.current_usage import (
    BEFORE_START_PERIOD_MS,
    needs_event_values,
    unique_count_values_period_ms,
)
from chalicelib.domain.events import UnbillableReason
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import BillingTerms, Period
from chalicelib.domain.periods.period import after_last_second
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.pricing.filters import FilterBuckets
from chalicelib.domain.pricing.groups import PricingGroup, pricing_group
from chalicelib.domain.pricing.transactions import TransactionsAggregation
from chalicelib.domain.subscriptions import Subscription, downgrade_successor
from chalicelib.memo import Memo
from chalicelib.setup_cache import OrganizationSetup, SetupCache
from chalicelib.usage.ports import UsageStores

_APPLIED_EVENTS = CountAggregation()
# What a recurring metric bills of the events before its subscription's start (lago-semantics §1.1).
_BILLED_BEFORE_START = ("sum_agg", "unique_count_agg")


@dataclass(frozen=True)
class StoredEvent:
    """The fields of an events-table item the aggregator reads."""

    organization_id: str
    external_subscription_id: str
    code: str
    usage: UsageEvent

    @classmethod
    def of(cls, item: dict[str, Any]) -> "StoredEvent":
        return cls(item["organization_id"], item["external_subscription_id"], item["code"],
                   UsageEvent(item["transaction_id"], int(item["timestamp_ms"]), _plain(item.get("properties") or {})))


def _plain(value: Any) -> Any:
    """Stored properties as the aggregations read them: whole numbers as int, others as Decimal (any JSON value)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Decimal) and value == value.to_integral_value() and _exponent(value) >= 0:
        return int(value)
    return value


def _exponent(value: Decimal) -> int:
    """The exponent of a finite Decimal (DynamoDB stores no NaN nor Infinity, whose exponent is a letter)."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return exponent


@dataclass(frozen=True)
class DraftToRefresh:
    """The draft invoice that bills an event's charges period (a grace period): it is refreshed once the event is
    applied."""

    organization_id: str
    customer_id: str
    invoice_id: str


@dataclass(frozen=True)
class InAdvanceCharge:
    """A pay-in-advance charge an event is billed by at once: what its fee is computed from."""

    subscription: Subscription
    plan: Plan
    charge: Charge
    metric: BillableMetric
    filter_index: int | None
    period: Period  # the full charges period containing the event
    terms: BillingTerms


@dataclass(frozen=True)
class Routed:
    """One charge that bills an event: its aggregate and the contribution's window, and for a pay-in-advance
    charge what the event's own fee needs."""

    key: AggregateKey
    aggregation: AnyAggregation | TransactionsAggregation
    window: Window
    period_end_ms: int
    event: UsageEvent
    _: KW_ONLY
    draft: DraftToRefresh | None = None  # the draft that bills its period (a grace period)
    in_advance: InAdvanceCharge | None = None

    def contribution(self) -> Any:
        """The event's state for its aggregate, of whichever type the aggregation keeps (AnyAggregation's)."""
        return self.aggregation.contribution(self.event, self.window)


@dataclass(frozen=True)
class Routing:
    """Where an event goes, and, when no invoice will ever include it, why (it is kept and listed all the same)."""

    routes: list[Routed]
    unbillable_reason: UnbillableReason | None = None


class Router:
    """Routes the events of one stream batch (or one rebuild) at `now`. Setup (subscription histories, plans,
    metrics, customers) comes from `setup`, the container's cache, at the setup version of each organization read
    once per Router (docs/data-model.md, "The setup version"); without one, from a cache of the Router's own.
    What the biller writes without moving the version is read fresh, once per Router: a history whose next billing
    action is due (`Subscription.settled_at`) or on a test clock (whose "now" is not the batch's), and the history
    of an event whose charges period has ended (its invoice, draft or backfill is the biller's: `invoiced`,
    `draft_of`)."""

    def __init__(self, repositories: UsageStores, now: datetime, setup: SetupCache | None = None):
        self._store = repositories
        self._now = now
        self._setup = setup or SetupCache()
        self._organizations: Memo[str, Organization] = Memo(repositories.organizations.get)
        self._fresh_histories: Memo[tuple[str, str], list[Subscription]] = Memo(self._read_history)

    def _setup_of(self, organization_id: str) -> OrganizationSetup:
        return self._setup.at(organization_id, self._organizations(organization_id).setup_version)

    def subscriptions(self, organization_id: str, external_id: str) -> list[Subscription]:
        return self._setup_of(organization_id).read_while(
            "subscription_history", external_id, lambda: self._fresh_histories((organization_id, external_id)),
            lambda history: all(self._settled(subscription) for subscription in history))

    def _settled(self, subscription: Subscription) -> bool:
        return subscription.test_clock_id is None and subscription.settled_at(self._now)

    def _read_history(self, key: tuple[str, str]) -> list[Subscription]:
        history = self._store.subscriptions.history(*key, ("active", "pending", "terminated"))
        # A scheduled downgrade's pending subscription bills events from its predecessor's switch instant, before
        # the biller starts it.
        predecessors = {subscription.next_subscription_id: subscription for subscription in history
                        if subscription.next_subscription_id is not None}
        return [downgrade_successor(predecessors[subscription.id], subscription)
                if subscription.waits_for_switch else subscription for subscription in history
                if not subscription.waits_for_switch or subscription.id in predecessors]

    def route(self, event: StoredEvent) -> Routing:
        """The aggregates the event goes to: those of the subscription active at its timestamp; before the external
        id's next subscription starts, only that subscription's recurring charges (`_before_start`). Unbillable: an
        event no subscription bills (before the first start or after the last end), and one whose charges period
        had its finalized invoice before it came (unless a pay-in-advance charge bills it on its own invoice)."""
        key = (event.organization_id, event.external_subscription_id)
        routing = self._route(event, self.subscriptions(*key), ended_periods=False)
        if routing is None:
            routing = self._route(event, self._fresh_histories(key), ended_periods=True)
            assert routing is not None  # a fresh history routes events of ended periods
        return routing

    def _route(self, event: StoredEvent, history: list[Subscription], ended_periods: bool) -> Routing | None:
        """`route` on `history`; None for an event of an ended charges period unless `ended_periods` (the history
        was read fresh)."""
        instant = from_epoch_ms(event.usage.timestamp_ms)
        subscription = active_at(history, instant)
        if subscription is None:
            following = next_to_start(history, instant)
            routes = self._before_start(event, following)
            if routes:
                return Routing(routes)
            ended = following is None and any(earlier.terminated_at is not None for earlier in history)
            return Routing([], "after_subscription_end" if ended else "before_subscription_start")
        plan = self._plan(subscription)
        if plan is None:
            return Routing([])
        charges = [charge for charge in plan.charges if charge.billable_metric_code == event.code]
        context = billing_context(subscription, plan, self._timezone(subscription), instant)
        if context.billed is None or context.window is None or instant not in context.billed:
            return Routing([])
        period, terms, charges_window = context.period, context.terms, context.window
        if period.end <= self._now and not ended_periods:
            return None
        # Every event of the window is counted, billed by a charge or not: the biller compares this count with
        # the stored events' before invoicing the period (docs/data-model.md, "Before invoicing a period").
        late = invoiced(subscription, period)
        draft_invoice_id = subscription.draft_of(period.start)
        draft = (DraftToRefresh(event.organization_id, subscription.customer_id, draft_invoice_id)
                 if draft_invoice_id else None)
        routed = [Routed(applied_events_key(event.organization_id, subscription.id, epoch_ms(period.start)),
                         _APPLIED_EVENTS, charges_window, epoch_ms(period.end), event.usage, draft=draft)]
        for charge in charges:
            metric = self._metric(event.organization_id, charge.billable_metric_id)
            if metric is None:
                continue
            aggregation = aggregation_for(metric.aggregation_type, metric.field_name, recurring=metric.recurring,
                                          prorated=charge.prorated)
            period_start_ms = epoch_ms(period.start)
            if isinstance(aggregation, UniqueCountAggregation):
                period_start_ms = unique_count_values_period_ms(metric.recurring, period_start_ms)
            index = charge_filter_index(charge, metric, event.usage.properties)
            key = AggregateKey(event.organization_id, subscription.id, period_start_ms, charge.id,
                               *charge_bucket(charge, index, event.usage.properties))
            in_advance = (InAdvanceCharge(subscription, plan, charge, metric, index, period, terms)
                          if charge.pay_in_advance else None)
            routed.append(Routed(key, aggregation, charges_window, epoch_ms(period.end), event.usage,
                                 in_advance=in_advance))
            properties = charge.bucket_properties(index) if charge.charge_model == "percentage" else None
            if properties is not None and needs_event_values(properties):
                routed.append(Routed(replace(key, period_start_ms=epoch_ms(period.start),
                                             bucket=transactions_bucket(key.bucket)),
                                     TransactionsAggregation(metric.field_name, properties), charges_window,
                                     epoch_ms(period.end), event.usage))
        # A late event is applied all the same (a recurring total carries it), but its period's invoice is a snapshot.
        finalized = late and not any(each.in_advance is not None for each in routed)
        return Routing(routed, "period_finalized" if finalized else None)

    def _before_start(self, event: StoredEvent, subscription: Subscription | None) -> list[Routed]:
        """Lago's recurring sum and unique count have no lower bound: an event before the subscription starts is
        billed from its first period on. Sums go to the subscription's "before start" aggregate, which opens its
        first period (`recurring_openings`); unique-count operations to the value histories, which a recurring
        window reads from the beginning. Metered metrics and weighted sums (whose opening is 0 for a new
        subscription) do not bill it."""
        if subscription is None:
            return []
        plan = self._plan(subscription)
        start = starts_at(subscription)
        assert start is not None  # next_to_start picks a subscription that starts
        timezone = self._timezone(subscription)
        window = Window(min(event.usage.timestamp_ms, 0), epoch_ms(start), 1, timezone)
        routed = []
        for charge in (plan.charges if plan else []):
            metric = self._metric(event.organization_id, charge.billable_metric_id)
            if (charge.billable_metric_code != event.code or metric is None or not metric.recurring
                    or metric.aggregation_type not in _BILLED_BEFORE_START):
                continue
            aggregation = aggregation_for(metric.aggregation_type, metric.field_name, recurring=True,
                                          prorated=charge.prorated and metric.aggregation_type == "unique_count_agg")
            index = charge_filter_index(charge, metric, event.usage.properties)
            key = AggregateKey(event.organization_id, subscription.id, BEFORE_START_PERIOD_MS, charge.id,
                               *charge_bucket(charge, index, event.usage.properties))
            routed.append(Routed(key, aggregation, window, window.end_ms, event.usage))
        return routed

    def _plan(self, subscription: Subscription) -> Plan | None:
        organization_id, plan_id = subscription.organization_id, subscription.plan_id
        return self._setup_of(organization_id).read("plan", plan_id,
                                                    lambda: self._store.plans.get_any(organization_id, plan_id))

    def _metric(self, organization_id: str, metric_id: str) -> BillableMetric | None:
        return self._setup_of(organization_id).read(
            "metric", metric_id, lambda: self._store.billable_metrics.get(organization_id, metric_id))

    def _timezone(self, subscription: Subscription) -> str:
        organization_id, customer_id = subscription.organization_id, subscription.customer_id
        organization = self._organizations(organization_id)
        customer = self._setup_of(organization_id).read(
            "customer", customer_id, lambda: self._store.customers.get_any(organization_id, customer_id))
        return customer.applicable_timezone(organization.timezone) if customer else organization.timezone or "UTC"


def fresh_router(repositories: UsageStores) -> Router:
    """A Router that reads every subscription history fresh, once for its life, as if every period had ended:
    rebuild-usage's, which recomputes from what the stores hold now."""
    return Router(repositories, datetime.max.replace(tzinfo=UTC))


def active_at(history: list[Subscription], instant: datetime) -> Subscription | None:
    """The subscription billing `instant`: started (or, pending, due to start) at or before it and not terminated
    before it (terminated_at is the last second billed), nor after its `ending_at` (the last second billed once the
    biller terminates it at that instant: events after it are not billed even before then); of an upgrade's two
    sides, the one that started last."""
    candidates = [(start, subscription) for start, subscription in _starting(history)
                  if start <= instant
                  and (subscription.terminated_at is None
                       or instant < after_last_second(subscription.terminated_at))
                  and (subscription.ending_at is None or instant < after_last_second(subscription.ending_at))]
    return _subscription(max(candidates, key=lambda candidate: candidate[0].astimezone(UTC), default=None))


def _starting(history: list[Subscription]) -> list[tuple[datetime, Subscription]]:
    """Each subscription that starts (or started), with when (`starts_at`)."""
    return [(start, subscription) for subscription in history if (start := starts_at(subscription)) is not None]


def _subscription(candidate: tuple[datetime, Subscription] | None) -> Subscription | None:
    return None if candidate is None else candidate[1]


def invoiced(subscription: Subscription, period: Period) -> bool:
    """Whether the subscription's charges `period` has had its finalized invoice: the biller has moved past it, or
    issued the subscription's final invoice, and that invoice is not a draft (a draft takes late events in), nor is
    the period history a backfill may still bill."""
    if subscription.draft_of(period.start) is not None:
        return False
    if subscription.unbilled_history is not None and subscription.unbilled_history.owes(period):
        return False
    if subscription.status == "terminated" and not subscription.final_invoice_due:
        return True
    start = subscription.current_billing_period_start
    return start is not None and period.end <= start


def next_to_start(history: list[Subscription], instant: datetime) -> Subscription | None:
    """The subscription of the external id that starts next after `instant` (a pending one: at its
    subscription_at), if any."""
    candidates = [(start, subscription) for start, subscription in _starting(history) if start > instant]
    return _subscription(min(candidates, key=lambda candidate: candidate[0].astimezone(UTC), default=None))


def charge_filter_index(charge: Charge, metric: BillableMetric, properties: Mapping[str, Any]) -> int | None:
    """The index of the charge filter an event's properties fall in; None for the default bucket."""
    return FilterBuckets([charge_filter.values for charge_filter in charge.filters],
                         metric.filter_values()).bucket_of(properties)


def filter_bucket(charge: Charge, filter_index: int | None) -> str:
    return bucket_key(None if filter_index is None else charge.filters[filter_index].values)


def bucket_indexes(charge: Charge) -> dict[str, int | None]:
    """The filter index of each of the charge's stored buckets; of identical filters, the oldest (the router's)."""
    indexes: dict[str, int | None] = {}
    for index in [*range(len(charge.filters)), None]:
        indexes.setdefault(filter_bucket(charge, index), index)
    return indexes


def charge_bucket(charge: Charge, filter_index: int | None,
                  properties: Mapping[str, Any]) -> tuple[str, PricingGroup]:
    """Where an event of the charge's filter bucket `filter_index` is aggregated: that bucket, and in it the event's
    pricing group (`UNGROUPED` unless the bucket has `pricing_group_keys`)."""
    return filter_bucket(charge, filter_index), pricing_group(charge.group_keys(filter_index), properties)

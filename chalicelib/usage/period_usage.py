"""The stored usage of one charges period of a subscription, as pricing takes it: the aggregates by (charge, filter
index) and what recurring metrics carry into the period. Current usage and the biller read it the same way, so
usage at period end is what the invoice bills (invariant 3)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from chalicelib.domain.aggregate_keys import AggregateItem, StoredAggregate, transactions_bucket
from chalicelib.domain.aggregations.base import AggregationResult
from chalicelib.domain.aggregations.events import UsageEvent, numeric_property
from chalicelib.domain.aggregations.registry import AggregateState
from chalicelib.domain.aggregations.unique_count import ActiveValues, histories_of
from chalicelib.domain.aggregations.windows import Window, epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.billing_context import charges_window
from chalicelib.domain.current_usage import (
    BEFORE_START_PERIOD_MS,
    BucketKey,
    needs_event_values,
    recurring_openings,
    unique_count_values_period_ms,
)
from chalicelib.domain.invoices.charge_fees import StoredUsage
from chalicelib.domain.periods import BillingTerms, Period
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.pricing.filters import FilterBuckets
from chalicelib.domain.pricing.groups import PricingGroup, pricing_group
from chalicelib.domain.pricing.transactions import Transactions, TransactionValues, transaction_values
from chalicelib.domain.subscriptions import Subscription
from chalicelib.usage.carried import Carried, carried_usage, with_carried_histories
from chalicelib.usage.ports import UsageReaders
from chalicelib.usage.routing import bucket_indexes


def _by_filter_index(charges: list[Charge],
                     stored: Mapping[tuple[str, str, PricingGroup], StoredAggregate | AggregateItem],
                     stored_bucket: Callable[[str], str]) -> dict[BucketKey, Any]:
    """The states of `stored` (by charge, stored bucket, group) by (charge, filter index, group), the stored bucket of
    each of a charge's buckets named by `stored_bucket` (the stored bucket says which state: its aggregation's, or
    `Transactions`)."""
    indexes = {(charge.id, stored_bucket(bucket)): index
               for charge in charges for bucket, index in bucket_indexes(charge).items()}
    return {(charge_id, indexes[(charge_id, bucket)], group): aggregate.state
            for (charge_id, bucket, group), aggregate in stored.items() if (charge_id, bucket) in indexes}


def bucket_states(charges: list[Charge],
                  stored: Mapping[tuple[str, str, PricingGroup], StoredAggregate | AggregateItem]
                  ) -> dict[BucketKey, AggregateState]:
    """The stored states by (charge, filter index, pricing group), from the store's (charge, bucket key, group)."""
    return _by_filter_index(charges, stored, lambda bucket: bucket)


def bucket_transactions(charges: list[Charge],
                        stored: Mapping[tuple[str, str, PricingGroup], StoredAggregate | AggregateItem]
                        ) -> dict[BucketKey, Transactions]:
    """The per-event states of percentage buckets by (charge, filter index, pricing group), stored beside their
    aggregates."""
    return _by_filter_index(charges, stored, transactions_bucket)


def _read_event_values(stores: UsageReaders, subscription: Subscription, charges: list[Charge],
                       metrics: Mapping[str, BillableMetric], window: Period) -> dict[BucketKey, TransactionValues]:
    """Each bucket's event values in (timestamp, transaction_id) order, read from the window's events (a Query of
    the external id's events over the window): only for buckets whose stored `Transactions` cannot answer."""
    events = sorted(stores.events.in_window(subscription.organization_id, subscription.external_id,
                                            epoch_ms(window.start), epoch_ms(window.end) - 1),
                    key=lambda event: (event.timestamp_ms, event.transaction_id))
    values: dict[BucketKey, list[Decimal]] = defaultdict(list)
    for charge in charges:
        metric = metrics[charge.billable_metric_id]
        buckets = FilterBuckets([charge_filter.values for charge_filter in charge.filters], metric.filter_values())
        for event in events:
            usage = UsageEvent(event.transaction_id, event.timestamp_ms, event.properties)
            value = numeric_property(usage, metric.field_name) if event.code == metric.code else None
            if value is not None:
                index = buckets.bucket_of(event.properties)
                values[(charge.id, index, pricing_group(charge.group_keys(index), event.properties))].append(value)
    return {key: TransactionValues(tuple(bucket)) for key, bucket in values.items()}


def bucket_event_values(stores: UsageReaders, subscription: Subscription, plan: Plan,
                        metrics: Mapping[str, BillableMetric], window: Period | None,
                        states: Mapping[BucketKey, AggregateState],
                        transactions: Mapping[BucketKey, Transactions]) -> dict[BucketKey, TransactionValues]:
    """What each bucket with events priced from its events' values (`needs_event_values`) reads: its stored
    `Transactions` (`transaction_values`), kept by the aggregator, so current usage and the invoice read no event. A
    bucket whose state cannot answer (built for the charge's earlier properties, a refund within a total allowance,
    too many leading events, or aggregated before the state existed) is read from the window's events."""
    answers: dict[BucketKey, TransactionValues] = {}
    unanswered: dict[str, Charge] = {}
    charges = {charge.id: charge for charge in plan.charges}
    for key in states.keys() | transactions.keys():
        charge_id, index, _ = key
        properties = charges[charge_id].bucket_properties(index)
        if not needs_event_values(properties):
            continue
        answer = transaction_values(transactions[key], properties) if key in transactions else None
        if answer is None:
            unanswered[charge_id] = charges[charge_id]
        else:
            answers[key] = answer
    if unanswered and window is not None:
        read = _read_event_values(stores, subscription, list(unanswered.values()), metrics, window)
        for key in states.keys() | transactions.keys() | read.keys():
            if key[0] in unanswered and key not in answers:
                answers[key] = read.get(key, TransactionValues())
    return answers


def _with_unanswered_values(stores: UsageReaders, subscription: Subscription, plan: Plan,
                            metrics: Mapping[str, BillableMetric], window: Window | None, period_start_ms: int,
                            stored: dict[tuple[str, str, PricingGroup], StoredAggregate], carried: Carried) -> None:
    """Replace in `stored` the summaries of the unique-count charges they do not answer with the charges' values
    (ONE Query per kind of values read, metered or recurring, growing with the values): a prorated charge (its
    days are the values'), a recurring one that carries values from an earlier subscription of its external id
    (they merge with its own by value), and one whose summary does not answer the window (`ActiveValues.answers`)."""
    unanswered: dict[int, set[str]] = defaultdict(set)
    for charge in plan.charges:
        metric = metrics[charge.billable_metric_id]
        if metric.aggregation_type != "unique_count_agg":
            continue
        summaries = [aggregate.state for (charge_id, _, _), aggregate in stored.items()
                     if charge_id == charge.id and isinstance(aggregate.state, ActiveValues)]
        if (charge.prorated or any(key[0] == charge.id for key in carried.histories) or window is None
                or not all(summary.answers(window) for summary in summaries)):
            unanswered[unique_count_values_period_ms(metric.recurring, period_start_ms)].add(charge.id)
    for values_period_ms, charge_ids in unanswered.items():
        for found in [found for found in stored if found[0] in charge_ids]:
            del stored[found]
        for key, values in stores.usage.stored_values(subscription.organization_id, subscription.id,
                                                      values_period_ms).items():
            if key.charge_id in charge_ids:
                stored[(key.charge_id, key.bucket, key.group)] = StoredAggregate.of_values(histories_of(values))


def stored_usage(stores: UsageReaders, subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric],
                 terms: BillingTerms, period: Period) -> StoredUsage:
    """ONE Query of the period's aggregates (metered unique counts' summaries among them) and, only when the plan has
    a recurring metric, ONE Query of the subscription's aggregates of every period (what it carries in, recurring
    unique counts' summaries among them: it grows with periods and buckets, never with events) and what the
    external id's earlier subscriptions carry in (`carried_usage`); the values of a unique count whose summary does
    not answer (`_with_unanswered_values`). Percentage buckets priced from their events' values read them from the
    same Query (`bucket_event_values`)."""
    period_start_ms = epoch_ms(period.start)
    stored = dict(stores.usage.period_aggregates(subscription.organization_id, subscription.id, period_start_ms))
    openings: Mapping[BucketKey, AggregationResult] = {}
    carried = Carried()
    recurring = any(metric.recurring for metric in metrics.values())
    by_period: dict[int, dict[tuple[str, str, PricingGroup], AggregateItem]] = defaultdict(dict)
    if recurring:
        for key, item in stores.usage.all_aggregates(subscription.organization_id, subscription.id).items():
            if key.period_start_ms < period_start_ms:
                by_period[key.period_start_ms][(key.charge_id, key.bucket, key.group)] = item
                if key.period_start_ms == BEFORE_START_PERIOD_MS and isinstance(item.state, ActiveValues):
                    stored[(key.charge_id, key.bucket, key.group)] = StoredAggregate(item.state, item.state.count)
        carried = carried_usage(stores, subscription, plan, metrics)
    shown = terms.charges_part(period)
    window = None if shown is None else charges_window(terms, period)
    _with_unanswered_values(stores, subscription, plan, metrics, window, period_start_ms, stored, carried)
    states = bucket_states(plan.charges, stored)
    values = bucket_event_values(stores, subscription, plan, metrics, shown, states,
                                 bucket_transactions(plan.charges, stored))
    if recurring:
        earlier = {start_ms: bucket_states(plan.charges, items) for start_ms, items in by_period.items()}
        openings = recurring_openings(plan, metrics, terms, earlier, carried.totals)
        states = with_carried_histories(plan, metrics, states, carried)
    return StoredUsage(states=states, openings=openings, event_values=values)

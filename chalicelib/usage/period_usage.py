"""The stored usage of one charges period of a subscription, as pricing takes it: the aggregates by (charge, filter
index) and what recurring metrics carry into the period. Current usage and the biller read it the same way, so
usage at period end is what the invoice bills (invariant 3)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from chalicelib.domain.aggregations.events import UsageEvent, numeric_property
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.current_usage import (
    BucketKey,
    needs_event_values,
    recurring_openings,
    unique_count_values_period_ms,
)
from chalicelib.domain.invoices.charge_fees import StoredUsage
from chalicelib.domain.periods import BillingTerms, Period
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.pricing.filters import FilterBuckets
from chalicelib.domain.pricing.transactions import Transactions, TransactionValues, transaction_values
from chalicelib.domain.subscriptions import Subscription
from chalicelib.store.usage import AggregateItem, StoredAggregate, bucket_key, transactions_bucket
from chalicelib.usage.carried import carried_usage, with_carried_histories


def bucket_states(charges: list[Charge], stored: Mapping[tuple[str, str], StoredAggregate | AggregateItem]
                  ) -> dict[BucketKey, object]:
    """The stored states by (charge, filter index), from the store's (charge, bucket key)."""
    states = {}
    for charge in charges:
        buckets = [(None, bucket_key(None))] + [(index, bucket_key(charge_filter.values))
                                                for index, charge_filter in enumerate(charge.filters)]
        for index, key in buckets:
            if (charge.id, key) in stored:
                states[(charge.id, index)] = stored[(charge.id, key)].state
    return states


def bucket_transactions(charges: list[Charge], stored: Mapping[tuple[str, str], StoredAggregate | AggregateItem]
                        ) -> dict[BucketKey, Transactions]:
    """The per-event states of percentage buckets by (charge, filter index), stored beside their aggregates."""
    found = {}
    for charge in charges:
        buckets = [(None, bucket_key(None))] + [(index, bucket_key(charge_filter.values))
                                                for index, charge_filter in enumerate(charge.filters)]
        for index, key in buckets:
            if (charge.id, transactions_bucket(key)) in stored:
                found[(charge.id, index)] = stored[(charge.id, transactions_bucket(key))].state
    return found


def _read_event_values(stores, subscription: Subscription, charges: list[Charge],
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
                values[(charge.id, buckets.bucket_of(event.properties))].append(value)
    return {key: TransactionValues(tuple(bucket)) for key, bucket in values.items()}


def bucket_event_values(stores, subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric],
                        window: Period | None, states: Mapping[BucketKey, object],
                        transactions: Mapping[BucketKey, Transactions]) -> dict[BucketKey, TransactionValues]:
    """What each bucket priced from its events' values (`needs_event_values`) reads: its stored `Transactions`
    (`transaction_values`), kept by the aggregator, so current usage and the invoice read no event. A bucket that
    had events but whose state cannot answer (built for the charge's earlier properties, a refund within a total
    allowance, too many leading events, or aggregated before the state existed) is read from the window's events."""
    answers: dict[BucketKey, TransactionValues] = {}
    unanswered: dict[str, Charge] = {}
    for charge in plan.charges:
        for index in [*range(len(charge.filters)), None]:
            properties = charge.bucket_properties(index)
            if not needs_event_values(properties):
                continue
            state = transactions.get((charge.id, index))
            if state is None and (charge.id, index) not in states:
                answer = TransactionValues()  # no event
            else:
                answer = None if state is None else transaction_values(state, properties)
            if answer is None:
                unanswered[charge.id] = charge
            else:
                answers[(charge.id, index)] = answer
    if unanswered and window is not None:
        read = _read_event_values(stores, subscription, list(unanswered.values()), metrics, window)
        for charge in unanswered.values():
            for index in [*range(len(charge.filters)), None]:
                if (charge.id, index) not in answers:
                    answers[(charge.id, index)] = read.get((charge.id, index), TransactionValues())
    return answers


def stored_usage(stores, subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric],
                 terms: BillingTerms, period: Period) -> StoredUsage:
    """ONE Query of the period's aggregates, one per kind of unique-count charge (metered, recurring) for their
    values, and, only when the plan has a recurring metric, ONE Query of the subscription's aggregates of every
    period (what it carries in: it grows with periods and buckets, never with events) and what the external id's
    earlier subscriptions carry in (`carried_usage`). Percentage buckets priced from their events' values read
    them from the same Query (`bucket_event_values`)."""
    period_start_ms = epoch_ms(period.start)
    value_periods = {unique_count_values_period_ms(metric.recurring, period_start_ms) for metric in metrics.values()
                     if metric.aggregation_type == "unique_count_agg"}
    stored = stores.usage.period_aggregates(subscription.organization_id, subscription.id, period_start_ms,
                                            value_periods)
    states = bucket_states(plan.charges, stored)
    values = bucket_event_values(stores, subscription, plan, metrics, terms.charges_part(period), states,
                                 bucket_transactions(plan.charges, stored))
    openings = {}
    if any(metric.recurring for metric in metrics.values()):
        by_period: dict[int, dict[tuple[str, str], AggregateItem]] = defaultdict(dict)
        for key, item in stores.usage.all_aggregates(subscription.organization_id, subscription.id).items():
            if key.period_start_ms < period_start_ms:
                by_period[key.period_start_ms][(key.charge_id, key.bucket)] = item
        earlier = {start_ms: bucket_states(plan.charges, items) for start_ms, items in by_period.items()}
        carried = carried_usage(stores, subscription, plan, metrics)
        openings = recurring_openings(plan, metrics, terms, earlier, carried.totals)
        states = with_carried_histories(plan, metrics, states, carried)
    return StoredUsage(states=states, openings=openings, event_values=values)

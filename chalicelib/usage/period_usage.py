"""The stored usage of one charges period of a subscription, as pricing takes it: the aggregates by (charge, filter
index) and what recurring metrics carry into the period. Current usage and the biller read it the same way, so
usage at period end is what the invoice bills (invariant 3)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.current_usage import BucketKey, recurring_openings, unique_count_values_period_ms
from chalicelib.domain.invoices.charge_fees import StoredUsage
from chalicelib.domain.periods import BillingTerms, Period
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.subscriptions import Subscription
from chalicelib.store.usage import AggregateItem, StoredAggregate, bucket_key


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


def stored_usage(stores, subscription: Subscription, plan: Plan, metrics: Mapping[str, BillableMetric],
                 terms: BillingTerms, period: Period) -> StoredUsage:
    """ONE Query of the period's aggregates, one per kind of unique-count charge (metered, recurring) for their
    values, and, only when the plan has a recurring metric, ONE Query of the subscription's aggregates of every
    period (what it carries in: it grows with periods and buckets, never with events)."""
    period_start_ms = epoch_ms(period.start)
    value_periods = {unique_count_values_period_ms(metric.recurring, period_start_ms) for metric in metrics.values()
                     if metric.aggregation_type == "unique_count_agg"}
    stored = stores.usage.period_aggregates(subscription.organization_id, subscription.id, period_start_ms,
                                            value_periods)
    openings = {}
    if any(metric.recurring for metric in metrics.values()):
        by_period: dict[int, dict[tuple[str, str], AggregateItem]] = defaultdict(dict)
        for key, item in stores.usage.all_aggregates(subscription.organization_id, subscription.id).items():
            if key.period_start_ms < period_start_ms:
                by_period[key.period_start_ms][(key.charge_id, key.bucket)] = item
        earlier = {start_ms: bucket_states(plan.charges, items) for start_ms, items in by_period.items()}
        openings = recurring_openings(plan, metrics, terms, earlier)
    return StoredUsage(states=bucket_states(plan.charges, stored), openings=openings)

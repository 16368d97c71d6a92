"""What a subscription's recurring metrics carry in from the earlier subscriptions of its external id and customer
(a plan change, upgrade or downgrade, or a subscription started again): Lago's recurring queries have no lower bound
and select by external subscription id, so the seats counted before a plan change are still counted after it
(lago-semantics §1.1, §5.3). Read from the earlier subscriptions' stored aggregates, never from events."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.domain.aggregate_keys import bucket_key
from chalicelib.domain.aggregations.base import AggregationResult
from chalicelib.domain.aggregations.moments import Moments
from chalicelib.domain.aggregations.registry import AggregateState, aggregation_for
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.unique_count import Histories, histories_of
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.current_usage import BEFORE_START_PERIOD_MS, BucketKey
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.pricing.groups import PricingGroup
from chalicelib.domain.subscriptions import Subscription
from chalicelib.usage.ports import UsageReaders
from chalicelib.usage.routing import bucket_indexes


@dataclass(frozen=True)
class Carried:
    """Per bucket of the plan's recurring charges: the running totals of sums and weighted sums (an opening, as
    the before-start events give one) and the unique-count operations (merged into the period's histories)."""

    totals: Mapping[BucketKey, AggregationResult] = field(default_factory=dict)
    histories: Mapping[BucketKey, Histories] = field(default_factory=dict)


def _filter_keys(charge: Charge) -> frozenset[str]:
    return frozenset(bucket_key(charge_filter.values) for charge_filter in charge.filters)


def matching_charge(earlier: Plan, charge: Charge) -> Charge | None:
    """The earlier plan's charge whose aggregates `charge` takes over: the first on the same metric with the same
    filters (so each bucket holds the same events). None: nothing is carried into `charge` (docs/aggregations.md)."""
    return next((candidate for candidate in earlier.charges
                 if candidate.billable_metric_id == charge.billable_metric_id
                 and _filter_keys(candidate) == _filter_keys(charge)), None)


def earlier_subscriptions(history: list[Subscription], subscription: Subscription) -> list[Subscription]:
    """The external id's subscriptions of the same customer that started before this one did."""
    if subscription.started_at is None:
        return []
    return [earlier for earlier in history
            if earlier.id != subscription.id and earlier.customer_id == subscription.customer_id
            and earlier.started_at is not None and earlier.started_at < subscription.started_at]


def carried_usage(stores: UsageReaders, subscription: Subscription, plan: Plan,
                  metrics: Mapping[str, BillableMetric]) -> Carried:
    """What the earlier subscriptions carry into the plan's recurring charges: ONE Query of the external id's
    terminated subscriptions, then per earlier one its plan, ONE Query of its aggregates and, for recurring unique
    counts, ONE of its value histories."""
    recurring = [charge for charge in plan.charges if metrics[charge.billable_metric_id].recurring]
    if not recurring:
        return Carried()
    # Those that started before this one have ended: one external id has one current subscription at a time.
    history = stores.subscriptions.history(subscription.organization_id, subscription.external_id, ("terminated",))
    totals: dict[BucketKey, Totals] = {}
    histories: dict[BucketKey, Histories] = {}
    for earlier in earlier_subscriptions(history, subscription):
        earlier_plan = stores.plans.get_any(earlier.organization_id, earlier.plan_id)
        matched = [(charge, found) for charge in recurring
                   if earlier_plan and (found := matching_charge(earlier_plan, charge))]
        if not matched:
            continue
        states = _earlier_states(stores, earlier, [charge for charge, _ in matched], metrics)
        for charge, earlier_charge in matched:
            metric = metrics[charge.billable_metric_id]
            aggregation = aggregation_for(metric.aggregation_type, metric.field_name, recurring=True,
                                          prorated=charge.prorated)
            indexes = bucket_indexes(charge)
            for (charge_id, bucket, group), kept in states.items():
                if charge_id != earlier_charge.id or bucket not in indexes:
                    continue
                key = (charge.id, indexes[bucket], group)
                for state in kept:
                    if metric.aggregation_type == "unique_count_agg" and isinstance(state, Mapping):
                        histories[key] = aggregation.combine(histories.get(key, aggregation.empty), state)
                    elif isinstance(state, (Totals, Moments)):
                        totals[key] = totals.get(key, Totals()) + Totals(state.total, state.events_count)
    return Carried({key: AggregationResult.of(total.total, total.events_count) for key, total in totals.items()},
                   histories)


def _earlier_states(stores: UsageReaders, earlier: Subscription, charges: list[Charge],
                    metrics: Mapping[str, BillableMetric]
                    ) -> dict[tuple[str, str, PricingGroup], list[AggregateState]]:
    """The earlier subscription's stored states by (its charge, bucket, pricing group): its aggregates of every
    period (the before-start one included) and, when a recurring unique count is carried, its value histories."""
    states: dict[tuple[str, str, PricingGroup], list[AggregateState]] = {}
    for key, item in stores.usage.all_aggregates(earlier.organization_id, earlier.id).items():
        states.setdefault((key.charge_id, key.bucket, key.group), []).append(item.state)
    if any(metrics[charge.billable_metric_id].aggregation_type == "unique_count_agg" for charge in charges):
        for key, values in stores.usage.stored_values(earlier.organization_id, earlier.id,
                                                      BEFORE_START_PERIOD_MS).items():
            states.setdefault((key.charge_id, key.bucket, key.group), []).append(histories_of(values))
    return states


def with_carried_histories(plan: Plan, metrics: Mapping[str, BillableMetric],
                           states: Mapping[BucketKey, AggregateState],
                           carried: Carried) -> dict[BucketKey, AggregateState]:
    """The period's states with the carried unique-count operations merged into each recurring bucket's histories."""
    merged = dict(states)
    charges = {charge.id: charge for charge in plan.charges}
    for key, histories in carried.histories.items():
        charge = charges[key[0]]
        metric = metrics[charge.billable_metric_id]
        aggregation = aggregation_for(metric.aggregation_type, metric.field_name, recurring=True,
                                      prorated=charge.prorated)
        merged[key] = aggregation.combine(merged.get(key, aggregation.empty), histories)
    return merged

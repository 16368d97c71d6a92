"""`rebuild-usage`: recompute the aggregates of the subscriptions of an external id from the stored events, compare
them with the usage table, and optionally write the recomputed state. The recovery path once the stream's 24 hours
are gone (docs/data-model.md, "Rebuilding aggregates").

The events are read from the events table's `by_subscription_time` index (every event of the external id, in time
order), routed exactly as the stream aggregator routes them (chalicelib/usage/routing.py) and folded with the same
pure aggregations, so a rebuilt aggregate equals what the aggregator leaves after applying each event once.
Aggregates are compared over every period of every subscription the external id has named; unique-count values
(one item per value, not per period) and their bucket's summary are compared per (subscription, charge, filter
bucket), each value counted anew."""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.aggregate_keys import AggregateItem, AggregateKey
from chalicelib.domain.aggregations.unique_count import (
    ActiveValues,
    CountedValue,
    UniqueCountAggregation,
    summary_of,
)
from chalicelib.domain.aggregations.windows import from_epoch_ms
from chalicelib.domain.current_usage import BEFORE_START_PERIOD_MS
from chalicelib.domain.errors import NotFound
from chalicelib.usage.ports import UsageStores
from chalicelib.usage.routing import StoredEvent, fresh_router


@dataclass(frozen=True)
class Difference:
    """One aggregate whose stored state differs from the recomputed one. `bucket_values` is True for a unique-count
    charge's values (stored and recomputed are then {value: CountedValue}) or their summary (`ActiveValues`), whose
    period is "all" for a recurring metric (one history per subscription)."""

    key: AggregateKey
    stored: Any
    recomputed: Any
    bucket_values: bool = False

    def describe(self) -> str:
        key = self.key
        period = "all" if self.bucket_values and key.period_start_ms == BEFORE_START_PERIOD_MS else _iso(
            key.period_start_ms)
        where = f"subscription={key.subscription_id} period={period} charge={key.charge_id} bucket={key.bucket}"
        if key.group:
            where += f" group={json.dumps(dict(key.group), ensure_ascii=False)}"
        kind = "values" if self.bucket_values else "aggregate"
        return f"{kind} {where}: stored={_show(self.stored)} recomputed={_show(self.recomputed)}"


@dataclass
class RebuildReport:
    checked: int = 0
    differences: list[Difference] = field(default_factory=list)
    applied: bool = False

    def lines(self) -> Iterator[str]:
        for difference in self.differences:
            yield difference.describe()
        yield f"{self.checked} aggregates checked, {len(self.differences)} differ"
        if self.applied:
            yield f"{len(self.differences)} aggregates rewritten"


@dataclass
class _Recomputed:
    state: Any
    window_start_ms: int
    period_end_ms: int


class UsageRebuild:
    """`rebuild-usage` on the usage stores."""

    def __init__(self, stores: UsageStores):
        self._stores = stores

    def rebuild(self, organization_id: str, external_subscription_id: str, apply: bool = False) -> RebuildReport:
        """Compare (and with `apply`, rewrite) every aggregate of the external id's subscriptions."""
        router = fresh_router(self._stores)
        usage = self._stores.usage
        subscriptions = router.subscriptions(organization_id, external_subscription_id)
        if not subscriptions:
            raise NotFound("subscription")
        recomputed: dict[AggregateKey, _Recomputed] = {}
        values: dict[AggregateKey, dict[str, CountedValue]] = defaultdict(dict)
        for item in self._stores.events.stored_images(organization_id, external_subscription_id):
            for routed in router.route(StoredEvent.of(item)).routes:
                aggregation, contribution = routed.aggregation, routed.contribution()
                if isinstance(aggregation, UniqueCountAggregation):
                    of_bucket = values[routed.key]
                    for value, operations in contribution.items():
                        of_bucket[value] = of_bucket.get(value, CountedValue()).with_operations(
                            operations, {routed.period_end_ms})
                    continue
                current = recomputed.get(routed.key)
                state = aggregation.combine(current.state if current else aggregation.empty, contribution)
                recomputed[routed.key] = _Recomputed(state, routed.window.start_ms, routed.period_end_ms)
        # The aggregator stores no empty state (events without a numeric value) either.
        recomputed = {key: entry for key, entry in recomputed.items() if entry.state != _empty_like(entry.state)}

        stored: dict[AggregateKey, AggregateItem] = {}
        stored_values: dict[AggregateKey, dict[str, CountedValue]] = {}
        for subscription in subscriptions:
            stored.update(usage.all_aggregates(organization_id, subscription.id))
            for key, counted in usage.stored_values(organization_id, subscription.id).items():
                stored_values[key] = {value: each for value, each in counted.items() if each.operations}
        summaries = {key: item.state for key, item in stored.items() if isinstance(item.state, ActiveValues)}
        stored = {key: item for key, item in stored.items() if key not in summaries}

        # A missing aggregate is recreated with each shard's highest watermark on the external id's aggregates: with
        # the stream caught up, every record of the external id a shard delivered is at or below it.
        highest: dict[str, str] = {}
        for aggregate in stored.values():
            for shard, watermark in aggregate.watermarks.items():
                highest[shard] = max(highest.get(shard, watermark), watermark)

        report = RebuildReport()
        for key in sorted(stored.keys() | recomputed.keys(), key=_order):
            report.checked += 1
            kept, entry = stored.get(key), recomputed.get(key)
            stored_state = kept.state if kept else None
            new_state = entry.state if entry else _empty_like(stored_state)
            if stored_state != new_state:
                report.differences.append(Difference(key, stored_state, new_state))
                if apply:
                    if entry is None:  # no event left for it: emptied, its watermarks kept
                        bounds = usage.period_aggregates(organization_id, key.subscription_id, key.period_start_ms)
                        found = bounds[(key.charge_id, key.bucket, key.group)]
                        assert found.window_start_ms is not None and found.period_end_ms is not None  # stored with both
                        entry = _Recomputed(new_state, found.window_start_ms, found.period_end_ms)
                    usage.replace_aggregate(key, entry.state, window_start_ms=entry.window_start_ms,
                                            period_end_ms=entry.period_end_ms, kept=kept, watermarks=highest)
        for key in sorted(stored_values.keys() | values.keys() | summaries.keys(), key=_order):
            report.checked += 1
            old, new = stored_values.get(key, {}), values.get(key, {})
            summary = summary_of(new)
            if old != new:
                report.differences.append(Difference(key, old, new, bucket_values=True))
                if apply:
                    for value in old.keys() | new.keys():
                        if old.get(value) != new.get(value):
                            usage.replace_value(key, value, new.get(value, CountedValue()))
            if summaries.get(key, ActiveValues()) != summary:
                report.differences.append(Difference(key, summaries.get(key, ActiveValues()), summary,
                                                     bucket_values=True))
                if apply:
                    usage.replace_summary(key, summary)
        report.applied = apply
        return report


def _empty_like(state: Any) -> Any:
    """The state an aggregate of this kind holds when no stored event contributes to it (0, `Totals()`, ...)."""
    return type(state)()


def _order(key: AggregateKey) -> tuple[str, int, str, str, str]:
    return key.subscription_id, key.period_start_ms, key.charge_id, key.bucket, json.dumps(key.group)


def _iso(epoch_ms: int) -> str:
    return from_epoch_ms(epoch_ms).isoformat().replace("+00:00", "Z")


def _show(state: Any) -> str:
    if isinstance(state, ActiveValues):
        return f"{state.count} active"
    if isinstance(state, dict):
        return "{" + ", ".join(f"{value}: {len(counted.operations)} operations, counted {counted.counted}"
                               for value, counted in sorted(state.items())) + "}"
    return repr(state)

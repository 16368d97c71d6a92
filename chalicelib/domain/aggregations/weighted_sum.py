"""weighted_sum_agg: the time-weighted average of a running total over the FULL period.

Lago builds the points (window start, initial value), the events in timestamp order (each a delta) and (window
end, 0), and sums running total × seconds to the next point / (charges_duration × 86 400); points at the same
instant weigh nothing but feed the running total. The denominator is the full period even when the window starts
mid-period. A recurring metric's initial value is the previous period's closing total (its
total_aggregated_units), a metered one's 0. Units are rounded up at 20 decimals; total_aggregated_units is the
closing running total.

Stored form: `Moments` with the offset t - window start in milliseconds (DynamoDB `ADD`), since the integral of
the running total is initial × (T - F) + Σ delta × (T - t) = (initial + Σ delta) × (T - F) - Σ delta × (t - F)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from chalicelib.domain.aggregations.arithmetic import EXACT, ZERO, ceil_quotient, exact_sum
from chalicelib.domain.aggregations.base import AddedUp, AggregationResult, NumericAggregation
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.moments import Moments
from chalicelib.domain.aggregations.windows import MS_PER_DAY, Window

UNITS_DECIMALS = 20


@dataclass(frozen=True)
class WeightedSumAggregation(AddedUp[Moments], NumericAggregation[Moments]):
    empty: ClassVar[Moments] = Moments()

    def value_contribution(self, value: Decimal, event: UsageEvent, window: Window) -> Moments:
        return Moments.of(value, event.timestamp_ms - window.start_ms)

    def opening_state(self, previous: AggregationResult, window: Window) -> Moments:
        # The carried total is an initial value, not an event of this window: it adds nothing to events_count.
        return Moments(previous.total_aggregated_units, ZERO, 0) if self.recurring else self.empty

    def result(self, state: Moments, window: Window) -> AggregationResult:
        return _weighted(state.weighted_total(window.duration_ms), state.events_count, state.total, window)

    def naive_result(self, events: Iterable[UsageEvent], window: Window) -> AggregationResult:
        numeric = self.selected_values(events, window)
        deltas = [(event.timestamp_ms, value) for event, value in numeric if window.contains(event.timestamp_ms)]
        initial = exact_sum(value for event, value in numeric if event.timestamp_ms < window.start_ms)
        running, weighted, since = initial, ZERO, window.start_ms
        for timestamp_ms, delta in deltas:
            weighted = EXACT.add(weighted, EXACT.multiply(running, timestamp_ms - since))
            running, since = EXACT.add(running, delta), timestamp_ms
        weighted = EXACT.add(weighted, EXACT.multiply(running, window.end_ms - since))
        return _weighted(weighted, len(deltas), running, window)


def _weighted(weighted_ms: Decimal, events_count: int, closing_total: Decimal, window: Window) -> AggregationResult:
    units = ceil_quotient(weighted_ms, window.charges_duration_days * MS_PER_DAY, UNITS_DECIMALS)
    return AggregationResult(units, events_count, closing_total)

"""sum_agg on a prorated charge (recurring metrics only): each event weighs (calendar days from its date to the
window's last day, inclusive) / charges_duration; events before the window weigh its whole length (so fully
when it is a full period). Units are rounded up at 5 decimals (Lago: 5 + 12·6/31 + 12·6/31 → 9.64517).

Stored form: `Moments` with the offset in calendar days (customer timezone) from the window's first day
(DynamoDB `ADD` of total, moment, events_count); the previous period's total opens the window at offset 0."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from chalicelib.domain.aggregations.arithmetic import EXACT, ceil_quotient, exact_sum
from chalicelib.domain.aggregations.base import AddedUp, AggregationResult, NumericAggregation
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.moments import Moments
from chalicelib.domain.aggregations.windows import Window

UNITS_DECIMALS = 5


@dataclass(frozen=True)
class ProratedSumAggregation(AddedUp[Moments], NumericAggregation[Moments]):
    recurring: bool = True
    empty: ClassVar[Moments] = Moments()

    def value_contribution(self, value: Decimal, event: UsageEvent, window: Window) -> Moments:
        return Moments.of(value, window.day_offset(event.timestamp_ms))

    def opening_state(self, previous: AggregationResult, window: Window) -> Moments:
        """The units carried in, billed for the window's `persisted_days`: at the offset that weighs them so."""
        days_short = Decimal(window.days - window.persisted_days)
        return Moments(previous.total_aggregated_units, EXACT.multiply(previous.total_aggregated_units, days_short),
                       previous.events_count)

    def result(self, state: Moments, window: Window) -> AggregationResult:
        units = ceil_quotient(state.weighted_total(window.days), window.charges_duration_days, UNITS_DECIMALS)
        return AggregationResult(units, state.events_count, state.total)

    def naive_result(self, events: Iterable[UsageEvent], window: Window) -> AggregationResult:
        numeric = self.selected_values(events, window)
        # An event weighs its days left in the window; one from before the window, the window's persisted days.
        weighted = exact_sum(EXACT.multiply(value, window.days - window.day_offset(event.timestamp_ms)
                                            if window.contains(event.timestamp_ms) else window.persisted_days)
                             for event, value in numeric)
        units = ceil_quotient(weighted, window.charges_duration_days, UNITS_DECIMALS)
        return AggregationResult(units, len(numeric), exact_sum(value for _, value in numeric))

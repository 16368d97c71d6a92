"""sum_agg: Σ of the numeric property (negatives included); a recurring metric drops the window's lower bound.

Stored form: Σ value and the number of numeric events (DynamoDB `ADD`); a recurring metric opens each window with
the previous period's total and count."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from chalicelib.domain.aggregations.arithmetic import EXACT, ZERO, exact_sum
from chalicelib.domain.aggregations.base import AddedUp, AggregationResult, NumericAggregation
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.windows import Window


@dataclass(frozen=True)
class Totals:
    total: Decimal = ZERO
    events_count: int = 0

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(EXACT.add(self.total, other.total), self.events_count + other.events_count)


@dataclass(frozen=True)
class SumAggregation(AddedUp[Totals], NumericAggregation[Totals]):
    empty: ClassVar[Totals] = Totals()

    def value_contribution(self, value: Decimal, event: UsageEvent, window: Window) -> Totals:
        return Totals(value, 1)

    def opening_state(self, previous: AggregationResult, window: Window) -> Totals:
        return Totals(previous.total_aggregated_units, previous.events_count) if self.recurring else self.empty

    def result(self, state: Totals, window: Window) -> AggregationResult:
        return AggregationResult.of(state.total, state.events_count)

    def naive_result(self, events: Iterable[UsageEvent], window: Window) -> AggregationResult:
        values = [value for _, value in self.selected_values(events, window)]
        return AggregationResult.of(exact_sum(values), len(values))

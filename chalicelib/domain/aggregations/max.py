"""max_agg: the largest numeric value in the window (0 when there is none); never carried over.

Stored form: the maximum and the number of numeric events. Not a blind DynamoDB ADD: the aggregator SETs the
combined maximum (read, combine, write under the same condition that guards its watermark)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from chalicelib.domain.aggregations.arithmetic import ZERO
from chalicelib.domain.aggregations.base import AggregationResult, NumericAggregation
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.windows import Window


@dataclass(frozen=True)
class Maximum:
    value: Decimal | None = None
    events_count: int = 0


@dataclass(frozen=True)
class MaxAggregation(NumericAggregation[Maximum]):
    empty: ClassVar[Maximum] = Maximum()

    def value_contribution(self, value: Decimal, event: UsageEvent, window: Window) -> Maximum:
        return Maximum(value, 1)

    def combine(self, first: Maximum, second: Maximum) -> Maximum:
        values = [state.value for state in (first, second) if state.value is not None]
        return Maximum(max(values, default=None), first.events_count + second.events_count)

    def result(self, state: Maximum, window: Window) -> AggregationResult:
        return AggregationResult.of(ZERO if state.value is None else state.value, state.events_count)

    def naive_result(self, events: Iterable[UsageEvent], window: Window) -> AggregationResult:
        values = [value for _, value in self.selected_values(events, window)]
        return AggregationResult.of(max(values, default=ZERO), len(values))

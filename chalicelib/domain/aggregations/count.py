"""count_agg: the number of events in the window, whatever their properties.

Stored form: the count (DynamoDB `ADD events_count :n`)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from chalicelib.domain.aggregations.base import AddedUp, Aggregation, AggregationResult
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.windows import Window


@dataclass(frozen=True)
class CountAggregation(AddedUp[int], Aggregation[int]):
    empty: ClassVar[int] = 0

    def contribution(self, event: UsageEvent, window: Window) -> int:
        window.require(event.timestamp_ms)
        return 1

    def result(self, state: int, window: Window) -> AggregationResult:
        return AggregationResult.of(Decimal(state), state)

    def naive_result(self, events: Iterable[UsageEvent], window: Window) -> AggregationResult:
        return self.result(len(self.selected(events, window)), window)

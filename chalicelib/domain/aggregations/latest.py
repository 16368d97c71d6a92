"""latest_agg: the value of the last numeric event by timestamp, negative values clamped to 0 (0 when none).

Equal timestamps go to the greater transaction_id (Lago: the later arrival, which replays do not preserve).
Stored form: the latest value with its timestamp and transaction_id, and the number of numeric events; the
aggregator SETs the combined one (a string comparison of transaction ids is the same in Python and DynamoDB:
code points and UTF-8 bytes sort alike)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import ClassVar

from chalicelib.domain.aggregations.arithmetic import ZERO
from chalicelib.domain.aggregations.base import AggregationResult, NumericAggregation
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.windows import Window


@dataclass(frozen=True)
class Latest:
    value: Decimal | None = None
    timestamp_ms: int | None = None
    transaction_id: str | None = None
    events_count: int = 0


def _clamped(value: Decimal | None) -> Decimal:
    return ZERO if value is None else max(value, ZERO)


@dataclass(frozen=True)
class LatestAggregation(NumericAggregation[Latest]):
    empty: ClassVar[Latest] = Latest()

    def value_contribution(self, value: Decimal, event: UsageEvent, window: Window) -> Latest:
        return Latest(value, event.timestamp_ms, event.transaction_id, 1)

    def combine(self, first: Latest, second: Latest) -> Latest:
        newest = max((state for state in (first, second) if state.value is not None),
                     key=lambda state: (state.timestamp_ms, state.transaction_id), default=first)
        return replace(newest, events_count=first.events_count + second.events_count)

    def result(self, state: Latest, window: Window) -> AggregationResult:
        return AggregationResult.of(_clamped(state.value), state.events_count)

    def naive_result(self, events: Iterable[UsageEvent], window: Window) -> AggregationResult:
        values = [value for _, value in self.selected_values(events, window)]
        return AggregationResult.of(_clamped(values[-1] if values else None), len(values))

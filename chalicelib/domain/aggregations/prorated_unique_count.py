"""unique_count_agg on a prorated charge (recurring metrics only): Σ over values of the calendar days (customer
timezone) each was active in the window, / charges_duration, rounded up at 5 decimals. A value counts from its
add day to its remove day, both included, so a remove and a re-add on one day do not split a stretch, and a value
added and removed several times in one day counts that day once. A value active when the window opens counts
from its first day. events_count and total_aggregated_units are the values active at the end (full units).

Stored form: the per-value operation sets of unique_count; the units are computed from them (its summary's count
of values active at the end gives no days: a prorated charge reads the values)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.aggregations.arithmetic import ceil_quotient
from chalicelib.domain.aggregations.base import AggregationResult
from chalicelib.domain.aggregations.events import UsageEvent, distinct_value, is_add_operation
from chalicelib.domain.aggregations.unique_count import (
    ActiveValues,
    Operation,
    UniqueCountAggregation,
    UniqueCountState,
)
from chalicelib.domain.aggregations.windows import Window

UNITS_DECIMALS = 5


@dataclass(frozen=True)
class ProratedUniqueCountAggregation(UniqueCountAggregation):
    recurring: bool = True

    def result(self, state: UniqueCountState, window: Window) -> AggregationResult:
        if isinstance(state, ActiveValues):
            raise ValueError("a prorated unique count is computed from its values' operations")
        active_days = sum(_days_covered(self._active_stretches(operations, window)) for operations in state.values())
        return _prorated(active_days, super().result(state, window), window)

    def _active_stretches(self, operations: Iterable[Operation], window: Window) -> Iterator[tuple[int, int]]:
        """(first, last) day offsets of each stretch the value was active in the window, in order."""
        active, first_day = False, 0
        for operation in self.operations_read(operations, window):
            if operation.timestamp_ms < window.start_ms:
                active = operation.is_add  # the state the window opens with: a stretch from its first day
            elif operation.is_add and not active:
                active, first_day = True, window.day_offset(operation.timestamp_ms)
            elif active and not operation.is_add:
                active = False
                yield first_day, window.day_offset(operation.timestamp_ms)
        if active:
            yield first_day, window.days - 1

    def naive_result(self, events: Iterable[UsageEvent], window: Window) -> AggregationResult:
        # Day by day: a value is active on a day if it is active when the day starts (its last earlier operation
        # is an add; the first day starts with the state before the window) or if it is added during the day.
        days_and_adds: dict[str, list[tuple[int | None, bool]]] = {}
        for event in self.selected(events, window):
            value = distinct_value(event, self.field_name)
            if value is not None:
                day = window.day_offset(event.timestamp_ms) if window.contains(event.timestamp_ms) else None
                days_and_adds.setdefault(value, []).append((day, is_add_operation(event)))
        active_days = 0
        for operations in days_and_adds.values():
            for day in range(window.days):
                earlier = [is_add for op_day, is_add in operations if op_day is None or op_day < day]
                added_that_day = any(is_add for op_day, is_add in operations if op_day == day)
                active_days += (bool(earlier) and earlier[-1]) or added_that_day
        return _prorated(active_days, super().naive_result(events, window), window)


def _days_covered(stretches: Iterable[tuple[int, int]]) -> int:
    """Days in the union of stretches given in order (a stretch may start on the day the previous one ended)."""
    days, counted_through = 0, -1
    for first, last in stretches:
        days += max(0, last - max(first, counted_through + 1) + 1)
        counted_through = max(counted_through, last)
    return days


def _prorated(active_days: int, at_end: AggregationResult, window: Window) -> AggregationResult:
    units = ceil_quotient(Decimal(active_days), window.charges_duration_days, UNITS_DECIMALS)
    return AggregationResult(units, at_end.events_count, at_end.units)

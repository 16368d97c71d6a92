"""unique_count_agg: the number of distinct values active at the window's end under Lago's add/remove state
machine; events_count is that number too. A metered metric reads the window's events, a recurring one every
event before the window's end.

Stored form: per value, the set of its operations (timestamp, transaction_id, add or remove); in DynamoDB one
item per (subscription, charge, filter bucket, value) holding a string set that each event is `ADD`ed to. Set
union is commutative, associative and idempotent, so any arrival order, batching or replay converges. A value is
active when its last operation (by timestamp, then transaction_id) is an add, which is what Lago's +1/-1 sum over
the events comes to. The histories belong to the subscription, not to a period: the same items answer every
window, including the next periods of a recurring metric."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar

from chalicelib.domain.aggregations.base import Aggregation, AggregationResult
from chalicelib.domain.aggregations.events import UsageEvent, distinct_value, is_add_operation
from chalicelib.domain.aggregations.windows import Window


@dataclass(frozen=True, order=True)
class Operation:
    """One add or remove of a value; operations sort by timestamp, then transaction_id."""

    timestamp_ms: int
    transaction_id: str
    is_add: bool


Histories = Mapping[str, frozenset[Operation]]


@dataclass(frozen=True)
class UniqueCountAggregation(Aggregation[Histories]):
    empty: ClassVar[Histories] = MappingProxyType({})

    def contribution(self, event: UsageEvent, window: Window) -> Histories:
        """The event's operation on its value, kept whatever its period (the window is not read)."""
        value = distinct_value(event, self.field_name)
        if value is None:
            return self.empty
        return {value: frozenset({Operation(event.timestamp_ms, event.transaction_id, is_add_operation(event))})}

    def combine(self, first: Histories, second: Histories) -> Histories:
        merged = dict(first)
        for value, operations in second.items():
            merged[value] = merged.get(value, frozenset()) | operations
        return merged

    def result(self, state: Histories, window: Window) -> AggregationResult:
        active = sum(1 for operations in state.values() if self._active_at_end(operations, window))
        return AggregationResult.of(Decimal(active), active)

    def operations_read(self, operations: Iterable[Operation], window: Window) -> list[Operation]:
        """A value's operations the window depends on, in order."""
        return sorted(operation for operation in operations if self.reads(operation.timestamp_ms, window))

    def _active_at_end(self, operations: Iterable[Operation], window: Window) -> bool:
        ordered = self.operations_read(operations, window)
        return bool(ordered) and ordered[-1].is_add

    def naive_result(self, events: Iterable[UsageEvent], window: Window) -> AggregationResult:
        # Lago's query: per value in timestamp order, an add whose previous event is not an add counts +1 (the first
        # event follows an implicit remove), a remove whose previous event is an add -1, anything else 0.
        previous_is_add: dict[str, bool] = {}
        units = 0
        for event in self.selected(events, window):
            value = distinct_value(event, self.field_name)
            if value is None:
                continue
            is_add, was_add = is_add_operation(event), previous_is_add.get(value, False)
            units += 1 if is_add and not was_add else -1 if was_add and not is_add else 0
            previous_is_add[value] = is_add
        return AggregationResult.of(Decimal(units), units)

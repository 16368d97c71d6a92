"""unique_count_agg: the number of distinct values active at the window's end under Lago's add/remove state
machine; events_count is that number too. A metered metric reads the window's events, a recurring one every
event before the window's end.

Stored form: per value, the set of its operations (timestamp, transaction_id, add or remove); in DynamoDB one
item per (subscription, charge, filter bucket, value) holding a string set that each event is `ADD`ed to. Set
union is commutative, associative and idempotent, so any arrival order, batching or replay converges. A value is
active when its last operation (by timestamp, then transaction_id) is an add, which is what Lago's +1/-1 sum over
the events comes to. The histories belong to the subscription, not to a period: the same items answer every
window, including the next periods of a recurring metric.

Counted form (what current usage and the biller read): each value item also keeps what it has put into its bucket's
count (`CountedValue.counted`, 1 when active after all its operations) and the ends of the charges periods its
operations were routed to; ONE summary item per bucket (`ActiveValues`) holds the sum of the `counted` and the union
of those ends, moved by exactly each value's change (`summary_change`) in the value's own write. It answers a
window that ends at or after every operation (`ActiveValues.answers`); other windows read the values.
docs/aggregations.md ("unique count: the counted summary")."""
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


def active_after(operations: Iterable[Operation]) -> bool:
    """Whether a value is active once all its operations are applied: its last one is an add."""
    last = max(operations, default=None)
    return last is not None and last.is_add


@dataclass(frozen=True)
class CountedValue:
    """A unique-count value as stored: its operations, the end of each charges period (epoch ms) they were routed
    to, and what it has put into its bucket's `ActiveValues` (`counted`: 1 or 0)."""

    operations: frozenset[Operation] = frozenset()
    period_ends_ms: frozenset[int] = frozenset()
    counted: int = 0

    def with_operations(self, operations: Iterable[Operation], period_ends_ms: Iterable[int]) -> CountedValue:
        """The value with more operations (set union: a redelivery gives it back unchanged), counted anew."""
        merged = self.operations | frozenset(operations)
        return CountedValue(merged, self.period_ends_ms | frozenset(period_ends_ms), int(active_after(merged)))


@dataclass(frozen=True)
class ActiveValues:
    """A unique-count bucket's summary: how many of its values are active after all their operations, and the end of
    every charges period an operation of the bucket was routed to."""

    count: int = 0
    period_ends_ms: frozenset[int] = frozenset()

    def __add__(self, other: ActiveValues) -> ActiveValues:
        return ActiveValues(self.count + other.count, self.period_ends_ms | other.period_ends_ms)

    @property
    def events_count(self) -> int:
        return self.count

    def answers(self, window: Window) -> bool:
        """Whether the count is the window's: no operation of the bucket lies at or after the window's end (each
        lies before the end of the period it was routed to). A subscription terminated mid-period, or an event
        timestamped in a later period, makes the window read the values."""
        return all(end_ms <= window.end_ms for end_ms in self.period_ends_ms)


def summary_change(before: CountedValue, after: CountedValue) -> ActiveValues:
    """What a value's write moves its bucket's summary by: its change of `counted`, and its new period ends."""
    return ActiveValues(after.counted - before.counted, after.period_ends_ms - before.period_ends_ms)


@dataclass(frozen=True)
class ValueWrite:
    """One value of a bucket written: as `written`, on condition that it is still at `read_revision` (0: absent), and
    what that moves its bucket's summary by (`summary_change`)."""

    written: CountedValue
    read_revision: int
    change: ActiveValues


def histories_of(values: Mapping[str, CountedValue]) -> Histories:
    """A bucket's values as the operations a window is computed from."""
    return {value: counted.operations for value, counted in values.items()}


def summary_of(values: Mapping[str, CountedValue]) -> ActiveValues:
    """A bucket's summary counted from its values (rebuild-usage)."""
    return sum((ActiveValues(each.counted, each.period_ends_ms) for each in values.values()), ActiveValues())


# What a unique-count bucket is priced from: its values' operations, or its summary where that answers the window.
UniqueCountState = Histories | ActiveValues


@dataclass(frozen=True)
class UniqueCountAggregation(Aggregation[UniqueCountState]):
    empty: ClassVar[Histories] = MappingProxyType({})

    def contribution(self, event: UsageEvent, window: Window) -> Histories:
        """The event's operation on its value, kept whatever its period (the window is not read)."""
        value = distinct_value(event, self.field_name)
        if value is None:
            return self.empty
        return {value: frozenset({Operation(event.timestamp_ms, event.transaction_id, is_add_operation(event))})}

    def combine(self, first: UniqueCountState, second: UniqueCountState) -> UniqueCountState:
        if isinstance(first, ActiveValues) or isinstance(second, ActiveValues):
            return _summary_alone(first, second)
        merged = dict(first)
        for value, operations in second.items():
            merged[value] = merged.get(value, frozenset()) | operations
        return merged

    def result(self, state: UniqueCountState, window: Window) -> AggregationResult:
        if isinstance(state, ActiveValues):
            return AggregationResult.of(Decimal(state.count), state.count)
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


def _summary_alone(first: UniqueCountState, second: UniqueCountState) -> ActiveValues:
    """A summary combined with no operations (the opening of a window): a summary and operations of the same bucket
    never meet, the values are read instead."""
    if isinstance(first, ActiveValues) and not isinstance(second, ActiveValues) and not second:
        return first
    if isinstance(second, ActiveValues) and not isinstance(first, ActiveValues) and not first:
        return second
    raise ValueError("a unique-count summary combines with no operations")

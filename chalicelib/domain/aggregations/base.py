"""What every aggregation offers: a stored state built from per-event contributions, the result it gives a
charge, and the naive recomputation from the events that defines what that result must be."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from typing import Any, Generic, Protocol, Self, TypeVar

from chalicelib.domain.aggregations.arithmetic import ZERO
from chalicelib.domain.aggregations.events import UsageEvent, numeric_property
from chalicelib.domain.aggregations.windows import Window

State = TypeVar("State")


class Additive(Protocol):
    """A state combined by `+`: counts, totals, moments."""

    def __add__(self, other: Self, /) -> Self:
        ...


AdditiveState = TypeVar("AdditiveState", bound=Additive)


@dataclass(frozen=True)
class AggregationResult:
    """`units` is what the charge prices (prorated where the charge is); `total_aggregated_units` the un-prorated,
    un-weighted total at the window's end (a prorated charge's full units, a weighted sum's closing running total),
    which a recurring metric carries into the next period."""

    units: Decimal
    events_count: int
    total_aggregated_units: Decimal

    @classmethod
    def of(cls, units: Decimal, events_count: int) -> "AggregationResult":
        """A result whose units are its total (no proration, no time weighting)."""
        return cls(units, events_count, units)


NO_USAGE = AggregationResult(ZERO, 0, ZERO)


@dataclass(frozen=True)
class Aggregation(ABC, Generic[State]):
    """One aggregation type configured by its metric. `combine` is commutative and associative, so contributions
    may be grouped into batches and applied in any order; see docs/aggregations.md for each stored form."""

    field_name: str | None = None
    recurring: bool = False

    @property
    @abstractmethod
    def empty(self) -> State:
        """The state of no events: the identity of `combine` (each aggregation sets it as a class variable)."""

    @abstractmethod
    def contribution(self, event: UsageEvent, window: Window) -> State:
        """The state of `event` alone, for the charges window it falls in (the identity when it is left out)."""

    @abstractmethod
    def combine(self, first: State, second: State) -> State:
        ...

    @abstractmethod
    def result(self, state: State, window: Window) -> AggregationResult:
        ...

    @abstractmethod
    def naive_result(self, events: Iterable[UsageEvent], window: Window) -> AggregationResult:
        """The result recomputed from every event of the subscription, as Lago's queries define it."""

    def opening_state(self, previous: AggregationResult, window: Window) -> State:
        """What the window starts from, given the previous period's result: nothing unless a recurring metric
        carries its total forward."""
        return self.empty

    def reads(self, timestamp_ms: int, window: Window) -> bool:
        """Whether the window's result depends on an event at this time: one of the window, or for a recurring
        metric (no lower bound) any one before its end."""
        return timestamp_ms < window.end_ms and (self.recurring or timestamp_ms >= window.start_ms)

    def selected(self, events: Iterable[UsageEvent], window: Window) -> list[UsageEvent]:
        """The events a naive computation reads, in (timestamp, transaction_id) order."""
        return sorted((event for event in events if self.reads(event.timestamp_ms, window)),
                      key=UsageEvent.ordering_key)


@dataclass(frozen=True)
class NumericAggregation(Aggregation[State]):
    """An aggregation of `properties[field_name]` as a number: an event whose property is missing or not numeric
    is left out entirely, events_count included."""

    def contribution(self, event: UsageEvent, window: Window) -> State:
        window.require(event.timestamp_ms)
        value = numeric_property(event, self.field_name)
        return self.empty if value is None else self.value_contribution(value, event, window)

    @abstractmethod
    def value_contribution(self, value: Decimal, event: UsageEvent, window: Window) -> State:
        ...

    def selected_values(self, events: Iterable[UsageEvent], window: Window) -> list[tuple[UsageEvent, Decimal]]:
        """The numeric events a naive computation reads, with their values, in order."""
        return [(event, value) for event in self.selected(events, window)
                if (value := numeric_property(event, self.field_name)) is not None]


class AddedUp(Generic[AdditiveState]):
    """The `combine` of an aggregation whose states are additive: they add up."""

    def combine(self, first: AdditiveState, second: AdditiveState) -> AdditiveState:
        return first + second


# An aggregation picked at run time by a metric's aggregation_type: its state type is known only to itself.
AnyAggregation = Aggregation[Any]


def accumulate(aggregation: Aggregation[State], events: Iterable[UsageEvent], window: Window) -> State:
    """The state of `events` together: what one batch of them adds to a stored aggregate."""
    return reduce(aggregation.combine, (aggregation.contribution(event, window) for event in events),
                  aggregation.empty)

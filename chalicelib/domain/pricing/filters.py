"""Charge filters: which of a charge's buckets (one per filter, plus the default) prices an event."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Mapping, NamedTuple, Sequence

from chalicelib.domain.errors import ValidationFailed

ALL_FILTER_VALUES = "__ALL_FILTER_VALUES__"


class _AcceptedValues(NamedTuple):
    """One key's values: as text for string and boolean event values, as numbers for numeric ones."""

    texts: frozenset[str]
    numbers: frozenset[Decimal]

    def accept(self, value: object) -> bool:
        if isinstance(value, str):
            return value in self.texts
        if isinstance(value, bool):
            return ("true" if value else "false") in self.texts
        # Stored events come back from DynamoDB normalized (1.0 reads as 1), so numbers match by value.
        if isinstance(value, (int, Decimal)):
            return value in self.numbers
        return False


def _as_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _accepted_values(key: str, values: Sequence[str], metric_filters: Mapping[str, Sequence[str]]) -> _AcceptedValues:
    declared = metric_filters.get(key)
    if not values:
        raise ValidationFailed.single("values", "value_is_mandatory")
    if list(values) == [ALL_FILTER_VALUES] and declared is not None:
        values = declared
    elif declared is None or not set(values) <= set(declared):
        raise ValidationFailed.single("values", "value_is_invalid")
    numbers = (_as_number(text) for text in values)
    return _AcceptedValues(frozenset(values), frozenset(number for number in numbers if number is not None))


class FilterBuckets:
    """A charge's filters compiled once for matching events one by one (the aggregator calls `bucket_of`
    per event). `charge_filters` are the filters' `values` ({key: [value, ...]}) in their stored order,
    oldest first; `metric_filters` the metric's declared {key: [value, ...]}."""

    def __init__(self, charge_filters: Sequence[Mapping[str, Sequence[str]]],
                 metric_filters: Mapping[str, Sequence[str]]):
        compiled = []
        for filter_values in charge_filters:
            if not filter_values:
                raise ValidationFailed.single("values", "value_is_mandatory")
            compiled.append({key: _accepted_values(key, values, metric_filters)
                             for key, values in filter_values.items()})
        # Most keys first; sorted() is stable, so of equally specific filters the oldest comes first.
        self._most_specific_first = sorted(enumerate(compiled), key=lambda item: -len(item[1]))

    def bucket_of(self, properties: Mapping[str, object]) -> int | None:
        """The index of the filter that prices an event with these properties, or None for the default bucket.
        An event matches a filter when each of its keys is present with an accepted value; of several
        matches the most specific (most keys) wins, then the oldest."""
        for index, accepted_by_key in self._most_specific_first:
            if all(key in properties and accepted.accept(properties[key]) for key, accepted in accepted_by_key.items()):
                return index
        return None

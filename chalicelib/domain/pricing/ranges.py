"""Tiered ranges shared by the graduated, volume and graduated_percentage models: their bounds rule and
which units fall in which range."""
from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Iterator, Sequence, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from chalicelib.domain.pricing.properties import DecimalAmount, Number, invalid


class Range(BaseModel):
    """A range's bounds (JSON numbers); `to_value` is null only on the last range."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    from_value: Number
    to_value: Number | None = None


class UnitPriceRange(Range):
    """A graduated or volume range."""

    per_unit_amount: DecimalAmount
    flat_amount: DecimalAmount


AnyRange = TypeVar("AnyRange", bound=Range)


def _bounds_are_valid(ranges: Sequence[Range]) -> bool:
    # Lago: the first starts at 0, each next one at the previous end (adjacent, 0-0.1, 0.1-1) or one unit
    # after it (integer, 0-10, 11-20); every range but the last ends above its start; the last never ends.
    allowed_starts = {Decimal(0)}
    for index, current in enumerate(ranges):
        if current.from_value not in allowed_starts:
            return False
        if index == len(ranges) - 1:
            return current.to_value is None
        if current.to_value is None or current.to_value <= current.from_value:
            return False
        allowed_starts = {current.to_value, current.to_value + 1}
    return False  # no ranges: `validated_ranges` refuses them as missing before asking


def validated_ranges(ranges: list[AnyRange], field: str) -> list[AnyRange]:
    """The ranges of `field`, refused as `missing_<field>` when empty and `invalid_<field>` when their bounds
    break the rule."""
    if not ranges:
        raise invalid(f"missing_{field}")
    if not _bounds_are_valid(ranges):
        raise invalid(f"invalid_{field}")
    return ranges


# A `properties` field holding ranges, checked by its `ranges_rule`: absent is empty, so `missing_<field>`.
Ranges = Annotated[list[AnyRange], Field(default_factory=list, validate_default=True)]


def ranges_rule(field: str) -> AfterValidator:
    """The rule of the ranges in `field`: empty is `missing_<field>`, broken bounds `invalid_<field>`."""
    return AfterValidator(partial(validated_ranges, field=field))


def tiers_reached(ranges: Sequence[AnyRange], units: Decimal) -> Iterator[tuple[AnyRange, Decimal]]:
    """Each range `units` reaches, with the units counted in it: those above the previous range's end, up
    to its own. This is Lago's count, `from`-based with "+1" for integer ranges and without for adjacent ones
    (11-20 holds min(U, 20) - 11 + 1 = min(U, 20) - 10 units), stated once for both kinds.
    Only the first range can hold zero units (U = 0); it is reached all the same."""
    previous_end = Decimal(0)
    for current in ranges:
        if current.to_value is None or units <= current.to_value:
            yield current, units - previous_end
            return
        yield current, current.to_value - previous_end
        previous_end = current.to_value


def range_containing(ranges: Sequence[AnyRange], units: Decimal) -> AnyRange:
    """The one range volume pricing applies to all units: the first that ends at or above U. For valid
    ranges this is Lago's `from <= ceil(U) and U <= to` (every earlier range ends below U), and it is also
    defined where that rule finds none (0.7 units between ranges 0-0.5 and 1.5-)."""
    return next(current for current in ranges if current.to_value is None or units <= current.to_value)

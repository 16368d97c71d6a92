"""A usage event as the aggregations read it, and how they read its properties as Lago does."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Lago's Postgres store keeps an event in a numeric aggregation only if the property's text matches this.
_NUMERIC_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class UsageEvent:
    """`timestamp_ms`: integer milliseconds since the Unix epoch, so time arithmetic is exact."""

    transaction_id: str
    timestamp_ms: int
    properties: Mapping[str, Any]

    def ordering_key(self) -> tuple[int, str]:
        """Timestamp, then transaction_id: a total order, so equal timestamps resolve alike in any arrival order
        (Lago breaks such ties by arrival time, which replays and batching do not preserve)."""
        return (self.timestamp_ms, self.transaction_id)


def numeric_property(event: UsageEvent, field_name: str | None) -> Decimal | None:
    """The property as a number; None when it is missing (or no field is named) or not numeric, and the event is
    then left out.

    JSON numbers arrive as int or Decimal; strings count when Lago's pattern accepts them ("12.5", not "1e3");
    a float is never read, so none reaches an amount."""
    value = None if field_name is None else event.properties.get(field_name)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
        return Decimal(value)
    return None


def distinct_value(event: UsageEvent, field_name: str | None) -> str | None:
    """The property as unique_count compares it, as JSON text (so 1 and "1" are one value); None when it is
    missing (or no field is named), null or not a scalar."""
    return None if field_name is None else scalar_text(event.properties.get(field_name))


def scalar_text(value: Any) -> str | None:
    """A property's value as Lago's `properties->>key` gives a scalar's text; None for null and non-scalars."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, Decimal)):
        return str(value)
    return None


def is_add_operation(event: UsageEvent) -> bool:
    """unique_count's `operation_type`: absent, null or "add" adds; anything else removes (as Lago's query)."""
    return event.properties.get("operation_type") in (None, "add")

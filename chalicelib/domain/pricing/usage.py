"""What a charge model prices: the units aggregated over a charges period and the events behind them."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Usage:
    """`units` is the aggregation result U; `event_values` (event values in timestamp order) only the percentage
    model reads, for its free allowances and per-transaction bounds: every event's, or only the first ones the
    allowance reads (`percentage.leading_events_read`) with `later_transactions_amount` the per-transaction
    amount of all the others. `full_units` is a prorated charge's un-prorated total (None on any other charge),
    which the volume model picks its range by."""

    units: Decimal
    events_count: int = 0
    event_values: tuple[Decimal, ...] = ()
    full_units: Decimal | None = None
    later_transactions_amount: Decimal = Decimal(0)

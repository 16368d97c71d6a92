"""Pay-in-advance charges: each event pays only for the units that take the period's total above its highest
point so far (the high-water mark), so a decrease pays nothing and a later increase pays only past the mark.
(Lago: sum, 1 EUR a unit, events 10, -4, 8 -> fees 10, 0, 4.)"""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from chalicelib.domain.aggregations.arithmetic import EXACT, ZERO


class InAdvanceUnits(NamedTuple):
    units: Decimal
    high_water_mark: Decimal


def units_above_high_water_mark(period_total: Decimal, high_water_mark: Decimal = ZERO) -> InAdvanceUnits:
    """The units an event that brings the period's total to `period_total` pays for, and the new mark.
    A period's mark starts at 0: nothing has been paid for yet."""
    return InAdvanceUnits(max(ZERO, EXACT.subtract(period_total, high_water_mark)), max(period_total, high_water_mark))

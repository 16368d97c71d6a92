"""How Lago shows a window: `from_datetime` its first instant, `to_datetime` its last second (23:59:59
local for a window that ends at a midnight), ISO-8601 in UTC with a Z."""
from __future__ import annotations

from chalicelib.domain.clock import iso_z
from chalicelib.domain.periods.period import Period


def from_datetime(window: Period) -> str:
    return iso_z(window.start)


def to_datetime(window: Period) -> str:
    return iso_z(window.last_second)

"""Local days in an IANA timezone and the UTC instants at which they begin."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from chalicelib.domain.periods.period import Period


def day_start(day: date, timezone: str) -> datetime:
    """The UTC instant `day` begins in `timezone`: its local midnight read with fold=0, so a midnight a
    clock change skips begins the day at the change, and a repeated one at its first occurrence."""
    return datetime.combine(day, time(), ZoneInfo(timezone)).astimezone(UTC)


def local_day(moment: datetime, timezone: str) -> date:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime names no instant")
    return moment.astimezone(ZoneInfo(timezone)).date()


def days_in(window: Period, timezone: str) -> int:
    """The local days `window` touches, counted inclusively: 31 for March, 15 from 17 March to its end."""
    return (local_day(window.last_second, timezone) - local_day(window.start, timezone)).days + 1

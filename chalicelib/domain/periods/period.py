"""A span of time as billing uses it: half-open [start, end) in UTC, shown by Lago with an inclusive end."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Lago's times are whole seconds and its ends inclusive: a `to` names the last second still covered.
SECOND = timedelta(seconds=1)


def after_last_second(last_second: datetime) -> datetime:
    """The exclusive end of what a subscription bills through `last_second` (its `terminated_at` or `ending_at`,
    the last second billed, as Lago's inclusive ends): that whole second is covered."""
    return last_second + SECOND


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC: `end` is not covered; a billing period's `end` is the next period's `start`."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def last_second(self) -> datetime:
        """Lago's inclusive end: 23:59:59 local of the last day for a period ending at a midnight."""
        return self.end - SECOND

    def within(self, start: datetime | None = None, end: datetime | None = None) -> Period | None:
        """The part of this period from `start` to `end` (unbounded where None), or None when nothing is left."""
        start = self.start if start is None else max(self.start, start.astimezone(UTC))
        end = self.end if end is None else min(self.end, end.astimezone(UTC))
        return Period(start, end) if start < end else None

"""Time as the API shows it: ISO-8601 UTC with a `Z`, to the second."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol


class CustomerClock(Protocol):
    """ "Now" for a customer: the request's (or trigger's) time, or the frozen time of the test clock it lives on."""

    def now_for(self, test_clock_id: str | None) -> datetime: ...


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def utc_now_ms() -> datetime:
    """The wall clock to the millisecond (an event's reception)."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

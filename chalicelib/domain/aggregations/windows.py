"""The charges window an aggregation covers, half-open in epoch milliseconds, and its calendar days."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS_PER_DAY = 86_400_000


def epoch_ms(moment: datetime) -> int:
    """A timezone-aware instant as integer milliseconds since the epoch (sub-millisecond digits dropped)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime names no instant")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_epoch_ms(milliseconds: int) -> datetime:
    """The UTC instant of integer milliseconds since the epoch (`epoch_ms`'s inverse)."""
    return EPOCH + timedelta(milliseconds=milliseconds)


def days_billed(days: int, upgraded: bool) -> int:
    """Of the calendar `days` a window of a subscription touches, those its plan bills: all, or, when an upgrade
    ended it, all but the last (the upgrade day is the new plan's; Lago's `Subscription#date_diff_with_timezone`)."""
    return max(days - 1, 0) if upgraded else days


@dataclass(frozen=True)
class Window:
    """[start_ms, end_ms): an event exactly at `start_ms` is in, one at `end_ms` (the next period's start) is out.

    Lago selects `from <= timestamp <= to` with `to` the last instant before the next start (shown as 23:59:59):
    the same events. `charges_duration_days` is the length of the FULL period, the divisor of proration and time
    weighting even when the window starts mid-period; `timezone` is the customer's, for calendar days."""

    start_ms: int
    end_ms: int
    charges_duration_days: int
    timezone: str = "UTC"
    # A subscription ended by an upgrade leaves its last day to the new plan: units carried in from earlier periods
    # are billed for one day less than the window touches (Lago's `Subscription#date_diff_with_timezone`).
    upgraded: bool = False

    def __post_init__(self) -> None:
        if self.end_ms <= self.start_ms or self.charges_duration_days < 1:
            raise ValueError(f"not a charges window: {self}")

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def days(self) -> int:
        """Calendar days the window touches, counted inclusively (Lago's date difference + 1)."""
        return self.day_offset(self.end_ms - 1) + 1

    @property
    def persisted_days(self) -> int:
        """The days units carried in from earlier periods are billed for: the window's, one less after an upgrade."""
        return days_billed(self.days, self.upgraded)

    def contains(self, timestamp_ms: int) -> bool:
        return self.start_ms <= timestamp_ms < self.end_ms

    def require(self, timestamp_ms: int) -> None:
        """Refuse an event of another period: aggregating it here would bill it in the wrong one."""
        if not self.contains(timestamp_ms):
            raise ValueError(f"an event at {timestamp_ms} is outside the window {self}")

    def day_offset(self, timestamp_ms: int) -> int:
        """Calendar days, in the customer's timezone, from the window's first day to the day of `timestamp_ms`."""
        return (self._local_date(timestamp_ms) - self._local_date(self.start_ms)).days

    def _local_date(self, timestamp_ms: int) -> date:
        return from_epoch_ms(timestamp_ms).astimezone(ZoneInfo(self.timezone)).date()

"""Consecutive billing periods of one interval in one timezone, and the period containing an instant."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain.periods.intervals import Interval, period_index, period_start_day
from chalicelib.domain.periods.local_days import day_start, local_day
from chalicelib.domain.periods.period import Period


@dataclass(frozen=True, slots=True)
class PeriodSchedule:
    """Periods of `interval` counted from the local day `anchor`, each from a local midnight in `timezone`
    to the next period's."""

    interval: Interval
    anchor: date
    timezone: str

    def period(self, index: int) -> Period:
        return Period(self._start(index), self._start(index + 1))

    def index_at(self, moment: datetime) -> int:
        """The index of the period containing `moment`."""
        index = period_index(self.interval, self.anchor, local_day(moment, self.timezone))
        # Where a clock was turned back across midnight (Newfoundland until 2010), an instant after a day
        # began can still read the day before: the instants decide.
        while moment >= self._start(index + 1):
            index += 1
        return index

    def period_at(self, moment: datetime) -> Period:
        return self.period(self.index_at(moment))

    def _start(self, index: int) -> datetime:
        return day_start(period_start_day(self.interval, self.anchor, index), self.timezone)

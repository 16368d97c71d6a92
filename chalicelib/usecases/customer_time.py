"""A request's "now" for each customer it touches (the domain's CustomerClock): its test clock's frozen time, else
the time the request arrived."""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.test_clocks import TestClock, TestClockReader
from chalicelib.memo import Memo


class CustomerTime:
    """ "Now" for each customer a request touches: its test clock's frozen time, else the request's time. Each
    clock is read once per request."""

    def __init__(self, request_time: datetime, clocks: TestClockReader, organization_id: str):
        self.request_time = request_time
        self._clock: Memo[str, TestClock | None] = Memo(lambda test_clock_id: clocks.get(organization_id,
                                                                                          test_clock_id))

    def now_for(self, test_clock_id: str | None) -> datetime:
        if test_clock_id is None:
            return self.request_time
        clock = self._clock(test_clock_id)
        return clock.frozen_time if clock is not None else self.request_time

"""Test clocks (Stripe's, on Lago-shaped endpoints): a frozen instant that is "now" for the customers living on it,
moved forward only by an advance, which bills in time order what falls due for them on the way
(docs/test-clocks.md). The clock and what a request may ask of it ("now" for a customer:
chalicelib/usecases/customer_time.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel

from chalicelib.domain.errors import DomainError, NotFound, ValidationFailed
from chalicelib.domain.validation import Instant, RequestObject, RequiredText, parse_model

# Each advance bills every customer of the clock at each instant something falls due; deleting a clock removes
# every customer's records in one request. Both stay well inside API Gateway's 29 s with this many (Stripe: 3).
MAX_CUSTOMERS_PER_CLOCK = 10


class TestClock(BaseModel):
    """A stored clock. While `advancing`, `frozen_time` moves from due instant to due instant up to `advancing_to`."""

    __test__ = False  # not a pytest class

    id: str
    organization_id: str
    name: str
    frozen_time: datetime
    status: Literal["ready", "advancing"] = "ready"
    advancing_to: datetime | None = None
    customers_count: int = 0
    created_at: datetime
    version: int = 1


class TestClockInput(RequestObject):
    """The `test_clock` object of `POST /test_clocks`."""

    __test__ = False
    name: RequiredText | None = None
    frozen_time: Instant | None = None

    @classmethod
    def parse(cls, payload: object) -> "TestClockInput":
        parsed = parse_model(cls, payload)
        missing = {name: ["value_is_mandatory"] for name in ("name", "frozen_time") if getattr(parsed, name) is None}
        if missing:
            raise ValidationFailed(missing)
        return parsed


class AdvanceInput(RequestObject):
    """The body of `POST /test_clocks/{lago_id}/advance`: `{"frozen_time": ...}` (or inside `test_clock`)."""

    frozen_time: Instant | None = None

    @classmethod
    def parse(cls, payload: object) -> datetime:
        if not isinstance(payload, dict):
            raise ValidationFailed.single("frozen_time", "value_is_mandatory")
        inner = payload.get("test_clock")
        parsed = parse_model(cls, inner if isinstance(inner, dict) and "frozen_time" not in payload else payload)
        if parsed.frozen_time is None:
            raise ValidationFailed.single("frozen_time", "value_is_mandatory")
        return parsed.frozen_time


class ClockRefusedCustomer(DomainError):
    """A repository refused a customer's enrolment on its clock: the clock is gone or full since it was read."""


def enrolling_clock(clock: TestClock | None) -> TestClock:
    """The clock a new customer is created on: it exists and has room for one more."""
    if clock is None:
        raise NotFound("test_clock")
    if clock.customers_count >= MAX_CUSTOMERS_PER_CLOCK:
        raise ValidationFailed.single("test_clock_id", "too_many_customers")
    return clock


def advancing_clock(clock: TestClock, target: datetime) -> TestClock:
    """The clock starting an advance to `target`: refused while it still advances, and unless `target` is later
    than its frozen time (time on a clock never goes back)."""
    if clock.status == "advancing":
        raise ValidationFailed.single("test_clock", "test_clock_is_advancing")
    if target <= clock.frozen_time:
        raise ValidationFailed.single("frozen_time", "must_be_after_current_frozen_time")
    return clock.model_copy(update={"status": "advancing", "advancing_to": target, "version": clock.version + 1})


def clock_on_the_way(clock: TestClock, instant: datetime) -> TestClock:
    """The advancing clock at `instant`, where something falls due for its customers on the way to its target."""
    return clock.model_copy(update={"frozen_time": instant, "version": clock.version + 1})


def clock_arrived(clock: TestClock) -> TestClock:
    """The advance done: the clock at its target, ready for the next."""
    return clock.model_copy(update={"frozen_time": clock.advancing_to, "status": "ready", "advancing_to": None,
                                    "version": clock.version + 1})


def deletable_clock(clock: TestClock) -> TestClock:
    """A clock can be deleted unless an advance is billing its customers."""
    if clock.status == "advancing":
        raise ValidationFailed.single("test_clock", "test_clock_is_advancing")
    return clock


class TestClockReader(Protocol):
    def get(self, organization_id: str, test_clock_id: str) -> TestClock | None: ...

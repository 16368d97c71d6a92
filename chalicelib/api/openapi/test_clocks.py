"""The test clock (not Lago's: docs/test-clocks.md): `TestClockObject`, and what create and advance accept."""
from __future__ import annotations

from typing import Literal

from chalicelib.api.openapi.shapes import Instant, InstantInput, Model, RequiredText, envelope, paginated


class TestClockObject(Model):
    lago_id: str
    name: str
    frozen_time: Instant
    status: Literal["ready", "advancing"]
    advancing_to: Instant | None
    customers_count: int
    created_at: Instant


class TestClockInputObject(Model):
    name: RequiredText
    frozen_time: InstantInput


class TestClockAdvanceInput(Model):
    """The instant to advance to, later than the clock's frozen time (also accepted as `{"test_clock": {...}}`)."""

    frozen_time: InstantInput


TestClock = envelope("TestClock", "test_clock", TestClockObject, "One test clock.")
TestClocksPaginated = paginated("TestClocksPaginated", "test_clocks", TestClockObject)
TestClockCreateInput = envelope("TestClockCreateInput", "test_clock", TestClockInputObject, "A new test clock.")

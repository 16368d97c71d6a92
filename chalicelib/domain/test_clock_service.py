"""The verbs on test clocks: create, find, start an advance, and delete (with its customers and everything of
theirs). Running an advance is the biller's: chalicelib/billing/clock_advance.py."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import uuid6

from chalicelib.domain.errors import NotFound
from chalicelib.domain.organizations import Organization
from chalicelib.domain.retries import retrying
from chalicelib.domain.test_clocks import AdvanceInput, TestClock, TestClockInput, advancing_clock, deletable_clock


class TestClockStore(Protocol):
    def get(self, organization_id: str, test_clock_id: str) -> TestClock | None: ...
    def create(self, clock: TestClock) -> None: ...
    def replace(self, previous: TestClock, clock: TestClock) -> None: ...
    def delete(self, clock: TestClock) -> None: ...
    def customer_ids(self, organization_id: str, test_clock_id: str) -> list[str]: ...
    def forget_customer(self, organization_id: str, test_clock_id: str, customer_id: str) -> None: ...


@dataclass(frozen=True)
class Stores:
    test_clocks: TestClockStore
    purge_customer: Callable[[str, str], int]  # (organization_id, customer_id) -> items deleted


def create_test_clock(stores: Stores, organization: Organization, payload: dict, now: datetime) -> TestClock:
    """`POST /test_clocks`, created at `now` (the request's time), frozen at the time it names."""
    request = TestClockInput.parse(payload)
    clock = TestClock(id=str(uuid6.uuid7()), organization_id=organization.id, name=request.name,
                      frozen_time=request.frozen_time, created_at=now)
    stores.test_clocks.create(clock)
    return clock


def find_test_clock(stores: Stores, organization: Organization, test_clock_id: str) -> TestClock:
    clock = stores.test_clocks.get(organization.id, test_clock_id)
    if clock is None:
        raise NotFound("test_clock")
    return clock


def start_advance(stores: Stores, organization: Organization, test_clock_id: str, payload) -> TestClock:
    """The clock set advancing to the body's `frozen_time` (one advance at a time, never backwards)."""
    target = AdvanceInput.parse(payload)

    def attempt() -> TestClock:
        clock = find_test_clock(stores, organization, test_clock_id)
        advancing = advancing_clock(clock, target)
        stores.test_clocks.replace(clock, advancing)
        return advancing

    return retrying("test clock", attempt)


def delete_test_clock(stores: Stores, organization: Organization, test_clock_id: str) -> TestClock:
    """`DELETE /test_clocks/{lago_id}`: its customers purged one by one (a failure half-way is finished by the same
    request again), then the clock, on condition that no customer joined it meanwhile."""

    def attempt() -> TestClock:
        clock = deletable_clock(find_test_clock(stores, organization, test_clock_id))
        for customer_id in stores.test_clocks.customer_ids(organization.id, clock.id):
            stores.purge_customer(organization.id, customer_id)
            stores.test_clocks.forget_customer(organization.id, clock.id, customer_id)
        stores.test_clocks.delete(clock)
        return clock

    return retrying("test clock", attempt)

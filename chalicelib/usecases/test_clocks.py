"""The verbs on test clocks: create, find, start an advance, and delete (with its customers and everything of
theirs). Running an advance is the biller's: chalicelib/billing/clock_advance.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.organizations import Organization
from chalicelib.domain.retries import retrying
from chalicelib.domain.test_clocks import AdvanceInput, TestClock, TestClockInput, advancing_clock, deletable_clock
from chalicelib.usecases.ports import IdSource, PurgeCustomer, TestClockStore
from chalicelib.usecases.records import found


@dataclass(frozen=True)
class TestClockUseCases:
    __test__ = False  # not a pytest class

    test_clocks: TestClockStore
    purge_customer: PurgeCustomer
    ids: IdSource

    def create(self, organization: Organization, payload: dict[str, Any], now: datetime) -> TestClock:
        """`POST /test_clocks`, created at `now` (the request's time), frozen at the time it names."""
        request = TestClockInput.parse(payload)
        clock = TestClock(id=self.ids.new_id(), organization_id=organization.id, name=request.name,
                          frozen_time=request.frozen_time, created_at=now)
        self.test_clocks.create(clock)
        return clock

    def find(self, organization: Organization, test_clock_id: str) -> TestClock:
        return found(self.test_clocks.get(organization.id, test_clock_id), "test_clock")

    def start_advance(self, organization: Organization, test_clock_id: str, payload: Any) -> TestClock:
        """The clock set advancing to the body's `frozen_time` (one advance at a time, never backwards)."""
        target = AdvanceInput.parse(payload)

        def attempt() -> TestClock:
            clock = self.find(organization, test_clock_id)
            advancing = advancing_clock(clock, target)
            self.test_clocks.replace(clock, advancing)
            return advancing

        return retrying("test clock", attempt)

    def delete(self, organization: Organization, test_clock_id: str) -> TestClock:
        """`DELETE /test_clocks/{lago_id}`: its customers purged one by one (a failure half-way is finished by the
        same request again), then the clock, on condition that no customer joined it meanwhile."""

        def attempt() -> TestClock:
            clock = deletable_clock(self.find(organization, test_clock_id))
            for customer_id in self.test_clocks.customer_ids(organization.id, clock.id):
                self.purge_customer(organization.id, customer_id)
                self.test_clocks.forget_customer(organization.id, clock.id, customer_id)
            self.test_clocks.delete(clock)
            return clock

        return retrying("test clock", attempt)

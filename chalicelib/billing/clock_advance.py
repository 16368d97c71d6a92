"""Advancing a test clock: its frozen time walks from instant to instant where something falls due for its customers
(an activation, an invoice, a downgrade, a termination, a trial's end, a draft's finalization), up to the time the
advance asked for; at each, its customers are billed as the biller bills real ones at that hour
(chalicelib/billing/customer_billing.py), so each invoice, webhook and credit note is dated at its own instant.
A request runs it within a budget; what is left (usage still being aggregated, or more than the budget) goes on in
the billing worker (docs/test-clocks.md)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.billing.customer_billing import CustomerBilling
from chalicelib.billing.ports import BillingStores, WorkQueue
from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.test_clocks import TestClock, clock_arrived, clock_on_the_way
from chalicelib.observability import logger

# A continuation waiting for the aggregator asks again after this long; one cut by its budget goes on at once.
WAITING_DELAY_SECONDS = 2


class ClockAdvance:
    """Test clocks' advances on the billing stores, what a request leaves queued for the billing worker."""

    def __init__(self, stores: BillingStores, queue: WorkQueue):
        self._stores = stores
        self._queue = queue
        self._billing = CustomerBilling(stores)

    def advance(self, clock: TestClock, has_time: Callable[[], bool]) -> TestClock:
        """Run a clock set advancing (`POST /test_clocks/{lago_id}/advance`, or the worker going on) while
        `has_time()`, and queue what it left for the worker: at once when the time ran out, a moment later when it
        waits for the aggregator. The clock as the run leaves it."""
        clock = self._run(clock, has_time)
        if clock.status == "advancing":
            self._queue_continuation(clock, WAITING_DELAY_SECONDS if has_time() else 0)
        return clock

    def continue_advance(self, organization_id: str, test_clock_id: str, has_time: Callable[[], bool]) -> None:
        """The worker's part: go on with the advance (a clock deleted or already arrived needs nothing)."""
        clock = self._stores.test_clocks.get(organization_id, test_clock_id)
        if clock is not None and clock.status == "advancing":
            self.advance(clock, has_time)

    def _run(self, clock: TestClock, has_time: Callable[[], bool]) -> TestClock:
        """Go on with the clock's advance while `has_time()`: the clock as it is left, `ready` when it arrived. It
        stays `advancing` where a customer's usage is still being aggregated (or it could not be billed: logged)."""
        due = self._due_customers(clock)
        while clock.status == "advancing" and has_time():
            assert clock.advancing_to is not None  # an advancing clock has its target
            first = min(due.values(), default=None)
            if first is None or first > clock.advancing_to:
                return self._moved(clock, clock_arrived(clock))
            instant = max(first, clock.frozen_time)
            if instant > clock.frozen_time:
                clock = self._moved(clock, clock_on_the_way(clock, instant))
                continue  # another run may have moved it further: the loop goes on from where the clock is
            for customer_id in (customer_id for customer_id, at in due.items() if at <= instant):
                billed = self._billing.bill_isolated(clock.organization_id, customer_id, instant)
                if billed is None or billed.outcome == "waiting":
                    return clock
            billed_due, due = due, self._due_customers(clock)
            if due == billed_due:
                logger.warning("test clock advance made no progress", extra={"test_clock_id": clock.id,
                                                                             "instant": instant.isoformat()})
                return clock
        return clock

    def _queue_continuation(self, clock: TestClock, delay_seconds: int) -> None:
        """Ask the billing worker to go on with the clock's advance. Without a work queue (a bare test process) the
        clock stays `advancing` until `continue_advance` is called."""
        if not self._queue.is_configured():
            logger.warning("no billing queue: the test clock's advance waits", extra={"test_clock_id": clock.id})
            return
        self._queue.queue_continuation(clock, delay_seconds)

    def _moved(self, clock: TestClock, moved: TestClock) -> TestClock:
        """`moved` stored; when another run moved the clock first, the clock as that run left it."""
        try:
            self._stores.test_clocks.replace(clock, moved)
            return moved
        except StaleWrite:
            return self._stores.test_clocks.get(clock.organization_id, clock.id) or moved

    def _due_customers(self, clock: TestClock) -> dict[str, datetime]:
        """When each customer of the clock next has something due (those with nothing left out), read strongly
        consistent: a clock has at most MAX_CUSTOMERS_PER_CLOCK customers."""
        organization_id = clock.organization_id
        due = {customer_id: self._billing.next_due_at(organization_id, customer_id, clock.frozen_time)
               for customer_id in self._stores.test_clocks.customer_ids(organization_id, clock.id)}
        return {customer_id: at for customer_id, at in due.items() if at is not None}

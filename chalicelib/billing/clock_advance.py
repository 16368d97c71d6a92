"""Advancing a test clock: its frozen time walks from instant to instant where something falls due for its customers
(an activation, an invoice, a downgrade, a termination, a trial's end, a draft's finalization), up to the time the
advance asked for; at each, its customers are billed as the biller bills real ones at that hour
(chalicelib/billing/customer_billing.py), so each invoice, webhook and credit note is dated at its own instant.
A request runs it within a budget; what is left (usage still being aggregated, or more than the budget) goes on in
the billing worker (docs/test-clocks.md)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.billing.customer_billing import bill_customer_isolated, next_due_at
from chalicelib.billing.ports import BillingStores, WorkQueue
from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.test_clocks import TestClock, clock_arrived, clock_on_the_way
from chalicelib.observability import logger

# A continuation waiting for the aggregator asks again after this long; one cut by its budget goes on at once.
WAITING_DELAY_SECONDS = 2


def _moved(stores: BillingStores, clock: TestClock, moved: TestClock) -> TestClock:
    """`moved` stored; when another run moved the clock first, the clock as that run left it."""
    try:
        stores.test_clocks.replace(clock, moved)
        return moved
    except StaleWrite:
        return stores.test_clocks.get(clock.organization_id, clock.id) or moved


def _due_customers(stores: BillingStores, clock: TestClock) -> dict[str, datetime]:
    """When each customer of the clock next has something due (those with nothing left out), read strongly
    consistent: a clock has at most MAX_CUSTOMERS_PER_CLOCK customers."""
    organization_id = clock.organization_id
    due = {customer_id: next_due_at(stores, organization_id, customer_id, clock.frozen_time)
           for customer_id in stores.test_clocks.customer_ids(organization_id, clock.id)}
    return {customer_id: at for customer_id, at in due.items() if at is not None}


def run_advance(stores: BillingStores, clock: TestClock, has_time: Callable[[], bool]) -> TestClock:
    """Go on with the clock's advance while `has_time()`: the clock as it is left, `ready` when it arrived. It stays
    `advancing` where a customer's usage is still being aggregated (or it could not be billed: logged)."""
    due = _due_customers(stores, clock)
    while clock.status == "advancing" and has_time():
        assert clock.advancing_to is not None  # an advancing clock has its target
        first = min(due.values(), default=None)
        if first is None or first > clock.advancing_to:
            return _moved(stores, clock, clock_arrived(clock))
        instant = max(first, clock.frozen_time)
        if instant > clock.frozen_time:
            clock = _moved(stores, clock, clock_on_the_way(clock, instant))
            continue  # another run may have moved it further: the loop goes on from where the clock is
        for customer_id in (customer_id for customer_id, at in due.items() if at <= instant):
            billed = bill_customer_isolated(stores, clock.organization_id, customer_id, instant)
            if billed is None or billed.outcome == "waiting":
                return clock
        billed_due, due = due, _due_customers(stores, clock)
        if due == billed_due:
            logger.warning("test clock advance made no progress", extra={"test_clock_id": clock.id,
                                                                         "instant": instant.isoformat()})
            return clock
    return clock


def queue_continuation(queue: WorkQueue, clock: TestClock, delay_seconds: int = 0) -> None:
    """Ask the billing worker to go on with the clock's advance. Without a work queue (a bare test process) the
    clock stays `advancing` until `continue_advance` is called."""
    if not queue.is_configured():
        logger.warning("no billing queue: the test clock's advance waits", extra={"test_clock_id": clock.id})
        return
    queue.queue_continuation(clock, delay_seconds)


def advance_test_clock(stores: BillingStores, queue: WorkQueue, clock: TestClock,
                       has_time: Callable[[], bool]) -> TestClock:
    """Run a clock set advancing (`POST /test_clocks/{lago_id}/advance`, or the worker going on) while `has_time()`,
    and queue what it left for the worker: at once when the time ran out, a moment later when it waits for the
    aggregator. The clock as the run leaves it."""
    clock = run_advance(stores, clock, has_time)
    if clock.status == "advancing":
        queue_continuation(queue, clock, WAITING_DELAY_SECONDS if has_time() else 0)
    return clock


def continue_advance(stores: BillingStores, queue: WorkQueue, organization_id: str, test_clock_id: str,
                     has_time: Callable[[], bool]) -> None:
    """The worker's part: go on with the advance (a clock deleted or already arrived needs nothing)."""
    clock = stores.test_clocks.get(organization_id, test_clock_id)
    if clock is not None and clock.status == "advancing":
        advance_test_clock(stores, queue, clock, has_time)

"""Period-end billing of January: the hourly biller inline, or its fan-out through the work queue; crashed after
each write (the schedule fires again, the queue message comes back), or each call throttled."""
from __future__ import annotations

from datetime import timedelta

from reliability.catalog import ingest_one_by_one, invoiced_counts, prepare_catalog, usage_events
from reliability.scenario import Scenario
from reliability.scenarios.pipeline import PERIOD_END_RUN, aggregate, bill, bill_through_queue


def _prepared(customers: int):
    def prepare(world) -> None:
        prepare_catalog(world, customers)
        ingest_one_by_one(world, usage_events(2 * customers, customers))
        aggregate(world, duplicate=False)
    return prepare


def _next_hour(world) -> None:
    """The next hourly run: a customer a run could not bill stays due and is billed then."""
    bill(world, PERIOD_END_RUN + timedelta(hours=1), duplicate=False)


def _judged(customers: int):
    return lambda world: invoiced_counts(world, expected_invoices=customers)


SCENARIOS = [
    Scenario("biller-crash", "billing",
             "3 customers with January usage; the biller at 1 February 00:30 crashes after each write and the "
             "schedule fires again; then it fires once more.",
             "crash_after_write", _prepared(3), act=bill, judge=_judged(3)),
    Scenario("billing-queue-crash", "billing",
             "3 customers billed through the work queue (one message per customer, each delivered twice); the "
             "worker crashes after each write and the message is received again.",
             "crash_after_write", _prepared(3), act=bill_through_queue, judge=_judged(3)),
    Scenario("biller-throttled", "billing",
             "2 customers; each DynamoDB call of the biller's run in turn (the due index, the reads, the invoice "
             "transactions) fails with ProvisionedThroughputExceeded; a run that died fires again, a customer it "
             "could not bill is billed by the next hourly run.",
             "throughput_exceeded", _prepared(2), act=lambda world: bill(world, duplicate=False),
             judge=_judged(2), settle=_next_hour),
]

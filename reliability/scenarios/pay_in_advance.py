"""Pay-in-advance fees: each event of an invoiceable in-advance charge gets its fee and its own invoice from the
stream handler, in one transaction with the customer's invoice number; crashed after each write, or each
transaction cancelled with TransactionConflict."""
from __future__ import annotations

from reliability.catalog import ingest_one_by_one, paid_in_advance_counts, prepare_catalog, usage_events
from reliability.scenario import Scenario
from reliability.scenarios.pipeline import aggregate

CUSTOMERS = 2


def _prepare(world) -> None:
    prepare_catalog(world, CUSTOMERS, pay_in_advance=True)
    ingest_one_by_one(world, usage_events(4, CUSTOMERS))


SCENARIOS = [
    Scenario("pay-in-advance-crash", "pay-in-advance fees",
             "4 stored events of 2 customers on an invoiceable pay-in-advance charge; the stream handler crashes "
             "after each write (aggregates, fee-and-invoice transactions) and the batch is delivered again; every "
             "batch is delivered twice.",
             "crash_after_write", _prepare, act=aggregate, judge=paid_in_advance_counts),
    Scenario("pay-in-advance-conflict", "pay-in-advance fees",
             "The same events; each fee-and-invoice transaction in turn is cancelled with TransactionConflict.",
             "transaction_conflict", _prepare, act=aggregate, judge=paid_in_advance_counts),
]

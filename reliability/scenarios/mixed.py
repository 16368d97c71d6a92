"""A whole month in one run: events ingested one by one, aggregated, billed at the period's end and its webhooks
sent; each transaction of the month in turn is cancelled with TransactionConflict, and every layer retries as it
would in AWS."""
from __future__ import annotations

from reliability.catalog import ingest_one_by_one, invoiced_counts, prepare_catalog, usage_events, webhook_counts
from reliability.scenario import Scenario
from reliability.scenarios.pipeline import aggregate, bill, send_webhooks

CUSTOMERS = 2


def _month(world) -> None:
    ingest_one_by_one(world, usage_events(4, CUSTOMERS))
    aggregate(world, duplicate=False)
    bill(world, duplicate=False)
    send_webhooks(world, duplicate=False)


SCENARIOS = [
    Scenario("month-transaction-conflict", "every layer",
             "2 customers: 4 events posted one by one, the stream, the period-end biller and the webhooks; each "
             "TransactWriteItems of the month in turn is cancelled with TransactionConflict.",
             "transaction_conflict", lambda world: prepare_catalog(world, CUSTOMERS), act=_month,
             judge=lambda world: invoiced_counts(world, expected_invoices=CUSTOMERS) + webhook_counts(world)),
]

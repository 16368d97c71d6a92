"""What one customer's periodic invoice costs the biller in DynamoDB requests, counted on botocore's events against
moto: a guard on issue 19's lean biller (docs/data-model.md, "Subscriptions" and "Invoices")."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from test_biller import pinned_api_clock, send, storage  # noqa: F401 - the fixtures of one customer's plan

from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller

DUE_INDEX_SHARDS = 8  # one Query per shard of the `by_due` index per run, whatever the number of customers


def test_one_customers_periodic_invoice_takes_fifteen_requests(dynamodb, tenant, storage):  # noqa: F811
    organization_id = tenant.organization_id
    send(dynamodb, organization_id, [("a", datetime(2026, 10, 23, tzinfo=UTC), 30)])
    run_biller(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))  # October's invoice: November is the period measured
    send(dynamodb, organization_id, [("b", datetime(2026, 11, 3, tzinfo=UTC), 30)])
    operations: Counter[str] = Counter()

    def record(model, **_):
        operations[model.name] += 1

    events = repositories().client.meta.events
    events.register("before-call.dynamodb", record)
    try:
        assert run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 1
    finally:
        events.unregister("before-call.dynamodb", record)
    operations["Query"] -= DUE_INDEX_SHARDS
    # Queries, per loop turn: the customer's subscriptions (1, every status) and drafts (1), twice (the second turn
    # finds nothing more due); the external id's history (1), the stored events' COUNT (1), the period's aggregates
    # (1), the credit notes available (1). GetItems: customer, organization, plan, applied-events counter, invoice
    # sequence. The metrics in one BatchGetItem; the invoice in one transaction.
    assert operations == Counter({"Query": 8, "GetItem": 5, "BatchGetItem": 1, "TransactWriteItems": 1})
    assert operations.total() == 15

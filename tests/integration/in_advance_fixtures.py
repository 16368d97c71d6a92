"""Shared by the pay-in-advance tests: a customer (20 % VAT) subscribed from 1 January 2026 to a plan with one
pay-in-advance charge, events posted through the API with the reception clock pinned, and the events table's
real (moto) stream delivered to the stream handler as Lambda would."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import boto3
from builders import create_customer, create_metric, create_plan, send_event, subscribe

from chalicelib.handlers.usage_stream import handle_stream_batch
from chalicelib.local.stream_poller import StreamPoller
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import EVENTS

STARTED = "2026-01-01T00:00:00Z"
JANUARY_10 = datetime(2026, 1, 10, 9, tzinfo=UTC)
RECEIVED = datetime(2026, 1, 20, 8, 30, tzinfo=UTC)


class ReceptionClock:
    """Ingestion's "now" (the events' `received_at`, which dates the fees and their invoices): one second later at
    each request, so the fees of a test list in the order it sent their events."""

    def __init__(self, monkeypatch, now: datetime):
        self.now = now
        monkeypatch.setattr("chalicelib.api.events.utc_now_ms", self._tick)

    def _tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def in_advance_plan(api, aggregation_type: str = "sum_agg", field_name: str | None = "gb", *, recurring=False,
                    customer: dict | None = None, **charge) -> dict:
    """Metric `usage`, customer `cust` (VAT 20 % unless `customer` says otherwise), plan `startup` (monthly, 1000
    cents in arrears) with one pay-in-advance charge (standard at 1 EUR a unit unless `charge` says otherwise),
    subscription `sub` from 1 January 2026 (calendar). Returns the charge as the plan shows it."""
    metric = create_metric(api, "usage", aggregation_type, field_name)
    if recurring:
        assert api.put("/api/v1/billable_metrics/usage", {"billable_metric": {"recurring": True}}).status_code == 200
    create_customer(api, **(customer or {"billing_configuration": {"vat_rate": 20}}))
    plan = create_plan(api, charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                      "properties": {"amount": "1"}, "pay_in_advance": True, **charge}])
    subscribe(api, subscription_at=STARTED)
    return plan["charges"][0]


def send(api, transaction_id: str, properties: dict | None = None, at: datetime = JANUARY_10,
         external_subscription_id: str = "sub") -> dict:
    return send_event(api, transaction_id, "usage", external_subscription_id, at, properties or {})


def stream_poller(dynamodb, handler=handle_stream_batch) -> StreamPoller:
    arn = dynamodb.describe_table(TableName=EVENTS.name)["Table"]["LatestStreamArn"]
    return StreamPoller(boto3.client("dynamodbstreams"), arn, handler, 100, threading.Event())


def drain(poller: StreamPoller, rounds: int = 10) -> None:
    """Deliver what the stream holds, redelivering reported failures as Lambda does, until a poll delivers
    nothing more."""
    for _ in range(rounds):
        if poller.poll_once() == 0:
            return
    raise AssertionError("the stream keeps delivering")


def fees_of(api, query: str = "external_subscription_id=sub") -> list[dict]:
    response = api.get(f"/api/v1/fees?{query}")
    assert response.status_code == 200, response.body
    return list(reversed(response.json_body["fees"]))  # oldest first


def invoices_of(organization_id: str) -> list:
    return sorted(repositories().invoices.list_page(organization_id, 1, 100), key=lambda invoice: invoice.sequential_id)


def fee_path(fee_id: str) -> str:
    return f"/api/v1/fees/{quote(fee_id, safe='')}"

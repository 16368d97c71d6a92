"""Usage end to end through Lago's official Python client against the local stack: events sent single and in a
batch (plus a replay) go through ingestion, the events table's stream, the aggregator and current usage, which
shows exact units, events_count, amount_cents and taxes (the smoke scenario of lago-api.md section 13)."""
from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lago_catalog import customer_with_vat, graduated_plan, unique
from lago_python_client.models import BatchEvent, BillableMetric, Event, Subscription

pytestmark = pytest.mark.e2e

POLL_SECONDS = 10


def month_bounds(now: datetime) -> tuple[str, str]:
    last_day = calendar.monthrange(now.year, now.month)[1]
    return (f"{now.year:04d}-{now.month:02d}-01T00:00:00Z", f"{now.year:04d}-{now.month:02d}-{last_day:02d}T23:59:59Z")


def clear_of_month_end(margin_seconds: int = 60) -> datetime:
    """Now, once at least `margin_seconds` before the end of the month: the events (stamped at reception)
    and the assertions below must fall in the same monthly period."""
    now = datetime.now(UTC)
    seconds_left = calendar.monthrange(now.year, now.month)[1] * 86400 - (
        (now.day - 1) * 86400 + now.hour * 3600 + now.minute * 60 + now.second)
    if seconds_left < margin_seconds:
        time.sleep(seconds_left + 1)
        now = datetime.now(UTC)
    return now


def test_events_reach_current_usage_with_exact_amounts(client, http):
    now = clear_of_month_end()
    metric = client.billable_metrics.create(BillableMetric(
        name="API calls", code=unique("api_calls"), aggregation_type="sum_agg", field_name="count", recurring=False))
    plan = graduated_plan(client, metric, "Usage plan", unique("usage"))
    customer_id, subscription_id = unique("cust"), unique("sub")
    customer_with_vat(client, http, customer_id, 20)
    start_of_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    subscription = client.subscriptions.create(Subscription(
        external_customer_id=customer_id, plan_code=plan.code, external_id=subscription_id, billing_time="calendar",
        subscription_at=start_of_month.isoformat().replace("+00:00", "Z")))
    assert subscription.status == "active"

    timestamp = int(time.time())
    first = Event(transaction_id=unique("tx"), external_subscription_id=subscription_id, code=metric.code,
                  timestamp=timestamp, properties={"count": 5})
    created = client.events.create(first)
    assert created is not None and created.transaction_id == first.transaction_id
    batch = [Event(transaction_id=unique("batch"), external_subscription_id=subscription_id, code=metric.code,
                   timestamp=timestamp, properties={"count": 10}) for _ in range(3)]
    assert client.events.batch_create(BatchEvent(events=batch)) is None
    # A replay (same transaction id and content) is accepted and billed once.
    assert client.events.create(first).lago_id == created.lago_id

    deadline = time.monotonic() + POLL_SECONDS
    while True:
        usage = client.customers.current_usage(customer_id, subscription_id)
        charges = usage.charges_usage
        if charges and Decimal(charges[0].units) == 35 or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert len(charges) == 1, usage
    charge = charges[0]
    assert Decimal(charge.units) == Decimal(35), usage
    assert charge.events_count == 4
    assert charge.amount_cents == 35  # 35 units in the 0.01 tier
    assert charge.amount_currency == "EUR"
    assert charge.billable_metric.code == metric.code
    assert charge.charge.charge_model == "graduated"
    assert charge.filters == []
    assert (usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents) == (35, 7, 42)
    assert usage.currency == "EUR"
    assert (usage.from_datetime, usage.to_datetime) == month_bounds(now)

    found = client.events.find(first.transaction_id)
    assert found.lago_id == created.lago_id
    assert found.properties == {"count": 5}
    for event in batch:
        assert client.events.find(event.transaction_id).properties == {"count": 10}

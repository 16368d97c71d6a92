"""A whole month billed end to end against the local stack, as an operator migrating a customer does it: set up
through Lago's official Python client, a subscription dated the start of LAST month (so creating it issues
nothing: that month is its history, docs/billing-over-time.md), last month's usage sent through the client's
events API, then `bill --at <this month's start + 30 min> --backfill` run twice through the admin CLI, and the one
invoice read back through the client with exact amounts, taxes, number and period.

The stack's API runs on the wall clock: "last month" is the calendar month before today's (UTC)."""
from __future__ import annotations

import calendar
import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from lago_catalog import customer_with_vat, graduated_plan, unique
from lago_python_client.models import BatchEvent, BillableMetric, Event, Subscription
from operator_cli import cli

pytestmark = pytest.mark.e2e

POLL_SECONDS = 10
PLAN_AMOUNT_CENTS = 1000
UNIT_PRICE_CENTS = 1  # first graduated tier: 0..100 at 0.01 EUR
VAT_RATE = 20


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def backfill_at(stack, instant: str) -> dict:
    result = cli(stack, "bill", "--at", instant, "--backfill")
    return json.loads(result.stdout.strip().splitlines()[-1])


def current_month(margin: timedelta = timedelta(minutes=2)) -> tuple[datetime, datetime]:
    """(start, end) of the current calendar month, once `margin` away from its end: everything below (events,
    usage, the subscription's start) must fall in one monthly period that is still open on the wall clock."""
    now = datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=calendar.monthrange(now.year, now.month)[1])
    if end - now < margin:
        time.sleep((end - now).total_seconds() + 1)
        return current_month(margin)
    return start, end


def previous_month() -> tuple[datetime, datetime]:
    """(start, end) of the calendar month before the current one (once away from the current month's end)."""
    month_start, _ = current_month()
    start = (month_start - timedelta(days=1)).replace(day=1)
    return start, month_start


def test_a_month_is_billed_once_with_exact_amounts(stack, client, http):
    month_start, month_end = previous_month()  # November 2026 when run in December: [2026-11-01, 2026-12-01)

    metric = client.billable_metrics.create(BillableMetric(
        name="Storage", code=unique("gb"), aggregation_type="sum_agg", field_name="gb", recurring=False))
    plan = graduated_plan(client, metric, "Monthly", unique("monthly"))
    customer_id, subscription_id = unique("cust"), unique("sub")
    customer_with_vat(client, http, customer_id, VAT_RATE)
    subscription = client.subscriptions.create(Subscription(
        external_customer_id=customer_id, plan_code=plan.code, external_id=subscription_id, billing_time="calendar",
        subscription_at=iso(month_start)))
    assert subscription.status == "active"
    # Its current period is this month's; last month is history: creating it issued no invoice.
    assert subscription.current_billing_period_started_at == iso(month_end)
    assert client.invoices.find_all({"external_customer_id": customer_id})["invoices"] == []

    # 35 units last month: 5 in a single event, 3 x 10 in a batch, all stamped on its 10th.
    timestamp = int((month_start + timedelta(days=9, hours=12)).timestamp())
    single = Event(transaction_id=unique("tx"), external_subscription_id=subscription_id, code=metric.code,
                   timestamp=timestamp, properties={"gb": 5})
    assert client.events.create(single).transaction_id == single.transaction_id
    batch = [Event(transaction_id=unique("batch"), external_subscription_id=subscription_id, code=metric.code,
                   timestamp=timestamp, properties={"gb": 10}) for _ in range(3)]
    client.events.batch_create(BatchEvent(events=batch))
    units = 5 + 3 * 10

    # The backfill as of this month's first half hour, run twice: the first issues last month's invoice once its
    # events are aggregated (a run before that waits: `customers_waiting`), the second issues nothing.
    instant = iso(min(month_end + timedelta(minutes=30), datetime.now(UTC)))
    deadline = time.monotonic() + POLL_SECONDS
    while (first := backfill_at(stack, instant))["customers_waiting"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first["invoices_created"] == 1, first
    second = backfill_at(stack, instant)
    assert second["invoices_created"] == 0, second

    invoices = client.invoices.find_all({"external_customer_id": customer_id})["invoices"]
    assert len(invoices) == 1, invoices
    invoice = client.invoices.find(invoices[0].lago_id)
    fees_amount_cents = PLAN_AMOUNT_CENTS + units * UNIT_PRICE_CENTS  # 1000 + 35 = 1035
    taxes_amount_cents = round(Decimal(fees_amount_cents) * VAT_RATE / 100)  # 207
    assert invoice.lago_id == invoices[0].lago_id
    assert invoice.status == "finalized"
    assert invoice.invoice_type == "subscription"
    assert invoice.currency == "EUR"
    assert invoice.number.endswith("-001"), invoice.number
    assert invoice.fees_amount_cents == fees_amount_cents
    assert invoice.sub_total_excluding_taxes_amount_cents == fees_amount_cents
    assert invoice.taxes_amount_cents == taxes_amount_cents
    assert invoice.sub_total_including_taxes_amount_cents == fees_amount_cents + taxes_amount_cents
    assert invoice.total_amount_cents == fees_amount_cents + taxes_amount_cents  # 1242
    assert invoice.payment_status == "pending"

    periods = invoice.billing_periods.__root__
    assert len(periods) == 1, periods
    period = periods[0]
    assert period.external_subscription_id == subscription_id
    assert period.invoicing_reason == "subscription_periodic"
    assert (period.charges_from_datetime, period.charges_to_datetime) == (
        iso(month_start), iso(month_end - timedelta(seconds=1)))  # 2026-11-01T00:00:00Z .. 2026-11-30T23:59:59Z
    assert invoice.issuing_date == month_end.date().isoformat()  # dated its billing day, though issued later
    assert (period.subscription_from_datetime, period.subscription_to_datetime) == (
        iso(month_start), iso(month_end - timedelta(seconds=1)))

    fees = invoice.fees.__root__
    charge_fees = [fee for fee in fees if fee.item.type == "charge"]
    subscription_fees = [fee for fee in fees if fee.item.type == "subscription"]
    assert len(charge_fees) == 1 and len(subscription_fees) == 1, fees
    assert charge_fees[0].amount_cents == units * UNIT_PRICE_CENTS
    assert Decimal(charge_fees[0].units) == units
    assert subscription_fees[0].amount_cents == PLAN_AMOUNT_CENTS
    assert sum(fee.amount_cents for fee in fees if fee.amount_cents) == fees_amount_cents

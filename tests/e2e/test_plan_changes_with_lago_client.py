"""Plan changes end to end with Lago's Python client against the local stack: a subscription upgraded (the old
plan's final invoice issued at once), then downgraded (scheduled for the month's end), and the invoice read back
with the client. The switch itself comes at the month's end: the local stack never bills the future (`bill --at` a
later instant is refused), so the integration tests run it (tests/integration/test_plan_changes.py).

The stack's API runs on the wall clock: the subscription starts at the start of the current month, and every
amount is worked out from today's day of the month (`d`) and the month's length (`F`)."""
from __future__ import annotations

import calendar
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lago_catalog import unique
from lago_python_client.models import Customer, Plan, Subscription
from test_billing_with_lago_client import current_month, iso

from chalicelib.domain.money import round_half_up

pytestmark = pytest.mark.e2e


def cumulative_days(amount_cents: int, first_day: int, last_day: int, month_days: int) -> int:
    """Days `first_day`..`last_day` of a month of `month_days`, rounded cumulatively from the 1st (docs/periods.md)."""
    return (round_half_up(Decimal(amount_cents) * last_day / month_days)
            - round_half_up(Decimal(amount_cents) * (first_day - 1) / month_days))


def test_an_upgrade_then_a_downgrade_with_the_lago_client(client):
    month_start, month_end = current_month()
    today = datetime.now(UTC)
    day, month_days = today.day, calendar.monthrange(today.year, today.month)[1]
    codes = {name: unique(name) for name in ("basic", "pro", "lite")}
    for name, amount_cents in (("basic", 1000), ("pro", 3000), ("lite", 500)):
        client.plans.create(Plan(name=name, code=codes[name], interval="monthly", amount_cents=amount_cents,
                                 amount_currency="EUR", pay_in_advance=False))
    customer_id, external_id = unique("cust"), unique("sub")
    client.customers.create(Customer(external_id=customer_id, name="Acme", currency="EUR"))
    basic = client.subscriptions.create(Subscription(
        external_customer_id=customer_id, plan_code=codes["basic"], external_id=external_id, billing_time="calendar",
        subscription_at=iso(month_start)))

    # The upgrade: at once, under the same external id.
    pro = client.subscriptions.create(Subscription(
        external_customer_id=customer_id, plan_code=codes["pro"], external_id=external_id))
    assert (pro.plan_code, pro.status, pro.previous_plan_code) == (codes["pro"], "active", codes["basic"])
    assert pro.lago_id != basic.lago_id
    # The downgrade: scheduled for the month's end; the answer is the current (pro) subscription.
    scheduled = client.subscriptions.create(Subscription(
        external_customer_id=customer_id, plan_code=codes["lite"], external_id=external_id))
    assert (scheduled.lago_id, scheduled.next_plan_code, scheduled.downgrade_plan_date) == (
        pro.lago_id, codes["lite"], month_end.date().isoformat())

    current = client.subscriptions.find(external_id)
    assert (current.plan_code, current.previous_plan_code, current.next_plan_code) == (
        codes["pro"], codes["basic"], codes["lite"])

    [invoice] = client.invoices.find_all({"external_customer_id": customer_id})["invoices"]
    period = client.invoices.find(invoice.lago_id).billing_periods.__root__[0]
    # basic: days 1..d-1 (the day before the upgrade) of 1000, on its own final invoice.
    assert (period.external_subscription_id, period.invoicing_reason, invoice.fees_amount_cents) == (
        external_id, "subscription_terminating", cumulative_days(1000, 1, day - 1, month_days))
    assert invoice.number.endswith("-001")

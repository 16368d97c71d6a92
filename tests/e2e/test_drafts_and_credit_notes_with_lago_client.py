"""Drafts and credit notes end to end with Lago's Python client against the local stack: a customer with a grace
period gets its pay-in-advance start as a draft, refreshed and finalized with the client; terminating the
subscription credits the month's unused days, read back with the client's credit-note calls.

The stack's API runs on the wall clock: the subscription starts at 00:00 today, day `d` of a month of `F` days (a
pay-in-advance plan bills its start at once only on the day it starts, as Lago), and the amounts are worked out
from those two numbers."""
from __future__ import annotations

import calendar
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

import pytest
from lago_catalog import unique
from lago_python_client.models import Customer, Plan, Subscription
from lago_python_client.models.customer import CustomerBillingConfiguration
from test_billing_with_lago_client import current_month, iso

from chalicelib.domain.money import round_half_up

pytestmark = pytest.mark.e2e
# Its draft outlives the test (the stack's biller finalizes it only when the grace period ends).
GRACE_DAYS = 60


def test_a_draft_finalized_then_a_credit_note_with_the_lago_client(stack, client, http):
    current_month()  # not in the last minutes of the month
    today = datetime.now(UTC)
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    day, month_days = today.day, calendar.monthrange(today.year, today.month)[1]
    prefix = http.get("/api/v1/organizations").json()["organization"]["document_number_prefix"]
    plan_code, customer_id, external_id = unique("advance"), unique("cust"), unique("sub")
    client.plans.create(Plan(name="Advance", code=plan_code, interval="monthly", amount_cents=3000,
                             amount_currency="EUR", pay_in_advance=True))
    customer = client.customers.create(Customer(
        external_id=customer_id, name="Acme", currency="EUR",
        billing_configuration=CustomerBillingConfiguration(invoice_grace_period=GRACE_DAYS)))
    assert customer.billing_configuration.invoice_grace_period == GRACE_DAYS
    slug = http.get(f"/api/v1/customers/{customer_id}").json()["customer"]["slug"]  # not in the client's model
    client.subscriptions.create(Subscription(external_customer_id=customer_id, plan_code=plan_code,
                                             external_id=external_id, billing_time="calendar",
                                             subscription_at=iso(midnight)))

    # The start's invoice, days d..F paid in advance (rounded cumulatively from the 1st, docs/periods.md), is a draft
    # (the stack's biller, firing every 5 seconds, leaves it alone until the grace period ends).
    paid = 3000 - round_half_up(Decimal(3000) * (day - 1) / month_days)
    [draft] = client.invoices.find_all({"external_customer_id": customer_id})["invoices"]
    assert (draft.status, draft.number, draft.sequential_id, draft.fees_amount_cents) == (
        "draft", f"{prefix}-DRAFT", None, paid)
    assert client.invoices.refresh(draft.lago_id).fees_amount_cents == paid
    finalized = client.invoices.finalize(draft.lago_id)
    assert (finalized.status, finalized.number, finalized.issuing_date) == (
        "finalized", f"{slug}-001", today.date().isoformat())

    # Terminated today: days d+1..F were paid and will not be used.
    client.subscriptions.destroy(external_id)
    notes = client.credit_notes.find_all({"external_customer_id": customer_id})["credit_notes"]
    unused = (Decimal(3000) * (month_days - day) / month_days).quantize(Decimal("0.00001"), rounding=ROUND_DOWN)
    if day == month_days:
        assert notes == []  # the last day of the month: nothing left unused
        return
    [note] = notes
    assert (note.number, note.lago_invoice_id, note.reason, note.credit_status) == (
        f"{finalized.number}-CN001", finalized.lago_id, "order_cancellation", "available")
    assert (note.total_amount_cents, note.balance_amount_cents) == (round_half_up(unused), round_half_up(unused))
    assert client.credit_notes.find(note.lago_id).lago_id == note.lago_id
    # The termination's invoice (a draft too) charges nothing: finalized, it takes none of the credit.
    terminating = [invoice for invoice in client.invoices.find_all({"external_customer_id": customer_id})["invoices"]
                   if invoice.status == "draft"]
    assert len(terminating) == 1
    final = client.invoices.finalize(terminating[0].lago_id)
    assert (final.number, final.total_amount_cents, final.credit_notes_amount_cents) == (
        f"{slug}-002", 0, 0)

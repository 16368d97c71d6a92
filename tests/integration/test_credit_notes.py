"""Credit notes (lago-semantics §5.3): a pay-in-advance plan terminated before the end of the period it paid for
gets its unused days back as a credit note, which the customer's next finalized invoices consume, oldest first and
after taxes, until its balance is spent. Amounts worked out by hand in each test; read back through the API."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from builders import create_customer, create_plan, subscribe
from test_biller import invoices_of
from test_subscriptions import path_of

from chalicelib.domain.money import round_half_up
from chalicelib.wiring import run_biller

VAT = 20


@pytest.fixture
def terminated_in_advance(api, tenant, api_clock):
    """Customer `cust` (VAT 20 %) on `advance` (3000 a month, paid in advance, no charge) from 1 November 2026,
    terminated 20 November 10:00; `arrears` (1000 a month in arrears) subscribed from 21 November as `later`."""
    create_customer(api, billing_configuration={"vat_rate": VAT})
    create_plan(api, "advance", amount_cents=3000, pay_in_advance=True)
    create_plan(api, "arrears", amount_cents=1000)
    api_clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    subscribe(api, plan_code="advance", subscription_at="2026-11-01T00:00:00Z")
    api_clock.set(datetime(2026, 11, 20, 10, tzinfo=UTC))
    assert api.delete(path_of("sub")).status_code == 200
    subscribe(api, plan_code="arrears", external_id="later", subscription_at="2026-11-21T00:00:00Z")
    return tenant.organization_id


def test_a_terminated_pay_in_advance_plan_credits_its_unused_days_to_the_next_invoices(api, terminated_in_advance):
    org = terminated_in_advance
    starting, final = invoices_of(org)
    # 1 November: November in advance, 3000 + 20 % = 3600.
    assert (starting.fees_amount_cents, starting.total_amount_cents) == (3000, 3600)
    # 20 November: the final invoice bills nothing (November was paid; no charge) and leaves the credit whole.
    assert (final.fees_amount_cents, final.credit_notes_amount_cents, final.total_amount_cents) == (0, 0, 0)
    # Lago's client requires every window of a billing period: the start bills no charges window, the final invoice
    # no base fee window; each shows empty at the start of the other.
    periods = [api.get(f"/api/v1/invoices/{invoice.id}").json_body["invoice"]["billing_periods"][0]
               for invoice in (starting, final)]
    assert [(period["subscription_from_datetime"], period["subscription_to_datetime"],
             period["charges_from_datetime"], period["charges_to_datetime"]) for period in periods] == [
        ("2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"),
        ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-11-20T10:00:00Z")]
    # The credit note: 21 to 30 November unused (the termination day was used) = 10 of 30 days of 3000 = 1000,
    # with 20 % VAT 1200.
    unused = Decimal(3000) * 10 / 30
    credit_total = round_half_up(unused * (100 + VAT) / 100)
    assert (unused, credit_total) == (1000, 1200)
    notes = api.get("/api/v1/credit_notes?external_customer_id=cust").json_body
    assert notes["meta"]["total_count"] == 1
    note = notes["credit_notes"][0]
    assert (note["number"], note["lago_invoice_id"], note["invoice_number"]) == (
        f"{starting.number}-CN001", starting.id, starting.number)
    assert (note["reason"], note["credit_status"], note["issuing_date"]) == ("order_cancellation", "available",
                                                                             "2026-11-20")
    assert (note["sub_total_excluding_taxes_amount_cents"], note["taxes_amount_cents"], note["total_amount_cents"],
            note["credit_amount_cents"], note["balance_amount_cents"]) == (1000, 200, 1200, 1200, 1200)
    subscription_fee = starting.fees[0]
    assert [(item["amount_cents"], item["fee"]["lago_id"]) for item in note["items"]] == [(1000, subscription_fee.id)]

    # 1 December: `later` from 21 November, 10 of 30 days of 1000 (cumulative rounding: 1000 - round(1000 x 20 / 30)
    # = 333), 20 % VAT 66.6 -> 67: 400, all paid by the credit note, which keeps 1200 - 400 = 800.
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    december = invoices_of(org)[2]
    assert (december.fees_amount_cents, december.taxes_amount_cents) == (333, 67)
    assert (december.credit_notes_amount_cents, december.total_amount_cents, december.payment_status) == (
        400, 0, "succeeded")
    shown = api.get(f"/api/v1/invoices/{december.id}").json_body["invoice"]
    assert [(credit["amount_cents"], credit["before_taxes"], credit["item"]["type"], credit["item"]["code"],
             credit["item"]["lago_item_id"]) for credit in shown["credits"]] == [
        (400, False, "credit_note", note["number"], note["lago_id"])]
    assert api.get(f"/api/v1/credit_notes/{note['lago_id']}").json_body["credit_note"]["balance_amount_cents"] == 800

    # 1 January: December in full, 1000 + 200; the last 800 of credit leaves 400 to pay, and the note is consumed.
    run_biller(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    january = invoices_of(org)[3]
    assert (january.sub_total_including_taxes_amount_cents, january.credit_notes_amount_cents,
            january.total_amount_cents, january.payment_status) == (1200, 800, 400, "pending")
    consumed = api.get(f"/api/v1/credit_notes/{note['lago_id']}").json_body["credit_note"]
    assert (consumed["balance_amount_cents"], consumed["credit_status"]) == (0, "consumed")
    # February's invoice has no credit left to take.
    run_biller(datetime(2027, 2, 1, 0, 30, tzinfo=UTC))
    assert (invoices_of(org)[4].credit_notes_amount_cents, invoices_of(org)[4].total_amount_cents) == (0, 1200)

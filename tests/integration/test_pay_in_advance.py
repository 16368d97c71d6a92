"""Pay-in-advance charges end to end: events posted through the API, the events table's stream delivered to the
stream handler, fees read through `GET /api/v1/fees` and invoices from the store, every amount worked by hand:
each event pays the units above the period's high-water mark, on its own invoice (numbered in the customer's
sequence, taxed, finalized whatever the grace period, paying from credit notes), or without one."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from builders import create_customer, subscribe
from in_advance_fixtures import (
    STARTED,
    drain,
    fee_path,
    fees_of,
    in_advance_plan,
    invoices_of,
    send,
)

from chalicelib.domain.credit_notes import CreditNote
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import WEBHOOKS
from chalicelib.webhooks.payloads import render_payload


def billing_webhooks(dynamodb) -> list[tuple[str, str]]:
    """(type, object id) of the outbox's fee and invoice webhooks (the customer's and subscription's left out)."""
    return [(item["webhook_type"]["S"], item["object_id"]["S"])
            for item in dynamodb.scan(TableName=WEBHOOKS.name)["Items"]
            if item["object_type"]["S"] in ("fee", "invoice")]


def test_sum_with_a_decrease_pays_only_above_the_high_water_mark(api, tenant, reception, event_stream):
    charge = in_advance_plan(api)
    for transaction_id, gb in (("a", 10), ("b", -4), ("c", 8)):
        send(api, transaction_id, {"gb": gb})
    drain(event_stream)

    fees = fees_of(api)
    # Totals 10, 6, 14; marks 10, 10, 14: units 10, 0, 4 at 1 EUR.
    assert [(fee["event_transaction_id"], fee["units"], fee["amount_cents"]) for fee in fees] == [
        ("a", "10.0", 1000), ("b", "0.0", 0), ("c", "4.0", 400)]
    assert [fee["total_aggregated_units"] for fee in fees] == ["10.0", "6.0", "14.0"]
    assert all(fee["pay_in_advance"] and fee["invoiceable"] and fee["events_count"] == 1 for fee in fees)
    assert {fee["lago_charge_id"] for fee in fees} == {charge["lago_id"]}
    assert [(fee["from_date"], fee["to_date"]) for fee in fees] == [("2026-01-01T00:00:00Z", "2026-01-31T23:59:59Z")] * 3
    # One invoice per fee, even at 0, numbered in the customer's sequence, 20 % VAT.
    invoices = invoices_of(tenant.organization_id)
    slug = repositories().customers.find_by_external_id(tenant.organization_id, "cust").slug
    assert [invoice.number for invoice in invoices] == [f"{slug}-001", f"{slug}-002", f"{slug}-003"]
    assert [(invoice.fees_amount_cents, invoice.taxes_amount_cents, invoice.total_amount_cents)
            for invoice in invoices] == [(1000, 200, 1200), (0, 0, 0), (400, 80, 480)]
    assert [invoice.billing_periods[0].invoicing_reason for invoice in invoices] == ["in_advance_charge"] * 3
    assert [invoice.status for invoice in invoices] == ["finalized"] * 3
    assert [fee["lago_invoice_id"] for fee in fees] == [invoice.id for invoice in invoices]
    assert [invoice.fees[0].id for invoice in invoices] == [fee["lago_id"] for fee in fees]
    # Dated by the events' reception (20 January), not by the wall clock.
    assert {invoice.issuing_date.isoformat() for invoice in invoices} == {"2026-01-20"}
    shown = api.get(fee_path(fees[0]["lago_id"]))
    assert shown.status_code == 200
    assert shown.json_body["fee"] == fees[0]
    assert (shown.json_body["fee"]["taxes_amount_cents"], shown.json_body["fee"]["total_amount_cents"]) == (200, 1200)


GRADUATED = {"graduated_ranges": [
    {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "5"},
    {"from_value": 11, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "3"}]}


def test_graduated_flat_amounts_are_paid_once_by_the_event_entering_their_range(api, tenant, reception, event_stream):
    in_advance_plan(api, charge_model="graduated", properties=GRADUATED)
    for transaction_id, gb in (("a", 4), ("b", 4), ("c", 4), ("d", 3)):
        send(api, transaction_id, {"gb": gb})
    drain(event_stream)
    # Prices of the totals: 4 -> 4 + 5 = 9; 8 -> 8 + 5 = 13; 12 -> 10 + 5 + 2 x 0.5 + 3 = 19; 15 -> 10 + 5 + 5 x 0.5
    # + 3 = 20.5. Fees are the differences: the first range's flat 5 with the first event, the second's 3 once.
    assert [fee["amount_cents"] for fee in fees_of(api)] == [900, 1300 - 900, 1900 - 1300, 2050 - 1900]


def test_unique_count_pays_values_that_raise_the_count_above_its_mark(api, tenant, reception, event_stream):
    in_advance_plan(api, "unique_count_agg", "seat", properties={"amount": "2"})
    operations = [("a", "add"), ("b", "add"), ("a", "remove"), ("c", "add"), ("b", "add"), ("d", "add")]
    for number, (seat, operation) in enumerate(operations):
        send(api, f"tx-{number}", {"seat": seat, "operation_type": operation})
    drain(event_stream)
    # Active values 1, 2, 1, 2, 2 (b was active), 3; marks 1, 2, 2, 2, 2, 3: units 1, 1, 0, 0, 0, 1 at 2 EUR.
    fees = fees_of(api)
    assert [fee["units"] for fee in fees] == ["1.0", "1.0", "0.0", "0.0", "0.0", "1.0"]
    assert [fee["amount_cents"] for fee in fees] == [200, 200, 0, 0, 0, 200]
    assert [fee["total_aggregated_units"] for fee in fees] == ["1.0", "2.0", "1.0", "2.0", "2.0", "3.0"]


def test_count_pays_each_event(api, tenant, reception, event_stream):
    in_advance_plan(api, "count_agg", None, properties={"amount": "0.25"})
    for transaction_id in ("a", "b", "c"):
        send(api, transaction_id)
    drain(event_stream)
    assert [(fee["units"], fee["amount_cents"]) for fee in fees_of(api)] == [("1.0", 25)] * 3
    assert [invoice.total_amount_cents for invoice in invoices_of(tenant.organization_id)] == [30] * 3  # 25 + 5 VAT


def test_a_charge_not_invoiceable_creates_fees_and_their_webhooks_without_invoices(api, tenant, dynamodb, reception,
                                                                                    event_stream):
    in_advance_plan(api, invoiceable=False)
    send(api, "a", {"gb": 3})
    send(api, "b", {"gb": 2})
    drain(event_stream)
    fees = fees_of(api)
    assert [(fee["amount_cents"], fee["taxes_amount_cents"], fee["lago_invoice_id"], fee["invoiceable"])
            for fee in fees] == [(300, 60, None, False), (200, 40, None, False)]
    assert [fee["payment_status"] for fee in fees] == ["pending", "pending"]
    assert invoices_of(tenant.organization_id) == []
    assert sorted(billing_webhooks(dynamodb)) == sorted(("fee.created", fee["lago_id"]) for fee in fees)
    # What the webhook sender renders for `fee.created` is what the API shows.
    [webhook] = [item for item in repositories().webhooks.list(tenant.organization_id)
                 if item.object_id == fees[0]["lago_id"]]
    organization = repositories().organizations.get(tenant.organization_id)
    body = json.loads(render_payload(repositories(), organization, webhook))
    assert (body["webhook_type"], body["object_type"], body["fee"]) == ("fee.created", "fee", fees[0])


def test_invoiceable_fees_send_fee_created_and_invoice_created(api, tenant, dynamodb, reception, event_stream):
    in_advance_plan(api)
    send(api, "a", {"gb": 3})
    drain(event_stream)
    fee, = fees_of(api)
    assert set(billing_webhooks(dynamodb)) == {("fee.created", fee["lago_id"]),
                                                ("invoice.created", fee["lago_invoice_id"])}


def test_a_grace_period_does_not_make_an_in_advance_invoice_a_draft(api, tenant, reception, event_stream):
    in_advance_plan(api, customer={"billing_configuration": {"vat_rate": 20, "invoice_grace_period": 3}})
    send(api, "a", {"gb": 5})
    drain(event_stream)
    invoice, = invoices_of(tenant.organization_id)
    assert (invoice.status, invoice.sequential_id, invoice.total_amount_cents) == ("finalized", 1, 600)
    assert invoice.issuing_date.isoformat() == "2026-01-20"  # not pushed back by the grace period


def test_available_credit_notes_are_consumed_by_an_in_advance_invoice(api, tenant, reception, event_stream):
    in_advance_plan(api)
    stores = repositories()
    customer = stores.customers.find_by_external_id(tenant.organization_id, "cust")
    subscription = stores.subscriptions.find_current(tenant.organization_id, "sub")
    at = datetime(2026, 1, 5, tzinfo=UTC)
    note = CreditNote(id="credit-note-1", organization_id=tenant.organization_id, customer_id=customer.id,
                      invoice_id="an-earlier-invoice", subscription_id=subscription.id, sequential_id=1,
                      issuing_date=at.date(), reason="order_change", currency="EUR", taxes_rate=Decimal(20),
                      sub_total_excluding_taxes_amount_cents=500, taxes_amount_cents=100, total_amount_cents=600,
                      credit_amount_cents=600, balance_amount_cents=600, items=[], created_at=at, updated_at=at)
    unit = stores.unit_of_work()
    stores.credit_notes.stage_create(unit, note)
    unit.commit()
    send(api, "a", {"gb": 10})
    drain(event_stream)
    invoice, = invoices_of(tenant.organization_id)
    # 1000 + 200 VAT = 1200, of which the credit note's 600 is paid.
    assert (invoice.sub_total_including_taxes_amount_cents, invoice.credit_notes_amount_cents,
            invoice.total_amount_cents) == (1200, 600, 600)
    consumed = stores.credit_notes.get(tenant.organization_id, note.id)
    assert (consumed.credit_status, consumed.balance_amount_cents) == ("consumed", 0)


def test_fees_are_listed_by_customer_and_subscription_a_page_at_a_time(api, tenant, reception, event_stream):
    in_advance_plan(api)
    create_customer(api, external_id="other")
    subscribe(api, external_id="sub-2", external_customer_id="other", subscription_at=STARTED)
    send(api, "a", {"gb": 1})
    send(api, "b", {"gb": 2})
    send(api, "c", {"gb": 3}, external_subscription_id="sub-2")
    drain(event_stream)

    def listed(query: str) -> tuple[list[str], dict]:
        body = api.get(f"/api/v1/fees?{query}").json_body
        return [fee["event_transaction_id"] for fee in body["fees"]], body["meta"]

    assert listed("")[0] == ["c", "b", "a"]  # newest first
    assert listed("external_customer_id=cust")[0] == ["b", "a"]
    assert listed("external_customer_id=other")[0] == ["c"]
    assert listed("external_subscription_id=sub-2")[0] == ["c"]
    assert listed("external_subscription_id=sub&external_customer_id=other") == (
        [], {"current_page": 0, "next_page": None, "prev_page": None, "total_pages": 0, "total_count": 0})
    assert listed("external_customer_id=nobody")[0] == []
    assert listed("per_page=2&page=2") == (["a"], {"current_page": 2, "next_page": None, "prev_page": 1,
                                                   "total_pages": 2, "total_count": 3})
    assert api.get("/api/v1/fees?per_page=0").status_code == 422
    missing = api.get(fee_path("no-such-fee"))
    assert (missing.status_code, missing.json_body) == (404, {"status": 404, "error": "Not Found",
                                                              "code": "fee_not_found"})


def test_current_usage_still_prices_the_period_of_an_in_advance_charge(api, tenant, reception, event_stream, monkeypatch):
    in_advance_plan(api)
    for transaction_id, gb in (("a", 10), ("b", -4), ("c", 8)):
        send(api, transaction_id, {"gb": gb})
    drain(event_stream)
    monkeypatch.setattr("chalicelib.api.current_usage.utc_now", lambda: datetime(2026, 1, 25, tzinfo=UTC))
    usage = api.get("/api/v1/customers/cust/current_usage?external_subscription_id=sub").json_body["customer_usage"]
    charge, = usage["charges_usage"]
    # The period's 14 gb at 1 EUR, as for a charge paid in arrears (what the events' fees paid is not subtracted).
    assert (charge["units"], charge["amount_cents"], usage["amount_cents"]) == ("14.0", 1400, 1400)

"""Invoices through the HTTP API (the read side): Lago's invoice and fee objects with exact amounts, the list's
filters and pagination, 404s, and the Lago Python client's models parsing the bodies."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from builders import create_customer, create_metric, create_plan, subscribe, subscribe_new_customer
from invoice_fixtures import charge_fee, issue_invoice, subscription_fee
from lago_python_client.models.invoice import InvoiceResponse

INVOICES = "/api/v1/invoices"
EMPTY_META = {"current_page": 0, "next_page": None, "prev_page": None, "total_pages": 0, "total_count": 0}
INVOICE_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "invoice_not_found"}

pytestmark = pytest.mark.usefixtures("api_clock")  # subscriptions created in January bill nothing at once


def invalid(**details: str) -> dict:
    return {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
            "error_details": {name: [code] for name, code in details.items()}}


@pytest.fixture
def billed(api, tenant) -> dict:
    """Customer `cust` (vat 20%) on plan `startup` (1000 cents a month, calls at 0.01 each) as `sub`, with its
    first invoice: the January subscription fee (1000) and 35 calls (35)."""
    metric = create_metric(api, "calls")
    customer = create_customer(api, vat_rate=20)
    plan = create_plan(api, charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                      "properties": {"amount": "0.01"}}])
    subscription = subscribe(api, subscription_at="2026-01-01T00:00:00Z")
    charge_id = plan["charges"][0]["lago_id"]
    invoice = issue_invoice(tenant.organization_id, "cust", "sub", [
        subscription_fee(subscription["lago_id"], 1000),
        charge_fee(subscription["lago_id"], charge_id, Decimal(35), 35, events_count=3)], vat_rate=Decimal(20))
    return {"metric": metric, "customer": customer, "plan": plan, "subscription": subscription,
            "charge_id": charge_id, "invoice": invoice}


def read(api, lago_id: str) -> dict:
    response = api.get(f"{INVOICES}/{lago_id}")
    assert response.status_code == 200, response.body
    return response.json_body["invoice"]


def listed(api, query: str = "") -> dict:
    response = api.get(f"{INVOICES}{query}")
    assert response.status_code == 200, response.body
    return response.json_body


def test_invoice_shows_lagos_object_with_exact_amounts(api, tenant, billed):
    invoice = billed["invoice"]
    body = read(api, invoice.id)
    subscription, customer = billed["subscription"], billed["customer"]
    assert {name: body[name] for name in (
        "lago_id", "sequential_id", "number", "issuing_date", "payment_due_date", "net_payment_term",
        "payment_overdue", "invoice_type", "status", "payment_status", "currency", "version_number",
        "fees_amount_cents", "coupons_amount_cents", "credit_notes_amount_cents",
        "progressive_billing_credit_amount_cents", "sub_total_excluding_taxes_amount_cents", "taxes_amount_cents",
        "sub_total_including_taxes_amount_cents", "prepaid_credit_amount_cents", "total_amount_cents",
        "total_due_amount_cents", "file_url", "voided_at", "created_at", "updated_at", "metadata", "credits",
        "applied_usage_thresholds")} == {
        "lago_id": invoice.id, "sequential_id": 1, "number": f"{customer['slug']}-001", "issuing_date": "2026-02-01",
        "payment_due_date": "2026-02-01", "net_payment_term": 0, "payment_overdue": False,
        "invoice_type": "subscription", "status": "finalized", "payment_status": "pending", "currency": "EUR",
        "version_number": 4, "fees_amount_cents": 1035, "coupons_amount_cents": 0, "credit_notes_amount_cents": 0,
        "progressive_billing_credit_amount_cents": 0, "sub_total_excluding_taxes_amount_cents": 1035,
        "taxes_amount_cents": 207, "sub_total_including_taxes_amount_cents": 1242, "prepaid_credit_amount_cents": 0,
        "total_amount_cents": 1242, "total_due_amount_cents": 1242, "file_url": None, "voided_at": None,
        "created_at": "2026-02-01T00:05:00Z", "updated_at": "2026-02-01T00:05:00Z", "metadata": [], "credits": [],
        "applied_usage_thresholds": []}
    [tax] = body["applied_taxes"]
    assert {name: tax[name] for name in ("lago_invoice_id", "tax_name", "tax_code", "tax_rate", "amount_cents",
                                         "amount_currency", "fees_amount_cents")} == {
        "lago_invoice_id": invoice.id, "tax_name": "VAT", "tax_code": "vat", "tax_rate": 20, "amount_cents": 207,
        "amount_currency": "EUR", "fees_amount_cents": 1035}
    assert body["billing_periods"] == [{
        "lago_subscription_id": subscription["lago_id"], "external_subscription_id": "sub",
        "lago_plan_id": billed["plan"]["lago_id"], "subscription_from_datetime": "2026-01-01T00:00:00Z",
        "subscription_to_datetime": "2026-01-31T23:59:59Z", "charges_from_datetime": "2026-01-01T00:00:00Z",
        "charges_to_datetime": "2026-01-31T23:59:59Z", "invoicing_reason": "subscription_periodic"}]
    assert body["customer"]["lago_id"] == customer["lago_id"]
    assert body["customer"]["external_id"] == "cust"
    assert [shown["lago_id"] for shown in body["subscriptions"]] == [subscription["lago_id"]]
    assert body["subscriptions"][0]["plan_code"] == "startup"


def test_fees_show_lagos_fee_object(api, billed):
    invoice, subscription = billed["invoice"], billed["subscription"]
    base, calls = read(api, invoice.id)["fees"]
    common = {"lago_invoice_id": invoice.id, "lago_subscription_id": subscription["lago_id"],
              "external_subscription_id": "sub", "lago_customer_id": billed["customer"]["lago_id"],
              "external_customer_id": "cust", "amount_currency": "EUR", "taxes_rate": 20, "pay_in_advance": False,
              "invoiceable": True, "payment_status": "pending", "from_date": "2026-01-01T00:00:00Z",
              "to_date": "2026-01-31T23:59:59Z", "created_at": "2026-02-01T00:05:00Z",
              "lago_charge_filter_id": None, "lago_true_up_parent_fee_id": None}
    assert {name: base[name] for name in common} == common
    assert {name: calls[name] for name in common} == common
    assert {name: base[name] for name in ("lago_id", "lago_charge_id", "amount_cents", "precise_amount",
                                          "taxes_amount_cents", "total_amount_cents", "units",
                                          "precise_unit_amount", "total_aggregated_units", "events_count")} == {
        "lago_id": invoice.fees[0].id, "lago_charge_id": None, "amount_cents": 1000, "precise_amount": "10.0",
        "taxes_amount_cents": 200, "total_amount_cents": 1200, "units": "1.0", "precise_unit_amount": "10.0",
        "total_aggregated_units": "1.0", "events_count": 0}
    assert base["item"] == {"type": "subscription", "code": "startup", "name": "Plan startup", "description": None,
                            "invoice_display_name": "Plan startup", "filter_invoice_display_name": None,
                            "filters": None, "lago_item_id": subscription["lago_id"], "item_type": "Subscription",
                            "grouped_by": {}}
    assert {name: calls[name] for name in ("lago_id", "lago_charge_id", "amount_cents", "precise_amount",
                                           "taxes_amount_cents", "total_amount_cents", "units",
                                           "precise_unit_amount", "total_aggregated_units", "events_count")} == {
        "lago_id": invoice.fees[1].id, "lago_charge_id": billed["charge_id"], "amount_cents": 35,
        "precise_amount": "0.35", "taxes_amount_cents": 7, "total_amount_cents": 42, "units": "35.0",
        "precise_unit_amount": "0.01", "total_aggregated_units": "35.0", "events_count": 3}
    assert calls["item"] == {"type": "charge", "code": "calls", "name": "calls", "description": None,
                             "invoice_display_name": "calls", "filter_invoice_display_name": None, "filters": None,
                             "lago_item_id": billed["metric"]["lago_id"], "item_type": "BillableMetric",
                             "grouped_by": {}}


def test_numbers_are_never_floats(api, billed):
    raw = api.get(f"{INVOICES}/{billed['invoice'].id}").body.decode()
    assert "1242.0" not in raw and "207.0" not in raw
    body = read(api, billed["invoice"].id)
    for fee in body["fees"]:
        for name in ("precise_amount", "units", "precise_unit_amount", "total_aggregated_units"):
            assert isinstance(fee[name], str), name
        for name in ("amount_cents", "taxes_amount_cents", "total_amount_cents", "events_count"):
            assert type(fee[name]) is int, name


def test_lago_client_models_parse_the_bodies(api, billed):
    parsed = InvoiceResponse.parse_obj(read(api, billed["invoice"].id))
    assert parsed.total_amount_cents == 1242
    assert parsed.customer.external_id == "cust"
    assert parsed.billing_periods.__root__[0].invoicing_reason == "subscription_periodic"
    assert [fee.item.code for fee in parsed.fees.__root__] == ["startup", "calls"]
    for body in listed(api)["invoices"]:
        InvoiceResponse.parse_obj(body)


def test_invoice_without_taxes_has_no_applied_tax(api, tenant):
    subscription = subscribe_new_customer(api, subscription_at="2026-01-01T00:00:00Z")
    invoice = issue_invoice(tenant.organization_id, "cust", "sub", [subscription_fee(subscription["lago_id"], 1000)])
    body = read(api, invoice.id)
    assert (body["taxes_amount_cents"], body["total_amount_cents"], body["applied_taxes"]) == (0, 1000, [])
    assert body["fees"][0]["taxes_rate"] == 0
    assert body["fees"][0]["applied_taxes"] == []


def test_unknown_invoice_is_404(api, billed):
    response = api.get(f"{INVOICES}/00000000-0000-0000-0000-000000000000")
    assert (response.status_code, response.json_body) == (404, INVOICE_NOT_FOUND)


def test_another_organizations_invoice_is_404_and_not_listed(other_api, billed):
    response = other_api.get(f"{INVOICES}/{billed['invoice'].id}")
    assert (response.status_code, response.json_body) == (404, INVOICE_NOT_FOUND)
    assert listed(other_api) == {"invoices": [], "meta": EMPTY_META}
    assert listed(other_api, "?external_customer_id=cust") == {"invoices": [], "meta": EMPTY_META}


@pytest.fixture
def three_invoices(api, tenant, billed) -> list:
    """`cust`'s invoices of 1 February (billed) and 1 March; `other`'s of 1 March (nothing to pay: succeeded)."""
    subscription = billed["subscription"]
    march = issue_invoice(tenant.organization_id, "cust", "sub", [subscription_fee(subscription["lago_id"], 1000)],
                          issuing_date=date(2026, 3, 1), vat_rate=Decimal(20))
    create_customer(api, "other")
    other = subscribe(api, external_customer_id="other", external_id="other-sub",
                      subscription_at="2026-01-01T00:00:00Z")
    free = issue_invoice(tenant.organization_id, "other", "other-sub", [subscription_fee(other["lago_id"], 0)],
                         issuing_date=date(2026, 3, 1))
    return [billed["invoice"], march, free]


def ids(body: dict) -> list[str]:
    return [invoice["lago_id"] for invoice in body["invoices"]]


def test_list_is_newest_first_with_lagos_meta(api, three_invoices):
    february, march, free = three_invoices
    body = listed(api)
    # Same issuing date: the higher sequence (march is cust's second invoice) comes first.
    assert ids(body) == [march.id, free.id, february.id]
    assert body["meta"] == {"current_page": 1, "next_page": None, "prev_page": None, "total_pages": 1,
                            "total_count": 3}
    page = listed(api, "?page=2&per_page=2")
    assert ids(page) == [february.id]
    assert page["meta"] == {"current_page": 2, "next_page": None, "prev_page": 1, "total_pages": 2,
                            "total_count": 3}
    first = listed(api, "?per_page=2")
    assert ids(first) == [march.id, free.id]
    assert first["meta"]["next_page"] == 2


def test_list_filters(api, three_invoices):
    february, march, free = three_invoices
    assert ids(listed(api, "?external_customer_id=cust")) == [march.id, february.id]
    assert listed(api, "?external_customer_id=cust")["meta"]["total_count"] == 2
    assert listed(api, "?external_customer_id=nobody") == {"invoices": [], "meta": EMPTY_META}
    assert ids(listed(api, "?payment_status=succeeded")) == [free.id]
    assert ids(listed(api, "?payment_statuses[]=pending")) == [march.id, february.id]
    assert ids(listed(api, "?payment_statuses[]=pending&payment_statuses[]=succeeded")) == [
        march.id, free.id, february.id]
    assert ids(listed(api, "?status=finalized")) == [march.id, free.id, february.id]
    assert listed(api, "?statuses[]=voided") == {"invoices": [], "meta": EMPTY_META}
    assert ids(listed(api, "?issuing_date_from=2026-03-01")) == [march.id, free.id]
    assert ids(listed(api, "?issuing_date_to=2026-02-01")) == [february.id]
    assert ids(listed(api, "?issuing_date_from=2026-02-01&issuing_date_to=2026-02-28")) == [february.id]
    assert ids(listed(api, "?external_customer_id=cust&issuing_date_from=2026-02-02&payment_status=pending")) == [
        march.id]
    assert listed(api, "?external_customer_id=cust&issuing_date_from=2026-02-02")["meta"]["total_count"] == 1


@pytest.mark.parametrize("query, error", [
    ("?issuing_date_from=2026-13-01", invalid(issuing_date_from="invalid_date")),
    ("?issuing_date_to=yesterday", invalid(issuing_date_to="invalid_date")),
    ("?issuing_date_from=20260101", invalid(issuing_date_from="invalid_date")),
    # Issue 15, case 6: the text "null" is not a date, as in Lago's query (docs/api-coverage.md, Invoices).
    ("?issuing_date_from=null", invalid(issuing_date_from="invalid_date")),
    ("?statuses[]=paid", invalid(statuses="value_is_invalid")),
    ("?status=paid", invalid(status="value_is_invalid")),
    ("?payment_status=refunded", invalid(payment_status="value_is_invalid")),
    ("?payment_statuses[]=x", invalid(payment_statuses="value_is_invalid")),
    ("?page=0", invalid(page="value_is_invalid")),
    ("?per_page=101", invalid(per_page="value_is_invalid")),
])
def test_list_refuses_bad_filters(api, query, error):
    response = api.get(f"{INVOICES}{query}")
    assert (response.status_code, response.json_body) == (422, error)

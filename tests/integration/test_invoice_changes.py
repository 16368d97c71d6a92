"""PUT /api/v1/invoices/{lago_id} (payment status) and POST /api/v1/invoices/{lago_id}/void: what may change on
a finalized invoice, and what may not."""
from __future__ import annotations

import pytest
from builders import subscribe_new_customer
from invoice_fixtures import issue_invoice, subscription_fee

pytestmark = pytest.mark.usefixtures("api_clock")
NOT_VOIDABLE = {"status": 405, "error": "Method Not Allowed", "code": "not_voidable"}


@pytest.fixture
def invoice(api, tenant):
    subscription = subscribe_new_customer(api, subscription_at="2026-01-01T00:00:00Z")
    return issue_invoice(tenant.organization_id, "cust", "sub", [subscription_fee(subscription["lago_id"], 1000)])


def put(api, lago_id: str, body: dict):
    return api.put(f"/api/v1/invoices/{lago_id}", {"invoice": body})


def void(api, lago_id: str):
    return api.post(f"/api/v1/invoices/{lago_id}/void", {})


def test_the_payment_status_changes_and_the_amounts_do_not(api, invoice):
    before = api.get(f"/api/v1/invoices/{invoice.id}").json_body["invoice"]
    assert before["payment_status"] == "pending"
    response = put(api, invoice.id, {"payment_status": "succeeded", "total_amount_cents": 1})
    assert response.status_code == 200, response.body
    after = response.json_body["invoice"]
    assert after["payment_status"] == "succeeded"
    assert {key: value for key, value in after.items() if key not in ("payment_status", "updated_at", "fees")} == {
        key: value for key, value in before.items() if key not in ("payment_status", "updated_at", "fees")}
    assert after["total_amount_cents"] == 1000
    listed = api.get("/api/v1/invoices?payment_status=succeeded").json_body["invoices"]
    assert [item["lago_id"] for item in listed] == [invoice.id]
    assert api.get("/api/v1/invoices?payment_status=pending").json_body["invoices"] == []


def test_a_bad_payment_status_is_422_naming_the_field(api, invoice):
    response = put(api, invoice.id, {"payment_status": "paid"})
    assert response.status_code == 422
    assert list(response.json_body["error_details"]) == ["payment_status"]
    assert api.get(f"/api/v1/invoices/{invoice.id}").json_body["invoice"]["payment_status"] == "pending"


def test_an_unpaid_invoice_is_voided_once_and_keeps_its_number(api, invoice):
    response = void(api, invoice.id)
    assert response.status_code == 200, response.body
    voided = response.json_body["invoice"]
    assert (voided["status"], voided["number"], voided["total_amount_cents"]) == ("voided", invoice.number, 1000)
    assert voided["voided_at"] is not None
    assert (void(api, invoice.id).status_code, void(api, invoice.id).json_body) == (405, NOT_VOIDABLE)
    assert put(api, invoice.id, {"payment_status": "succeeded"}).json_body["code"] == "invoice_voided"
    assert [item["lago_id"] for item in api.get("/api/v1/invoices?status=voided").json_body["invoices"]] == [
        invoice.id]


def test_a_paid_invoice_is_not_voidable(api, invoice):
    put(api, invoice.id, {"payment_status": "succeeded"})
    assert (void(api, invoice.id).status_code, void(api, invoice.id).json_body) == (405, NOT_VOIDABLE)


def test_an_unknown_invoice_is_404(api, invoice):
    unknown = "00000000-0000-0000-0000-000000000000"
    assert put(api, unknown, {"payment_status": "succeeded"}).status_code == 404
    assert void(api, unknown).json_body["code"] == "invoice_not_found"

"""The console's invoices in Chromium: an invoice the local stack issues (a pay-in-advance plan's start, billed at
once when the subscription starts today) is listed on the Invoices page, found by its customer, opened, and shows
its number as heading and a "Total" equal to the API's `total_amount_cents`; the customer's Invoices tab lists it."""
from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from console import create_customer, signed_in, unique
from playwright.sync_api import Page, expect

from chalicelib.domain.money import format_money

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def issued_invoice(api: httpx.Client) -> tuple[str, dict]:
    """A customer on a pay-in-advance plan of 30 EUR a month from 00:00 today: the stack bills its start at once
    (no grace period), finalized; the customer's external id and the invoice as the API shows it."""
    plan_code, customer_id = unique("advance"), unique("cust")
    response = api.post("/api/v1/plans", json={"plan": {
        "name": "Advance", "code": plan_code, "interval": "monthly", "amount_cents": 3000, "amount_currency": "EUR",
        "pay_in_advance": True}})
    assert response.status_code == 200, response.text
    create_customer(api, customer_id, unique("Invoiced"), currency="EUR")
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    response = api.post("/api/v1/subscriptions", json={"subscription": {
        "external_customer_id": customer_id, "plan_code": plan_code, "external_id": unique("sub"),
        "billing_time": "calendar", "subscription_at": midnight.strftime("%Y-%m-%dT%H:%M:%SZ")}})
    assert response.status_code == 200, response.text
    listed = api.get("/api/v1/invoices", params={"external_customer_id": customer_id}).json()["invoices"]
    assert [invoice["status"] for invoice in listed] == ["finalized"]
    return customer_id, listed[0]


def test_an_issued_invoice_is_listed_and_opens_with_the_apis_total(page: Page, api: httpx.Client, api_key: str):
    customer_id, invoice = issued_invoice(api)
    total = format_money(invoice["total_amount_cents"], "EUR")
    signed_in(page, api_key)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", level=1, name="Invoices")).to_be_visible()
    page.get_by_label("Customer").fill(customer_id)
    page.get_by_role("button", name="Filter").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=invoice["number"], exact=True))
    expect(row).to_contain_text(total)
    expect(row).to_contain_text(invoice["issuing_date"])
    expect(row).to_contain_text("Finalized")

    row.get_by_role("link", name=invoice["number"], exact=True).click()

    expect(page.get_by_role("heading", level=1, name=invoice["number"], exact=True)).to_be_visible()
    expect(page.get_by_role("row", name=f"Total {total}", exact=True)).to_be_visible()
    for header in ("Description", "Units", "Unit price", "Amount"):
        expect(page.get_by_role("columnheader", name=header, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Finalize")).to_have_count(0)

    page.goto(f"/console/customers/{customer_id}/invoices")
    expect(page.get_by_role("link", name=invoice["number"], exact=True)).to_be_visible()

"""Issue 18's journey, end to end in Chromium against the running stack: sign in (a bad key, then a good one), create a
billable metric, two plans and a customer from the console, assign a plan, send events through Lago's API, read the
Usage tab and compare every figure with GET current_usage, refresh it after more events, upgrade the plan, terminate,
open the invoices the stack issued and compare them with the API, sign out. And the invoice of a biller run (the
operator's `bill --backfill`) opened in the console.

The stack runs on the wall clock: the subscription starts now, so every event below falls in its current period."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from console import CONSOLE, create_customer, signed_in, unique
from operator_cli import cli, last_line
from playwright.sync_api import Locator, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

UNIT_PRICE = "0.50"  # EUR per gb on both plans
AGGREGATED_WITHIN_SECONDS = 15


def fill_form(page: Page, fields: dict[str, str]) -> None:
    for label, value in fields.items():
        field = page.get_by_label(label, exact=True)
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)  # an option whose value or label it is
        else:
            field.fill(value)


def send_gb(api: httpx.Client, subscription_id: str, metric_code: str, *amounts: int) -> None:
    events = [{"transaction_id": unique("tx"), "external_subscription_id": subscription_id, "code": metric_code,
               "timestamp": int(datetime.now(UTC).timestamp()), "properties": {"gb": amount}} for amount in amounts]
    response = api.post("/api/v1/events/batch", json={"events": events})
    assert response.status_code == 200, response.text


def current_usage(api: httpx.Client, customer_id: str, subscription_id: str) -> dict:
    response = api.get(f"/api/v1/customers/{customer_id}/current_usage",
                       params={"external_subscription_id": subscription_id})
    assert response.status_code == 200, response.text
    return response.json()["customer_usage"]


def usage_reaches(api: httpx.Client, customer_id: str, subscription_id: str, units: str) -> dict:
    """The API's current usage once the stack's aggregator has counted every event sent (units as Lago writes them)."""
    deadline = time.monotonic() + AGGREGATED_WITHIN_SECONDS
    while (usage := current_usage(api, customer_id, subscription_id))["charges_usage"][0]["units"] != units:
        assert time.monotonic() < deadline, usage
        time.sleep(0.2)
    return usage


def usage_row(page: Page, metric_name: str) -> Locator:
    return page.locator("#usage tbody tr").filter(has=page.get_by_role("rowheader", name=metric_name))


def test_a_customer_billed_from_the_console_from_its_catalog_to_its_invoices(page: Page, api: httpx.Client,
                                                                             api_key: str):
    metric_name, metric_code = unique("Storage"), unique("storage")
    basic, pro = unique("basic"), unique("pro")
    customer_name, customer_id = unique("Grace Hopper"), unique("grace")
    subscription_id = unique("grace-sub")

    # Signing in: a wrong key is refused, the right one opens the customers list.
    page.goto(CONSOLE)
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Invalid API key")).to_be_visible()
    page.get_by_label("API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # The catalog from the console: a Sum metric, then Basic (no base fee) and Pro (a base fee: an upgrade).
    page.get_by_role("link", name="Billable metrics", exact=True).click()
    page.get_by_role("link", name="New billable metric", exact=True).click()
    fill_form(page, {"Name": metric_name, "Code": metric_code, "Aggregation": "Sum", "Field name": "gb"})
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(metric_code).first).to_be_visible()
    assert api.get(f"/api/v1/billable_metrics/{metric_code}").json()["billable_metric"]["aggregation_type"] \
        == "sum_agg"

    for code, base_fee in ((basic, "0"), (pro, "10.00")):
        page.get_by_role("link", name="Plans", exact=True).click()
        page.get_by_role("link", name="New plan", exact=True).click()
        fill_form(page, {"Name": code, "Code": code, "Interval": "monthly", "Currency": "EUR", "Base fee": base_fee})
        page.get_by_role("button", name="Add charge").click()
        charge = page.get_by_role("group", name="Charge 1", exact=True)
        charge.get_by_label("Billable metric").select_option(label=f"{metric_name} ({metric_code})")
        charge.get_by_label("Charge model").select_option("Standard")
        charge.get_by_role("textbox", name="Amount", exact=True).fill(UNIT_PRICE)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", level=1, name=code)).to_be_visible()
    pro_plan = api.get(f"/api/v1/plans/{pro}").json()["plan"]
    assert pro_plan["amount_cents"] == 1000  # "10.00" EUR
    assert [charge["properties"]["amount"] for charge in pro_plan["charges"]] == [UNIT_PRICE]

    # The customer, then Basic assigned from its Subscriptions tab.
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("link", name="New customer", exact=True).click()
    fill_form(page, {"External ID": customer_id, "Name": customer_name})
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1, name=customer_name)).to_be_visible()
    page.get_by_role("link", name="Subscriptions", exact=True).click()
    assign = page.get_by_role("form", name="Assign plan")
    assign.get_by_label("Plan").select_option(basic)
    assign.get_by_label("External ID").fill(subscription_id)
    assign.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("The plan is assigned.")
    [subscription] = api.get("/api/v1/subscriptions", params={"external_customer_id": customer_id}).json()[
        "subscriptions"]
    assert (subscription["external_id"], subscription["plan_code"], subscription["status"]) == (
        subscription_id, basic, "active")

    # Events through the API; the Usage tab shows what GET current_usage says: 5 + 7 = 12 gb x 0.50 = EUR 6.00.
    send_gb(api, subscription_id, metric_code, 5, 7)
    usage = usage_reaches(api, customer_id, subscription_id, "12.0")
    assert usage["amount_cents"] == 600
    page.get_by_role("link", name="Usage", exact=True).click()
    expect(usage_row(page, metric_name).get_by_role("cell").nth(0)).to_have_text("12")
    expect(usage_row(page, metric_name).get_by_role("cell").nth(1)).to_have_text("€6.00")
    expect(page.locator("#usage tfoot")).to_contain_text("€6.00")

    # 3 gb more: "Refresh" swaps the figures in place: 15 gb x 0.50 = EUR 7.50.
    send_gb(api, subscription_id, metric_code, 3)
    usage = usage_reaches(api, customer_id, subscription_id, "15.0")
    assert usage["amount_cents"] == 750
    page.get_by_role("button", name="Refresh").click()
    expect(usage_row(page, metric_name).get_by_role("cell").nth(1)).to_have_text("€7.50")
    expect(page.locator("#usage tfoot")).to_contain_text("€7.50")

    # Upgrade to Pro (a higher base fee: at once), then terminate.
    page.get_by_role("link", name="Subscriptions", exact=True).click()
    page.get_by_text("Change plan", exact=True).click()
    change = page.get_by_role("form", name=f"Change plan of {subscription_id}")
    expect(change.locator(f'option[value="{pro}"]')).to_contain_text("upgrade, takes effect now")
    change.get_by_label("Plan").select_option(pro)
    change.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Upgraded: the new plan took effect now.")
    [upgraded] = api.get("/api/v1/subscriptions", params={"external_customer_id": customer_id}).json()[
        "subscriptions"]
    assert (upgraded["external_id"], upgraded["plan_code"], upgraded["status"]) == (subscription_id, pro, "active")

    page.get_by_role("link", name="Terminate", exact=True).click()
    page.get_by_role("button", name="Terminate subscription").click()
    expect(page.get_by_role("status")).to_have_text("The subscription is terminated.")
    terminated = api.get(f"/api/v1/subscriptions/{subscription_id}", params={"status": "terminated"})
    assert terminated.json()["subscription"]["status"] == "terminated", terminated.text

    # The invoices the stack issued (the upgrade's for Basic's usage, the termination's for Pro's), in the console
    # as the API shows them: the Basic one bills the 15 gb, EUR 7.50.
    invoices = api.get("/api/v1/invoices", params={"external_customer_id": customer_id}).json()["invoices"]
    assert invoices, "the upgrade and the termination issue invoices at once"
    page.get_by_role("link", name="Invoices", exact=True).first.click()
    for invoice in invoices:
        expect(page.get_by_role("link", name=invoice["number"], exact=True)).to_be_visible()
    basic_invoice = next(invoice for invoice in invoices
                         if any(fee["amount_cents"] == 750 for fee in api.get(
                             f"/api/v1/invoices/{invoice['lago_id']}").json()["invoice"]["fees"]))
    page.get_by_role("link", name=basic_invoice["number"], exact=True).click()
    expect(page.get_by_role("heading", level=1, name=basic_invoice["number"])).to_be_visible()
    # Basic has no base fee and the organization no tax: the total is the 15 gb alone, 15 x 0.50 = EUR 7.50.
    assert basic_invoice["total_amount_cents"] == 750
    total = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Total", exact=True))
    expect(total).to_contain_text("€7.50")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_the_invoice_a_biller_run_issues_opens_in_the_console(page: Page, api: httpx.Client, api_key: str, stack):
    """The biller run by the operator (`bill --backfill` as of this month's first half hour: the month before is a
    backdated subscription's history) issues last month's invoice; the console lists it and opens it."""
    now = datetime.now(UTC)
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    plan, customer_id = unique("monthly"), unique("ada")
    created = api.post("/api/v1/plans", json={"plan": {
        "name": plan, "code": plan, "interval": "monthly", "amount_cents": 1000, "amount_currency": "EUR",
        "pay_in_advance": False}})
    assert created.status_code == 200, created.text
    create_customer(api, customer_id, unique("Ada"))
    subscribed = api.post("/api/v1/subscriptions", json={"subscription": {
        "external_customer_id": customer_id, "plan_code": plan, "external_id": unique("ada-sub"),
        "billing_time": "calendar", "subscription_at": last_month.strftime("%Y-%m-%dT%H:%M:%SZ")}})
    assert subscribed.status_code == 200, subscribed.text
    assert api.get("/api/v1/invoices", params={"external_customer_id": customer_id}).json()["invoices"] == []

    instant = min(this_month + timedelta(minutes=30), now).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = json.loads(last_line(cli(stack, "bill", "--at", instant, "--backfill")))
    assert run["invoices_created"] >= 1, run
    [invoice] = api.get("/api/v1/invoices", params={"external_customer_id": customer_id}).json()["invoices"]
    # A whole month of the plan in arrears, no usage, no tax: EUR 10.00.
    assert (invoice["status"], invoice["total_amount_cents"]) == ("finalized", 1000)

    signed_in(page, api_key)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices", exact=True).click()
    page.get_by_role("link", name=invoice["number"], exact=True).click()
    expect(page.get_by_role("heading", level=1, name=invoice["number"])).to_be_visible()
    total = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Total", exact=True))
    expect(total).to_contain_text("€10.00")

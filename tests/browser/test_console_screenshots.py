"""The README's screenshots of every console page, taken in Chromium from an organization of their own so that they
show the same records each run. `make screenshots` writes them into docs/console/; a test run writes them under its
tmp_path, leaving the checkout as it was."""
from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from console import CONSOLE, create_customer, lago_api, signed_in
from local_stack import RunningStack
from operator_cli import create_organization
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCREENSHOTS_DIR_VARIABLE = "CONSOLE_SCREENSHOTS_DIR"
ADA = {"email": "billing@analytical.test", "address_line1": "12 St James's Square", "city": "London",
       "zipcode": "SW1Y 4JH", "country": "GB", "currency": "EUR", "timezone": "Europe/London",
       "legal_name": "Analytical Engines Ltd", "vat_rate": 20}
COUNTED_WITHIN_SECONDS = 15


def created(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def catalog(api: httpx.Client) -> None:
    """A Sum metric of storage with a region filter, and the plan "Startup": EUR 49 a month, 0.25 a gb."""
    created(api.post("/api/v1/billable_metrics", json={"billable_metric": {
        "name": "Storage", "code": "storage", "aggregation_type": "sum_agg", "field_name": "gb",
        "filters": [{"key": "region", "values": ["eu", "us"]}]}}))
    created(api.post("/api/v1/plans", json={"plan": {
        "name": "Startup", "code": "startup", "interval": "monthly", "amount_cents": 4900, "amount_currency": "EUR",
        "pay_in_advance": True, "charges": [{"billable_metric_code": "storage", "charge_model": "standard",
                                             "properties": {"amount": "0.25"}}]}}))


def ada_subscribed_with_usage(api: httpx.Client) -> None:
    """Ada on Startup since the start of today (paid in advance: its invoice is issued at once) with 130 gb."""
    create_customer(api, "ada-lovelace", "Ada Lovelace", **ADA)
    create_customer(api, "grace-hopper", "Grace Hopper", email="grace@navy.test", country="US", currency="USD")
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    created(api.post("/api/v1/subscriptions", json={"subscription": {
        "external_customer_id": "ada-lovelace", "plan_code": "startup", "external_id": "ada-startup",
        "subscription_at": midnight.isoformat().replace("+00:00", "Z")}}))
    created(api.post("/api/v1/events/batch", json={"events": [
        {"transaction_id": f"ada-{region}", "external_subscription_id": "ada-startup", "code": "storage",
         "timestamp": int(time.time()), "properties": {"gb": gb, "region": region}}
        for region, gb in (("eu", 100), ("us", 30))]}))
    deadline = time.monotonic() + COUNTED_WITHIN_SECONDS
    while created(api.get("/api/v1/customers/ada-lovelace/current_usage", params={
            "external_subscription_id": "ada-startup"}))["customer_usage"]["charges_usage"][0]["units"] != "130.0":
        assert time.monotonic() < deadline, "the stack did not count Ada's events"
        time.sleep(0.2)


def test_screenshots_of_each_page(page: Page, stack: RunningStack, tmp_path: Path):
    screenshots = Path(os.environ.get(SCREENSHOTS_DIR_VARIABLE) or tmp_path)
    screenshots.mkdir(parents=True, exist_ok=True)
    _organization_id, key = create_organization(stack, "Screenshots")
    with lago_api(stack, key) as api:
        catalog(api)
        ada_subscribed_with_usage(api)
        [invoice] = created(api.get("/api/v1/invoices", params={"external_customer_id": "ada-lovelace"}))[
            "invoices"]

    def shoot(name: str) -> None:
        page.screenshot(path=screenshots / f"{name}.png", full_page=True)
        assert (screenshots / f"{name}.png").stat().st_size > 0

    def open_link(name: str) -> None:
        page.get_by_role("main").get_by_role("link", name=name, exact=True).first.click()

    def open_section(name: str) -> None:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()

    def open_tab(name: str) -> None:
        page.get_by_role("navigation", name="Customer").get_by_role("link", name=name, exact=True).click()

    page.goto(CONSOLE)
    shoot("sign-in")
    signed_in(page, key)
    shoot("customers")
    open_link("Ada Lovelace")
    expect(page.get_by_role("heading", level=1, name="Ada Lovelace")).to_be_visible()
    shoot("customer")
    open_tab("Subscriptions")
    expect(page.get_by_role("form", name="Assign plan")).to_be_visible()
    shoot("customer-subscriptions")
    open_tab("Usage")
    expect(page.locator("#usage tfoot")).to_contain_text("€32.50")  # 130 gb x 0.25
    shoot("customer-usage")
    open_tab("Invoices")
    expect(page.get_by_role("link", name=invoice["number"], exact=True)).to_be_visible()
    shoot("customer-invoices")
    open_tab("Overview")
    open_link("Delete")
    expect(page.get_by_role("alert")).to_contain_text("active subscription")
    shoot("delete-customer")
    open_section("Customers")
    open_link("New customer")
    expect(page.get_by_label("External ID", exact=True)).to_be_visible()
    shoot("new-customer")
    open_section("Billable metrics")
    shoot("billable-metrics")
    open_link("Storage")
    shoot("billable-metric")
    open_section("Billable metrics")
    open_link("New billable metric")
    shoot("new-billable-metric")
    open_section("Plans")
    shoot("plans")
    open_link("Startup")
    shoot("plan")
    open_section("Plans")
    open_link("New plan")
    page.get_by_role("button", name="Add charge").click()
    expect(page.get_by_role("group", name="Charge 1", exact=True)).to_be_visible()
    shoot("new-plan")
    open_section("Invoices")
    shoot("invoices")
    open_link(invoice["number"])
    expect(page.get_by_role("heading", level=1, name=invoice["number"])).to_be_visible()
    shoot("invoice")

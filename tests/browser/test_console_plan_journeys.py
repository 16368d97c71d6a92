"""The console's plans in Chromium: a plan created from the "New plan" form, charges added and removed in place
(htmx), then the API's plan holding exactly the charge left, and the plan's page showing it."""
from __future__ import annotations

import httpx
import pytest
from console import signed_in, unique
from playwright.sync_api import Locator, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def create_metric(api: httpx.Client, name: str, code: str) -> dict:
    response = api.post("/api/v1/billable_metrics", json={"billable_metric": {
        "name": name, "code": code, "aggregation_type": "sum_agg", "field_name": "gb"}})
    assert response.status_code == 200, response.text
    return response.json()["billable_metric"]


def charge(page: Page, number: int) -> Locator:
    return page.get_by_role("group", name=f"Charge {number}", exact=True)


def fill_range(charge_group: Locator, row: int, *values: str) -> None:
    """One visible range row: From, To, Per unit, Flat fee."""
    group = charge_group.get_by_role("group", name=f"Range {row}", exact=True)
    for label, value in zip(("From", "To", "Per unit", "Flat fee"), values):
        group.get_by_role("textbox", name=label, exact=True).fill(value)


def test_a_plan_is_created_with_charges_added_and_removed_in_place(page: Page, api: httpx.Client, api_key: str):
    metric_name, metric_code = unique("Storage"), unique("storage")
    create_metric(api, metric_name, metric_code)
    plan_name, plan_code = unique("Startup"), unique("startup")
    signed_in(page, api_key)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    page.get_by_role("link", name="New plan").click()

    page.get_by_label("Name", exact=True).fill(plan_name)
    page.get_by_label("Code", exact=True).fill(plan_code)
    page.get_by_label("Interval").select_option("Monthly")
    page.get_by_label("Currency").fill("EUR")
    page.get_by_label("Base fee").fill("10.00")
    page.get_by_role("button", name="Add charge").click()
    expect(charge(page, 1)).to_be_visible()
    first = charge(page, 1)
    first.get_by_label("Billable metric").select_option(label=f"{metric_name} ({metric_code})")
    first.get_by_role("textbox", name="Amount", exact=True).fill("9.99")  # Standard, the first shown
    page.get_by_role("button", name="Add charge").click()
    second = charge(page, 2)
    expect(second).to_be_visible()
    # Swapped in place by htmx: still the form's page, the first charge as typed.
    assert page.url.endswith("/console/new-plan")
    expect(first.get_by_role("textbox", name="Amount", exact=True)).to_have_value("9.99")
    second.get_by_label("Billable metric").select_option(label=f"{metric_name} ({metric_code})")
    second.get_by_label("Charge model").select_option("Graduated")
    expect(second.get_by_role("textbox", name="Amount", exact=True)).to_have_count(0)  # only Graduated's shown
    fill_range(second, 1, "0", "10", "1.00", "0")
    fill_range(second, 2, "11", "", "0.50", "5")

    first.get_by_role("button", name="Remove charge").click()
    expect(charge(page, 2)).to_have_count(0)
    remaining = charge(page, 1)
    expect(remaining.get_by_label("Charge model")).to_have_value("graduated")
    expect(remaining.get_by_role("group", name="Range 2").get_by_role("textbox", name="Per unit")).to_have_value(
        "0.50")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1, name=plan_name, exact=True)).to_be_visible()
    response = api.get(f"/api/v1/plans/{plan_code}")
    assert response.status_code == 200, response.text
    plan = response.json()["plan"]
    assert (plan["amount_cents"], plan["amount_currency"]) == (1000, "EUR")  # 10.00 EUR x 100
    assert [(item["billable_metric_code"], item["charge_model"], item["properties"]) for item in plan["charges"]] == [
        (metric_code, "graduated", {"graduated_ranges": [
            {"from_value": 0, "to_value": 10, "per_unit_amount": "1.00", "flat_amount": "0"},
            {"from_value": 11, "to_value": None, "per_unit_amount": "0.50", "flat_amount": "5"}]})]
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=3, name=metric_name)).to_be_visible()
    expect(main).to_contain_text("Graduated")
    expect(main).to_contain_text("€10.00")
    ranges = main.get_by_role("row")
    expect(ranges.nth(1)).to_contain_text("€1.00")
    expect(ranges.nth(2)).to_contain_text("and above")
    expect(ranges.nth(2)).to_contain_text("€5.00")

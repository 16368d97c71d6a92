"""The console's billable metrics in Chromium: a Sum metric with a filter created from the form (a filter row added
by "Add filter", swapped in place by htmx), listed, and returned by the API; deletion refused with the reason while a
plan uses the metric, and done after the confirmation otherwise."""
from __future__ import annotations

import re

import httpx
import pytest
from console import signed_in, unique
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def open_billable_metrics(page: Page, api_key: str) -> None:
    signed_in(page, api_key)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billable metrics", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Billable metrics", exact=True)).to_be_visible()


def create_metric(api: httpx.Client, code: str, name: str) -> dict:
    response = api.post("/api/v1/billable_metrics", json={"billable_metric": {
        "name": name, "code": code, "aggregation_type": "count_agg"}})
    assert response.status_code == 200, response.text
    return response.json()["billable_metric"]


def test_a_sum_metric_with_a_filter_is_created_listed_and_returned_by_the_api(page: Page, api: httpx.Client,
                                                                              api_key: str):
    name = unique("Storage")
    code = unique("storage")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.location["url"].endswith("/favicon.ico") else None)
    open_billable_metrics(page, api_key)
    page.get_by_role("link", name="New billable metric", exact=True).click()

    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Aggregation", exact=True).select_option(label="Sum")
    page.get_by_label("Field name", exact=True).fill("gb")
    page.get_by_label("Recurring", exact=True).check()
    page.evaluate("window.sameDocument = true")
    page.get_by_role("button", name="Add filter").click()
    expect(page.get_by_label("Filter key", exact=True)).to_have_count(4)
    assert page.evaluate("window.sameDocument === true"), "Add filter loaded a new page"
    expect(page.get_by_label("Name", exact=True)).to_have_value(name)  # what was typed is kept
    page.get_by_label("Filter key", exact=True).last.fill("region")
    page.get_by_label("Filter values", exact=True).last.fill("eu, us")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1, name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("eu, us")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billable metrics", exact=True).click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))
    expect(row.get_by_role("cell")).to_have_text([name, code, "Sum", "gb", "Yes"])
    created = api.get(f"/api/v1/billable_metrics/{code}")
    assert created.status_code == 200, created.text
    metric = created.json()["billable_metric"]
    assert (metric["name"], metric["aggregation_type"], metric["field_name"], metric["recurring"],
            metric["filters"]) == (name, "sum_agg", "gb", True, [{"key": "region", "values": ["eu", "us"]}])
    assert errors == []  # no script or style the Content-Security-Policy blocked (the app has no favicon)


def test_a_refused_form_says_why_beside_the_field_and_writes_nothing(page: Page, api: httpx.Client, api_key: str):
    code = unique("refused")
    open_billable_metrics(page, api_key)
    page.get_by_role("link", name="New billable metric", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Refused")
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Aggregation", exact=True).select_option(label="Max")

    page.get_by_role("button", name="Save").click()

    field_name = page.get_by_label("Field name", exact=True)
    expect(field_name).to_have_attribute("aria-invalid", "true")
    expect(field_name).to_have_accessible_description(re.compile("This field is required."))
    expect(page.get_by_label("Aggregation", exact=True)).to_have_value("max_agg")
    assert api.get(f"/api/v1/billable_metrics/{code}").status_code == 404


def test_delete_is_refused_while_a_plan_uses_the_metric(page: Page, api: httpx.Client, api_key: str):
    name = unique("Used")
    code = unique("used")
    metric = create_metric(api, code, name)
    response = api.post("/api/v1/plans", json={"plan": {
        "name": "Uses it", "code": unique("plan"), "interval": "monthly", "amount_cents": 1000,
        "amount_currency": "EUR", "pay_in_advance": False,
        "charges": [{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                     "properties": {"amount": "1"}}]}})
    assert response.status_code == 200, response.text
    open_billable_metrics(page, api_key)

    page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name="Delete", exact=True).click()

    expect(page.get_by_role("alert")).to_have_text("This billable metric cannot be deleted while a plan uses it.")
    expect(page.get_by_role("button", name="Delete billable metric")).to_have_count(0)
    assert api.get(f"/api/v1/billable_metrics/{code}").status_code == 200


def test_delete_asks_for_confirmation_then_deletes(page: Page, api: httpx.Client, api_key: str):
    name = unique("Unused")
    code = unique("unused")
    create_metric(api, code, name)
    open_billable_metrics(page, api_key)

    page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name="Delete", exact=True).click()
    assert api.get(f"/api/v1/billable_metrics/{code}").status_code == 200
    page.get_by_role("button", name="Delete billable metric").click()

    expect(page.get_by_role("link", name="New billable metric", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    assert api.get(f"/api/v1/billable_metrics/{code}").status_code == 404

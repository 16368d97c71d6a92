"""The Subscriptions tab in Chromium: a plan assigned from the console, upgraded, downgraded and the subscription
terminated, Lago's JSON API agreeing after each step."""
from __future__ import annotations

import re

import httpx
import pytest
from console import create_customer, signed_in, unique
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def create_plan(api: httpx.Client, code: str, amount_cents: int) -> None:
    """A monthly EUR plan in arrears named after its code."""
    response = api.post("/api/v1/plans", json={"plan": {
        "name": code, "code": code, "interval": "monthly", "amount_cents": amount_cents, "amount_currency": "EUR",
        "pay_in_advance": False}})
    assert response.status_code == 200, response.text


def subscription(api: httpx.Client, external_id: str, status: str = "active") -> dict:
    response = api.get(f"/api/v1/subscriptions/{external_id}", params={"status": status})
    assert response.status_code == 200, response.text
    return response.json()["subscription"]


def change_plan(page: Page, external_id: str, plan_code: str, kind: str) -> None:
    """"Change plan" of the one active subscription to `plan_code`, whose option says `kind` before saving."""
    page.get_by_text("Change plan", exact=True).click()
    change = page.get_by_role("form", name=f"Change plan of {external_id}")
    expect(change.locator(f'option[value="{plan_code}"]')).to_contain_text(kind)
    change.get_by_label("Plan").select_option(plan_code)
    change.get_by_role("button", name="Save").click()


def test_assign_change_and_terminate_a_plan_from_the_console(page: Page, api: httpx.Client, api_key: str):
    customer = unique("subscriber")
    external_id = unique("sub")
    basic, premium, cheap = unique("basic"), unique("premium"), unique("cheap")
    create_customer(api, customer, f"Customer {customer}")
    # yearly base fees: basic 12 x 10 = 120 EUR, premium 12 x 50 = 600 (an upgrade), cheap 12 x 5 = 60 (a downgrade)
    for code, cents in ((basic, 1000), (premium, 5000), (cheap, 500)):
        create_plan(api, code, cents)
    signed_in(page, api_key)
    page.goto(f"/console/customers/{customer}/subscriptions")

    assign = page.get_by_role("form", name="Assign plan")
    assign.get_by_label("Plan").select_option(basic)
    assign.get_by_label("Billing time").select_option("calendar")
    assign.get_by_label("External ID").fill(external_id)
    assign.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("The plan is assigned.")
    assigned = subscription(api, external_id)
    assert (assigned["plan_code"], assigned["external_customer_id"], assigned["billing_time"]) == (
        basic, customer, "calendar")
    expect(page.get_by_role("row", name=re.compile(f"{basic}.*active"))).to_be_visible()

    change_plan(page, external_id, premium, "upgrade, takes effect now")
    expect(page.get_by_role("status")).to_have_text("Upgraded: the new plan took effect now.")
    upgraded = subscription(api, external_id)
    assert (upgraded["plan_code"], upgraded["previous_plan_code"]) == (premium, basic)

    change_plan(page, external_id, cheap, "downgrade, takes effect at the end of the current period")
    expect(page.get_by_role("status")).to_contain_text("Downgrade scheduled")
    scheduled = subscription(api, external_id)
    assert (scheduled["plan_code"], scheduled["next_plan_code"]) == (premium, cheap)
    expect(page.get_by_text(f"Downgrades to {cheap} on {scheduled['downgrade_plan_date']}")).to_be_visible()
    assert subscription(api, external_id, "pending")["plan_code"] == cheap

    page.get_by_role("link", name="Terminate", exact=True).click()
    page.get_by_role("button", name="Terminate subscription").click()
    expect(page.get_by_role("status")).to_have_text("The subscription is terminated.")
    ended = subscription(api, external_id, "terminated")
    assert (ended["plan_code"], ended["status"]) == (premium, "terminated")
    assert api.get(f"/api/v1/subscriptions/{external_id}").status_code == 404  # nothing active any more
    expect(page.get_by_role("link", name="Terminate", exact=True)).to_have_count(0)

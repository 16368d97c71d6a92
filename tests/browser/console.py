"""What the browser tests do in the console, by the accessible names issue 18 fixes: sign in, open a page from the
navigation, and the customers they create through Lago's JSON API to find there."""
from __future__ import annotations

import uuid

import httpx
from local_stack import RunningStack
from playwright.sync_api import Page, Response, expect

CONSOLE = "/console/"


def sign_in(page: Page, api_key: str) -> Response | None:
    """Sign in from the console's front door; the response is the sign-in page's."""
    response = page.goto(CONSOLE)
    page.get_by_label("API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()
    return response


def signed_in(page: Page, api_key: str) -> None:
    """Signed in, on the customers list where signing in lands."""
    sign_in(page, api_key)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def lago_api(stack: RunningStack, key: str) -> httpx.Client:
    """Lago's JSON API on an organization's key."""
    return httpx.Client(base_url=stack.api_url, timeout=10,
                        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_customer(api: httpx.Client, external_id: str, name: str, **fields: str) -> dict:
    """A customer created through the API (POST /api/v1/customers), as the API returns it."""
    response = api.post("/api/v1/customers", json={"customer": {"external_id": external_id, "name": name, **fields}})
    assert response.status_code == 200, response.text
    return response.json()["customer"]

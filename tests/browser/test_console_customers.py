"""The console's customers in Chromium: the list (search, pages of 25), a customer's page and its Overview, the new
customer form, editing and deleting and their refusals, user data shown as text."""
from __future__ import annotations

import re

import httpx
import pytest
from console import create_customer, lago_api, signed_in, unique
from local_stack import RunningStack
from operator_cli import create_organization
from playwright.sync_api import Dialog, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PAGE_SIZE = 25
OVERVIEW_FIELDS = {"email": "billing@analytical.test", "address_line1": "12 St James's Square", "city": "London",
                   "zipcode": "SW1Y 4JH", "country": "GB", "currency": "GBP", "timezone": "Europe/London"}


def customer_links(page: Page, prefix: str):
    """The list's links to customers whose names start with the prefix."""
    return page.get_by_role("link", name=re.compile(f"^{re.escape(prefix)}"))


def search(page: Page, text: str) -> None:
    """Type the text and press Enter; return once every request it started has answered and been swapped in (the
    typing's own request leaves 300 ms after the keystroke, within networkidle's 500 ms of quiet): a click on a
    result that an answer still in flight would replace could be lost."""
    page.get_by_label("Search").fill(text)
    page.get_by_label("Search").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    page.wait_for_load_state("networkidle")


def test_a_customer_created_through_the_api_is_listed_and_has_its_page(page: Page, api: httpx.Client, api_key: str):
    name = unique("Ada Lovelace")
    external_id = unique("ada")
    create_customer(api, external_id, name, **OVERVIEW_FIELDS)
    signed_in(page, api_key)

    page.get_by_role("link", name=name, exact=True).click()

    expect(page.get_by_role("heading", level=1, name=name, exact=True)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Customer")
    for tab in ("Overview", "Subscriptions", "Usage", "Invoices"):
        expect(tabs.get_by_role("link", name=tab, exact=True)).to_be_visible()
    overview = page.get_by_role("main")
    for value in (external_id, *OVERVIEW_FIELDS.values()):
        expect(overview).to_contain_text(value)


def test_a_customer_named_like_markup_shows_as_text(page: Page, api: httpx.Client, api_key: str):
    name = "<img src=x onerror=alert(1)>"
    create_customer(api, unique("markup"), name)
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    signed_in(page, api_key)
    search(page, name)
    page.get_by_role("link", name=name, exact=True).click()

    expect(page.get_by_role("heading", level=1, name=name, exact=True)).to_be_visible()
    expect(page.locator("img[src='x']")).to_have_count(0)
    assert dialogs == []


def test_search_finds_customers_by_name_and_by_external_id(page: Page, api: httpx.Client, api_key: str):
    prefix = unique("Searched")
    wanted = create_customer(api, unique("wanted"), f"{prefix} Grace Hopper")
    create_customer(api, unique("other"), f"{prefix} Alan Turing")
    signed_in(page, api_key)

    search(page, "Grace Hopper")
    expect(customer_links(page, prefix)).to_have_text([f"{prefix} Grace Hopper"])

    search(page, wanted["external_id"])
    expect(customer_links(page, prefix)).to_have_text([f"{prefix} Grace Hopper"])


def test_typing_a_search_swaps_the_results_in_place(page: Page, api: httpx.Client, api_key: str):
    """htmx (vendored, allowed by the Content-Security-Policy) replaces the results without loading a new page, and
    the browser reports no error (a blocked script or style would be one)."""
    prefix = unique("Swapped")
    create_customer(api, unique("marie"), f"{prefix} Marie Curie")
    create_customer(api, unique("pierre"), f"{prefix} Pierre Curie")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    signed_in(page, api_key)
    page.evaluate("window.sameDocument = true")

    page.get_by_label("Search").fill(f"{prefix} Marie")

    expect(customer_links(page, prefix)).to_have_text([f"{prefix} Marie Curie"])
    expect(page).to_have_url(re.compile(r"[?&]q="))
    assert page.evaluate("window.sameDocument === true"), "the search loaded a new page"
    assert errors == []


def test_twenty_six_customers_take_two_pages(page: Page, stack: RunningStack):
    """In an organization of its own, so that the 26 customers are all there is to list."""
    _organization_id, key = create_organization(stack, "Paged Ltd")
    prefix = unique("Paged")
    with lago_api(stack, key) as api:
        for number in range(PAGE_SIZE + 1):
            create_customer(api, unique("paged"), f"{prefix} {number:02d}")
    signed_in(page, key)

    expect(customer_links(page, prefix)).to_have_count(PAGE_SIZE)
    first_page = set(customer_links(page, prefix).all_inner_texts())
    page.get_by_role("link", name="Next", exact=True).click()
    expect(customer_links(page, prefix)).to_have_count(1)
    second_page = set(customer_links(page, prefix).all_inner_texts())
    page.get_by_role("link", name="Previous", exact=True).click()
    expect(customer_links(page, prefix)).to_have_count(PAGE_SIZE)

    assert first_page | second_page == {f"{prefix} {number:02d}" for number in range(PAGE_SIZE + 1)}


def open_new_customer_form(page: Page, api_key: str) -> None:
    signed_in(page, api_key)
    page.get_by_role("link", name="New customer", exact=True).click()


def test_the_new_customer_form_creates_what_the_api_then_returns(page: Page, api: httpx.Client, api_key: str):
    name = unique("Katherine Johnson")
    external_id = unique("katherine")
    typed = {"External ID": external_id, "Name": name, "Email": "katherine@nasa.test", "City": "Hampton",
             "Country": "US"}
    open_new_customer_form(page, api_key)
    for label, value in typed.items():
        page.get_by_label(label, exact=True).fill(value)

    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1, name=name, exact=True)).to_be_visible()
    created = api.get(f"/api/v1/customers/{external_id}")
    assert created.status_code == 200, created.text
    customer = created.json()["customer"]
    assert (customer["name"], customer["email"], customer["city"], customer["country"]) == (
        name, "katherine@nasa.test", "Hampton", "US")


def test_a_refused_form_says_why_beside_each_field_and_writes_nothing(page: Page, api: httpx.Client, api_key: str):
    external_id = unique("refused")
    open_new_customer_form(page, api_key)
    page.get_by_label("External ID", exact=True).fill(external_id)
    page.get_by_label("Name", exact=True).fill("Refused Ltd")
    page.get_by_label("Email", exact=True).fill("not an email")
    page.get_by_label("Country", exact=True).fill("France")

    page.get_by_role("button", name="Save").click()

    email = page.get_by_label("Email", exact=True)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("This is not an email address.")
    expect(email).to_have_value("not an email")
    expect(page.get_by_label("Country", exact=True)).to_have_accessible_description(re.compile("two-letter country"))
    assert api.get(f"/api/v1/customers/{external_id}").status_code == 404


def open_customer(page: Page, api_key: str, name: str) -> None:
    signed_in(page, api_key)
    search(page, name)
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=name, exact=True)).to_be_visible()


def subscribe(api: httpx.Client, external_customer_id: str) -> None:
    """An active subscription to a new plan with no charges, through the API."""
    plan_code = unique("plan")
    assert api.post("/api/v1/plans", json={"plan": {
        "name": "Flat", "code": plan_code, "interval": "monthly", "amount_cents": 1000, "amount_currency": "EUR",
        "pay_in_advance": False, "charges": []}}).status_code == 200
    response = api.post("/api/v1/subscriptions", json={"subscription": {
        "external_customer_id": external_customer_id, "plan_code": plan_code, "external_id": unique("sub")}})
    assert response.status_code == 200, response.text


def test_the_same_form_edits_a_customer(page: Page, api: httpx.Client, api_key: str):
    name = unique("Hedy Lamarr")
    external_id = unique("hedy")
    create_customer(api, external_id, name, city="Vienna")
    open_customer(page, api_key, name)

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("City", exact=True)).to_have_value("Vienna")
    page.get_by_label("City", exact=True).fill("Los Angeles")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("main")).to_contain_text("Los Angeles")
    assert api.get(f"/api/v1/customers/{external_id}").json()["customer"]["city"] == "Los Angeles"


def test_a_subscribed_customer_keeps_its_external_id_and_is_not_deleted(page: Page, api: httpx.Client, api_key: str):
    name = unique("Subscribed")
    external_id = unique("subscribed")
    create_customer(api, external_id, name)
    subscribe(api, external_id)
    open_customer(page, api_key, name)

    page.get_by_role("link", name="Edit", exact=True).click()
    external_id_field = page.get_by_label("External ID", exact=True)
    expect(external_id_field).not_to_be_editable()
    expect(external_id_field).to_have_accessible_description(re.compile("active subscription"))
    page.go_back()
    page.get_by_role("link", name="Delete", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("active subscription")
    expect(page.get_by_role("button", name="Delete customer")).to_have_count(0)
    assert api.get(f"/api/v1/customers/{external_id}").status_code == 200


def test_delete_asks_for_confirmation_then_deletes(page: Page, api: httpx.Client, api_key: str):
    name = unique("Deleted")
    external_id = unique("deleted")
    create_customer(api, external_id, name)
    open_customer(page, api_key, name)

    page.get_by_role("link", name="Delete", exact=True).click()
    assert api.get(f"/api/v1/customers/{external_id}").status_code == 200
    page.get_by_role("button", name="Delete customer").click()

    expect(page.get_by_role("link", name="New customer", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    assert api.get(f"/api/v1/customers/{external_id}").status_code == 404

"""The console's invoices through the app: the list (number, customer, issuing date, status, total equal to
`GET /api/v1/invoices`'s), its pages of 25, the customer filter and the customer's Invoices tab, the invoice page's
every figure equal to `GET /api/v1/invoices/{lago_id}`'s and worked out by hand, a draft refreshed and finalized
from its page (then the API shows it finalized and numbered), the refusals (no CSRF token, an invoice no longer a
draft, another organization's invoice), and a page of the list at a fixed number of DynamoDB requests."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from builders import create_customer, create_metric, create_plan, subscribe
from invoice_fixtures import charge_fee, issue_credit_note, issue_invoice, subscription_fee
from test_biller import invoices_of, send
from test_console import browser, clock  # noqa: F401 (the console's fixtures)
from test_current_usage import dynamodb_requests  # the DynamoDB operations of one GET, counted by botocore
from test_grace_period import at, graced  # noqa: F401 (a grace period of 3 days and its plan)
from usage_fixtures import deliver, event_item, store_events, stream_record

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller


@pytest.fixture
def console(browser, tenant, clock, monkeypatch):  # noqa: F811
    """Signed in at the console clock's "now", which is also the "now" of a draft's refresh and finalization."""
    monkeypatch.setattr("chalicelib.console.invoices.utc_now", lambda: clock.now)

    def sign_in():
        assert browser.sign_in(tenant.api_key).status_code == 303
        return browser
    return sign_in


@pytest.fixture
def billed(api, tenant, api_clock) -> dict:
    """Customer `cust` "Customer cust" (VAT 20 %, in Paris) on `startup` (1000 cents a month, calls at 0.01 EUR) as
    `sub`, with its January invoice: the subscription fee (1000) and 35 calls (35)."""
    metric = create_metric(api, "calls", name="API calls")
    create_customer(api, vat_rate=20, legal_name="Cust SAS", legal_number="FR123", address_line1="1 rue de la Paix",
                    city="Paris", zipcode="75002", country="FR", email="billing@cust.example")
    plan = create_plan(api, charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                      "properties": {"amount": "0.01"}}])
    subscription = subscribe(api, subscription_at="2026-01-01T00:00:00Z")
    invoice = issue_invoice(tenant.organization_id, "cust", "sub", [
        subscription_fee(subscription["lago_id"], 1000),
        charge_fee(subscription["lago_id"], plan["charges"][0]["lago_id"], Decimal(35), 35, events_count=3)],
        vat_rate=Decimal(20))
    return {"plan": plan, "subscription": subscription, "invoice": invoice}


def other_customers_invoice(api, organization_id: str, external_id: str = "other"):
    """Customer `external_id`'s invoice of a subscription fee of 500 cents, no taxes."""
    create_customer(api, external_id)
    subscription = subscribe(api, external_customer_id=external_id, external_id=f"sub-{external_id}",
                             subscription_at="2026-01-01T00:00:00Z")
    return issue_invoice(organization_id, external_id, f"sub-{external_id}",
                         [subscription_fee(subscription["lago_id"], 500)])


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def cells(row: str) -> list[str]:
    return [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


def listed_rows(page: str) -> list[list[str]]:
    """The list's rows: number, customer, issuing date, status, total."""
    body = re.search(r'<table class="invoices">.*?<tbody>(.*?)</tbody>', page, re.S)
    return [cells(row) for row in body.group(1).split("</tr>")[:-1]] if body else []


def pager(page: str) -> list[str]:
    nav = re.search(r'<nav class="pager" aria-label="Pages">(.*?)</nav>', page, re.S).group(1)
    return [unescape(link) for link in re.findall(r'<a href="([^"]+)"', nav)]


def api_rows(api, query: str = "") -> list[list[str]]:
    """The API's list as the console must show it: total in words by hand below."""
    response = api.get(f"/api/v1/invoices?per_page=25{query}")
    assert response.status_code == 200, response.body
    return [[invoice["number"], invoice["customer"]["name"], invoice["issuing_date"],
             invoice["status"].capitalize(), invoice["total_amount_cents"]] for invoice in response.json_body["invoices"]]


def test_the_list_shows_what_the_api_lists(api, tenant, console, billed):
    other = other_customers_invoice(api, tenant.organization_id)
    page = console().get("/console/invoices")
    assert page.status_code == 200
    body = page.body.decode()
    assert ('<th scope="col">Number</th><th scope="col">Customer</th><th scope="col">Issuing date</th>'
            '<th scope="col">Status</th><th scope="col" class="number">Total</th>') in body
    # cust: (1000 + 35) x 1.2 = 1242 cents; other: 500 cents, untaxed.
    totals = {billed["invoice"].number: "€12.42", other.number: "€5.00"}
    assert [row[:4] + [totals[row[0]]] for row in api_rows(api)] == listed_rows(body)
    assert {row[4] for row in api_rows(api)} == {1242, 500}
    assert f'<a href="/console/invoices/{billed["invoice"].id}">{billed["invoice"].number}</a>' in body
    assert listed_rows(body)[0][1:4] in (["Customer cust", "2026-02-01", "Finalized"],
                                         ["Customer other", "2026-02-01", "Finalized"])
    assert pager(body) == []


def test_pages_of_25_with_next_and_previous(api, tenant, console, billed):
    organization = tenant.organization_id
    subscription_id = billed["subscription"]["lago_id"]
    for number in range(25):  # 26 with billed's
        issue_invoice(organization, "cust", "sub", [subscription_fee(subscription_id, 100 + number)],
                      group=f"extra-{number}")
    signed_in = console()
    first = signed_in.get("/console/invoices").body.decode()
    assert len(listed_rows(first)) == 25 and pager(first) == ["/console/invoices?page=2"]
    second = signed_in.get("/console/invoices?page=2").body.decode()
    assert len(listed_rows(second)) == 1 and pager(second) == ["/console/invoices?page=1"]
    assert [row[0] for row in listed_rows(first)] == [row[0] for row in api_rows(api)]
    assert len({row[0] for row in listed_rows(first) + listed_rows(second)}) == 26
    filtered = signed_in.get("/console/invoices?external_customer_id=cust").body.decode()
    assert pager(filtered) == ["/console/invoices?external_customer_id=cust&page=2"]
    tab = signed_in.get("/console/customers/cust/invoices?page=2").body.decode()
    assert len(listed_rows(tab)) == 1 and pager(tab) == ["/console/customers/cust/invoices?page=1"]


def test_the_customer_filter_and_the_customers_tab_list_its_invoices_only(api, tenant, console, billed):
    other_customers_invoice(api, tenant.organization_id)
    signed_in = console()
    cust = [billed["invoice"].number, "Customer cust", "2026-02-01", "Finalized", "€12.42"]
    page = signed_in.get("/console/invoices?external_customer_id=cust").body.decode()
    assert listed_rows(page) == [cust]
    assert 'name="external_customer_id" type="search" value="cust"' in page and '<label for="external_customer_id">Customer</label>' in page
    assert [row[0] for row in api_rows(api, "&external_customer_id=cust")] == [cust[0]]
    nobody = signed_in.get("/console/invoices?external_customer_id=nobody").body.decode()
    assert listed_rows(nobody) == [] and "No invoices yet." in nobody
    tab = signed_in.get("/console/customers/cust/invoices")
    assert tab.status_code == 200
    assert listed_rows(tab.body.decode()) == [cust]
    assert 'aria-current="page">Invoices</a>' in tab.body.decode()
    assert signed_in.get("/console/customers/nobody/invoices").status_code == 404


def fee_tables(page: str) -> list[dict]:
    tables = []
    for section in re.findall(r'<section class="invoice-fees"[^>]*>(.*?)</section>', page, re.S):
        rows = re.search(r"<tbody>(.*?)</tbody>", section, re.S).group(1).split("</tr>")[:-1]
        tables.append({"heading": text(re.search(r"<h2[^>]*>(.*?)</h2>", section, re.S).group(1)),
                       "windows": text(re.search(r"</h2>\s*<p>(.*?)</p>", section, re.S).group(1)),
                       "fees": [cells(row) for row in rows]})
    return tables


def summary(page: str) -> list[list[str]]:
    table = re.search(r'<table class="invoice-summary">(.*?)</table>', page, re.S).group(1)
    return [cells(row) for row in table.split("</tr>")[:-1]]


def test_every_figure_of_the_invoice_page_is_the_apis(api, tenant, console, billed):
    invoice = billed["invoice"]
    page = console().get(f"/console/invoices/{invoice.id}")
    assert page.status_code == 200
    body = page.body.decode()
    assert f"<h1>{invoice.number}</h1>" in body
    assert fee_tables(body) == [{
        "heading": "sub (startup)", "windows": "Subscription fee: 2026-01-01 to 2026-01-31; Usage: 2026-01-01 to 2026-01-31",
        "fees": [["Subscription fee: Plan startup", "1", "€10.00", "€10.00"],
                 # 35 calls at 0.01 EUR: 0.35 EUR.
                 ["API calls", "35", "€0.01", "€0.35"]]}]
    # 20 % VAT on 1000 + 35 = 1035 cents: 207; total 1035 + 207 = 1242.
    assert summary(body) == [["Subtotal excluding taxes", "€10.35"], ["VAT 20%", "€2.07"], ["Total", "€12.42"]]
    shown = api.get(f"/api/v1/invoices/{invoice.id}").json_body["invoice"]
    assert [(fee["units"], fee["precise_unit_amount"], fee["amount_cents"]) for fee in shown["fees"]] == [
        ("1.0", "10.0", 1000), ("35.0", "0.01", 35)]
    assert [(tax["tax_name"], tax["tax_rate"], tax["amount_cents"]) for tax in shown["applied_taxes"]] == [
        ("VAT", 20, 207)]
    assert (shown["sub_total_excluding_taxes_amount_cents"], shown["total_amount_cents"]) == (1035, 1242)
    for shown_text in ("Customer cust", "Cust SAS", "FR123", "1 rue de la Paix", "Paris", "75002",
                       "billing@cust.example", "Lago Corp", "Finalized", "Pending"):
        assert shown_text in text(body), shown_text
    assert "<dt>External ID</dt><dd>cust</dd>" in body
    assert ">Refresh</button>" not in body and ">Finalize</button>" not in body


def test_credit_notes_applied_show_before_the_total(api, tenant, console, billed):
    issue_credit_note(billed["invoice"], "cn-1", 300)
    subscription_id = billed["subscription"]["lago_id"]
    credited = issue_invoice(tenant.organization_id, "cust", "sub", [subscription_fee(subscription_id, 1000)],
                             vat_rate=Decimal(20), issuing_date=date(2026, 3, 1))
    shown = api.get(f"/api/v1/invoices/{credited.id}").json_body["invoice"]
    body = console().get(f"/console/invoices/{credited.id}").body.decode()
    # 1000 + 20 % = 1200, less the credit note's 300: 900.
    assert [credit["amount_cents"] for credit in shown["credits"]] == [300] and shown["total_amount_cents"] == 900
    name = shown["credits"][0]["item"]["name"]
    assert summary(body) == [["Subtotal excluding taxes", "€10.00"], ["VAT 20%", "€2.00"],
                             ["Subtotal including taxes", "€12.00"], [f"Credit note {name}", "-€3.00"],
                             ["Total", "€9.00"]]


def test_another_organizations_invoice_is_not_found(api, other_api, tenant, other_tenant, console, billed):
    create_plan(other_api)
    theirs = other_customers_invoice(other_api, other_tenant.organization_id)
    signed_in = console()
    assert signed_in.get(f"/console/invoices/{theirs.id}").status_code == 404
    assert signed_in.get("/console/invoices/no-such-invoice").status_code == 404
    token = signed_in.csrf_token()
    assert signed_in.post(f"/console/invoices/{theirs.id}/finalize", {"csrf_token": token}).status_code == 404
    assert [row[0] for row in listed_rows(signed_in.get("/console/invoices").body.decode())] == [
        billed["invoice"].number]


def test_a_page_of_the_list_costs_the_same_requests_whatever_its_size(api, tenant, console, billed):
    organization = tenant.organization_id
    other_customers_invoice(api, organization)
    signed_in = console()
    few = dynamodb_requests(signed_in, "/console/invoices")
    # The secret, the session, the organization, the page's Query and BatchGetItem of its invoices, the count,
    # one BatchGetItem of their customers.
    assert len(few) == 7, few
    filtered = dynamodb_requests(signed_in, "/console/invoices?external_customer_id=cust")
    assert len(filtered) == 9, filtered  # and the customer's external id: its lookup item and its item
    subscription_id = billed["subscription"]["lago_id"]
    for number in range(14):
        issue_invoice(organization, "cust", "sub", [subscription_fee(subscription_id, 100)], group=f"more-{number}")
        other_customers_invoice(api, organization, f"other-{number}")
    assert len(listed_rows(signed_in.get("/console/invoices").body.decode())) == 25
    assert dynamodb_requests(signed_in, "/console/invoices") == few
    assert dynamodb_requests(signed_in, "/console/invoices?external_customer_id=cust") == filtered


def november_draft(dynamodb, organization: str):
    """`graced`'s November invoice with 10 gb of 10 November, a draft since the biller's run of 1 December."""
    send(dynamodb, organization, [("a", at(10, month=11), 10)])
    assert run_biller(at(1, 0, 30))["invoices_created"] == 1
    [draft] = invoices_of(organization)
    return draft


def test_a_draft_is_refreshed_and_finalized_from_its_page(api, dynamodb, tenant, graced, console, clock):  # noqa: F811
    organization = tenant.organization_id
    draft = november_draft(dynamodb, organization)
    clock.now = at(3, 9)
    signed_in = console()
    page = signed_in.get(f"/console/invoices/{draft.id}").body.decode()
    # November: 1000 + 10 gb at 0.01 = 1010; 20 % VAT = 202; 1212.
    assert f"<h1>{graced}-DRAFT</h1>" in page and summary(page)[-1] == ["Total", "€12.12"]
    assert "<dt>Status</dt><dd>Draft</dd>" in page
    assert f'<form method="post" action="/console/invoices/{draft.id}/refresh">' in page
    assert ">Refresh</button>" in page and ">Finalize</button>" in page
    # 5 gb of 25 November arrive: the refresh takes them in, 1015 + 20 % (203) = 1218.
    send(dynamodb, organization, [("c", at(25, month=11), 5)])
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)
    assert signed_in.post(f"/console/invoices/{draft.id}/refresh", {}).status_code == 403
    assert api.get(f"/api/v1/invoices/{draft.id}").json_body["invoice"]["total_amount_cents"] == 1212
    refreshed = signed_in.post(f"/console/invoices/{draft.id}/refresh", {"csrf_token": token})
    assert (refreshed.status_code, refreshed.headers["Location"]) == (303, f"/console/invoices/{draft.id}")
    shown = api.get(f"/api/v1/invoices/{draft.id}").json_body["invoice"]
    assert (shown["status"], shown["total_amount_cents"]) == ("draft", 1218)
    assert summary(signed_in.get(f"/console/invoices/{draft.id}").body.decode())[-1] == ["Total", "€12.18"]
    assert signed_in.post(f"/console/invoices/{draft.id}/finalize", {}).status_code == 403
    assert api.get(f"/api/v1/invoices/{draft.id}").json_body["invoice"]["status"] == "draft"
    finalized = signed_in.post(f"/console/invoices/{draft.id}/finalize", {"csrf_token": token})
    assert (finalized.status_code, finalized.headers["Location"]) == (303, f"/console/invoices/{draft.id}")
    slug = repositories().customers.find_by_external_id(organization, "cust").slug
    shown = api.get(f"/api/v1/invoices/{draft.id}").json_body["invoice"]
    # Finalized on 3 December (the console's "now"), numbered first of the customer, the figures unchanged.
    assert (shown["status"], shown["number"], shown["issuing_date"], shown["total_amount_cents"]) == (
        "finalized", f"{slug}-001", "2026-12-03", 1218)
    page = signed_in.get(f"/console/invoices/{draft.id}").body.decode()
    assert f"<h1>{slug}-001</h1>" in page and "<dt>Status</dt><dd>Finalized</dd>" in page
    assert ">Refresh</button>" not in page and ">Finalize</button>" not in page
    for action in ("refresh", "finalize"):
        refused = signed_in.post(f"/console/invoices/{draft.id}/{action}", {"csrf_token": token})
        assert refused.status_code == 409
        assert "Only a draft invoice can be refreshed or finalized: this one is finalized." in refused.body.decode()
    assert api.get(f"/api/v1/invoices/{draft.id}").json_body["invoice"] == shown


def test_finalizing_while_usage_is_still_aggregated_says_so_and_changes_nothing(
        api, dynamodb, tenant, graced, console, clock):  # noqa: F811
    organization = tenant.organization_id
    draft = november_draft(dynamodb, organization)
    # An event of 15 November stored, not yet aggregated: finalizing now would bill without it (as the API: 503).
    pending = event_item(organization, "e", epoch_ms(at(15, month=11)), "storage", {"gb": 5})
    store_events(dynamodb, [pending])
    clock.now = at(2, 9)
    signed_in = console()
    token = signed_in.csrf_token()
    refused = signed_in.post(f"/console/invoices/{draft.id}/finalize", {"csrf_token": token})
    assert refused.status_code == 503
    assert "still being aggregated" in refused.body.decode()
    assert api.get(f"/api/v1/invoices/{draft.id}").json_body["invoice"]["status"] == "draft"
    assert deliver([stream_record(pending)]) == {"batchItemFailures": []}
    assert signed_in.post(f"/console/invoices/{draft.id}/finalize", {"csrf_token": token}).status_code == 303
    shown = api.get(f"/api/v1/invoices/{draft.id}").json_body["invoice"]
    # Issued the day it is finalized: 1000 + 15 gb at 0.01 = 1015, 20 % VAT 203: 1218.
    assert (shown["status"], shown["issuing_date"], shown["total_amount_cents"]) == ("finalized", "2026-12-02", 1218)


def test_customer_data_shows_as_text(api, tenant, console, billed):
    api.put("/api/v1/customers/cust", {"customer": {"name": "<img src=x onerror=alert(1)>",
                                                    "legal_name": "<script>alert(2)</script>"}})
    signed_in = console()
    for path in ("/console/invoices", f"/console/invoices/{billed['invoice'].id}", "/console/customers/cust/invoices"):
        body = signed_in.get(path).body.decode()
        assert "&lt;img src=x onerror=alert(1)&gt;" in body and "<img src=x" not in body, path
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in signed_in.get(f"/console/invoices/{billed['invoice'].id}").body.decode()

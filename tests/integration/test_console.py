"""The console's server side through the app (Chalice's test client over the API Gateway emulation): sessions and
their cookie, CSRF, the security headers, escaping, the customers' pages and their constant DynamoDB cost, and links
under a stage prefix. The browser journeys are in tests/e2e (Playwright)."""
from __future__ import annotations

import base64
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from builders import create_plan, subscribe
from test_current_usage import dynamodb_requests  # the DynamoDB operations of one GET, counted by botocore

from app import app
from chalicelib.domain.errors import Contention
from chalicelib.store.tables import CONTROL

HOST = {"host": "localhost:8000"}
FORM = {**HOST, "content-type": "application/x-www-form-urlencoded"}
SIGNED_IN_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class ConsoleClock:
    """The console's "now" (the request's time its handlers read)."""

    def __init__(self, monkeypatch):
        self.now = SIGNED_IN_AT
        for target in ("chalicelib.console.blueprint.utc_now", "chalicelib.console.sessions.utc_now"):
            monkeypatch.setattr(target, lambda: self.now)


@pytest.fixture
def clock(monkeypatch) -> ConsoleClock:
    return ConsoleClock(monkeypatch)


class Browser:
    """A client of the console that keeps its session cookie, as a browser does."""

    def __init__(self, http):
        self.http = http
        self.cookie: str | None = None

    def get(self, path: str, headers: dict | None = None):
        cookie = {"cookie": self.cookie} if self.cookie else {}
        return self.http.request("GET", path, headers={**HOST, **cookie, **(headers or {})})

    def post(self, path: str, fields: dict, headers: dict | None = None):
        cookie = {"cookie": self.cookie} if self.cookie else {}
        return self.http.request("POST", path, headers={**FORM, **cookie, **(headers or {})},
                                 body=urlencode(fields).encode())

    def sign_in(self, api_key: str):
        response = self.post("/console/sign-in", {"api_key": api_key})
        if "Set-Cookie" in response.headers:
            self.cookie = response.headers["Set-Cookie"].split(";")[0]
        return response

    def csrf_token(self) -> str:
        page = self.get("/console/customers").body.decode()
        return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


@pytest.fixture
def browser(chalice_http, clock) -> Browser:
    return Browser(chalice_http)


@pytest.fixture
def signed_in(browser, tenant) -> Browser:
    assert browser.sign_in(tenant.api_key).status_code == 303
    return browser


def cookie_attributes(set_cookie: str) -> dict[str, str]:
    return {name.strip(): value for name, _, value in (part.partition("=") for part in set_cookie.split(";")[1:])}


def test_a_good_key_opens_a_session_whose_cookie_holds_no_key(browser, tenant):
    response = browser.sign_in(tenant.api_key)
    assert (response.status_code, response.headers["Location"]) == (303, "/console/customers")
    set_cookie = response.headers["Set-Cookie"]
    assert cookie_attributes(set_cookie) == {"Path": "/console", "Max-Age": str(12 * 3600), "HttpOnly": "",
                                             "SameSite": "Strict"}
    payload = browser.cookie.split("=", 1)[1].split(".")[0]
    fields = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split("|")
    assert fields[0] == tenant.organization_id and tenant.api_key not in set_cookie
    assert browser.get("/console/customers").status_code == 200


def test_the_cookie_is_secure_off_localhost(browser, tenant):
    response = browser.post("/console/sign-in", {"api_key": tenant.api_key}, headers={"host": "billing.example.com"})
    assert "Secure" in cookie_attributes(response.headers["Set-Cookie"])


def test_a_wrong_key_shows_the_form_again_and_the_key_is_never_logged(browser, tenant, caplog):
    caplog.set_level(logging.DEBUG)
    response = browser.sign_in("lago_wrong_key")
    assert response.status_code == 401 and "Set-Cookie" not in response.headers
    assert "Invalid API key" in response.body.decode() and 'name="api_key"' in response.body.decode()
    browser.sign_in(tenant.api_key)
    assert "lago_wrong_key" not in caplog.text and tenant.api_key not in caplog.text


def test_pages_send_unsigned_visitors_to_sign_in(browser):
    for path in ("/console", "/console/customers", "/console/customers/acme", "/console/plans"):
        response = browser.get(path)
        assert (response.status_code, response.headers["Location"]) == (303, "/console/sign-in"), path
    browser.cookie = "console_session=forged.0000"
    assert browser.get("/console/customers").status_code == 303


def test_a_session_ends_after_12_hours_by_the_clock(signed_in, clock):
    clock.now = SIGNED_IN_AT + timedelta(hours=12) - timedelta(seconds=1)
    assert signed_in.get("/console/customers").status_code == 200
    clock.now = SIGNED_IN_AT + timedelta(hours=12)
    assert signed_in.get("/console/customers").headers["Location"] == "/console/sign-in"


def test_a_session_record_expires_by_the_tables_ttl_12_hours_after_sign_in(signed_in, dynamodb):
    """Sessions never signed out do not stay: DynamoDB deletes their record once its `expires_at` has passed."""
    ttl = dynamodb.describe_time_to_live(TableName=CONTROL.name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    sessions = [item for item in dynamodb.scan(TableName=CONTROL.name)["Items"]
                if item["sk"]["S"].startswith("CONSOLE_SESSION#")]
    # Signed in at 2026-03-01 09:00 UTC: expires 21:00 UTC the same day.
    assert [int(item["expires_at"]["N"]) for item in sessions] == [
        int(datetime(2026, 3, 1, 21, 0, tzinfo=UTC).timestamp())]


def test_signing_out_ends_the_session_on_the_server_too(signed_in):
    session_cookie = signed_in.cookie
    response = signed_in.post("/console/sign-out", {"csrf_token": signed_in.csrf_token()})
    assert (response.status_code, response.headers["Location"]) == (303, "/console/sign-in")
    assert cookie_attributes(response.headers["Set-Cookie"])["Max-Age"] == "0"
    signed_in.cookie = session_cookie  # a copy of the cookie kept from before
    assert signed_in.get("/console/customers").status_code == 303


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(signed_in, tenant):
    for fields, headers in (({}, {}), ({"csrf_token": "0" * 64}, {}),
                            ({"csrf_token": signed_in.csrf_token()}, {"origin": "https://evil.example"})):
        assert signed_in.post("/console/sign-out", fields, headers).status_code == 403
    assert signed_in.get("/console/customers").status_code == 200  # still signed in
    other = Browser(signed_in.http)
    other.sign_in(tenant.api_key)
    assert signed_in.post("/console/sign-out", {"csrf_token": other.csrf_token()}).status_code == 403


def test_every_answer_forbids_inline_scripts(signed_in):
    for response in (signed_in.get("/console/sign-in"), signed_in.get("/console/customers"),
                     signed_in.get("/console"), signed_in.post("/console/sign-out", {})):
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert {"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"} <= {
            part.strip() for part in policy.split(";")}
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_htmx_and_the_stylesheet_are_served_from_the_app_for_a_year(browser):
    page = browser.get("/console/sign-in").body.decode()
    for path in re.findall(r'(?:src|href)="(/console/static/[^"]+)"', page):
        response = browser.get(path.split("?")[0])
        assert response.status_code == 200 and "max-age=31536000" in response.headers["Cache-Control"]
    assert browser.get("/console/static/app.py").status_code == 404


def create_customers(api, count: int, **fields) -> None:
    for index in range(count):
        assert api.post("/api/v1/customers", {"customer": {"external_id": f"cust-{index:03d}",
                                                           "name": f"Customer {index:03d}", **fields}}).status_code == 200


def test_a_customer_name_is_shown_as_text(api, signed_in):
    hostile = "<img src=x onerror=alert(1)>"
    api.post("/api/v1/customers", {"customer": {"external_id": "x<script>", "name": hostile}})
    for path in ("/console/customers", "/console/customers/x%3Cscript%3E"):
        page = signed_in.get(path).body.decode()
        assert "&lt;img src=x onerror=alert(1)&gt;" in page and hostile not in page and "<script>" not in page


def rows(page: str) -> list[str]:
    return re.findall(r'<td><a href="/console/customers/([^"]+)">', page)


def test_customers_are_listed_25_a_page_with_next_and_previous(api, signed_in):
    create_customers(api, 27)
    first = signed_in.get("/console/customers").body.decode()
    assert len(rows(first)) == 25 and rows(first)[0] == "cust-026"
    assert ">Next</a>" in first and ">Previous</a>" not in first
    second = signed_in.get("/console/customers?page=2").body.decode()
    assert rows(second) == ["cust-001", "cust-000"]
    assert ">Next</a>" not in second and 'href="/console/customers?page=1" rel="prev">Previous</a>' in second


def test_a_search_finds_customers_by_name_or_external_id_a_page_at_a_time(api, signed_in):
    create_customers(api, 27)
    api.post("/api/v1/customers", {"customer": {"external_id": "acme-eu", "name": "Acme Europe"}})
    assert rows(signed_in.get("/console/customers?q=ACME").body.decode()) == ["acme-eu"]
    first = signed_in.get("/console/customers?q=customer+0").body.decode()
    assert len(rows(first)) == 25 and 'href="/console/customers?q=customer%200&amp;page=2" rel="next">Next' in first
    assert rows(signed_in.get("/console/customers?q=customer+0&page=2").body.decode()) == ["cust-001", "cust-000"]
    assert "No customer matches" in signed_in.get("/console/customers?q=initech").body.decode()


def test_a_page_of_customers_costs_the_same_requests_whatever_its_size(api, signed_in):
    create_customers(api, 2)
    few = dynamodb_requests(signed_in, "/console/customers")
    searched = dynamodb_requests(signed_in, "/console/customers?q=customer")
    create_customers(api, 30)
    assert dynamodb_requests(signed_in, "/console/customers") == few
    assert len(few) == 5  # the secret, the session, the organization, the page, the count
    assert dynamodb_requests(signed_in, "/console/customers?q=customer") == searched
    assert len(searched) == 4  # the secret, the session, the organization, one Query of under 1 MB


def test_the_overview_shows_what_applies_and_whose_it_is(api, signed_in):
    api.post("/api/v1/customers", {"customer": {"external_id": "acme", "name": "Acme", "city": "Paris",
                                                "currency": "EUR"}})
    page = signed_in.get("/console/customers/acme").body.decode()
    assert "<h1>Acme</h1>" in page and "Paris" in page and "EUR" in page
    assert "0% (the organization&#39;s)" in page and "UTC (the organization&#39;s)" in page
    for tab in ("Overview", "Subscriptions", "Usage", "Invoices"):
        assert f">{tab}</a>" in page
    api.put("/api/v1/customers/acme", {"customer": {"vat_rate": 20, "timezone": "Europe/Paris"}})
    page = signed_in.get("/console/customers/acme").body.decode()
    assert "20% (the customer&#39;s own)" in page and "Europe/Paris (the customer&#39;s own)" in page
    assert signed_in.get("/console/customers/nobody").status_code == 404


def lambda_event(method: str, stage: str, path: str, headers: dict, body: str | None = None) -> dict:
    """What API Gateway hands Lambda for a request under a stage: the stage is in the context's path only."""
    return {"resource": path, "path": path, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "body": body, "isBase64Encoded": False,
            "requestContext": {"httpMethod": method, "resourcePath": path, "path": f"/{stage}{path}",
                               "stage": stage}}


def test_links_and_the_cookie_keep_the_stage_prefix(tenant, clock):
    page = app(lambda_event("GET", "dev", "/console/sign-in", {"host": "abc.execute-api.aws"}), None)
    assert 'action="/dev/console/sign-in"' in page["body"] and 'href="/dev/console/static/' in page["body"]
    answer = app(lambda_event("POST", "dev", "/console/sign-in", {
        "host": "abc.execute-api.aws", "content-type": "application/x-www-form-urlencoded"},
        urlencode({"api_key": tenant.api_key})), None)
    assert answer["headers"]["Location"] == "/dev/console/customers"
    assert cookie_attributes(answer["headers"]["Set-Cookie"])["Path"] == "/dev/console"
    assert json.dumps(answer).count(tenant.api_key) == 0


CUSTOMER_FORM = {"external_id": "acme", "name": "Acme", "email": "billing@acme.example", "address_line1": "1 Main St",
                 "address_line2": "", "city": "Paris", "state": "", "zipcode": "75001", "country": "FR",
                 "legal_name": "Acme SAS", "legal_number": "123", "logo_url": "", "phone": "+33 1 23",
                 "url": "https://acme.example", "vat_rate": "20"}


def form_errors(page: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="(\w+)-error">([^<]*)</p>', page))


def test_a_new_customer_is_created_from_the_form(api, signed_in):
    assert 'name="csrf_token"' in signed_in.get("/console/new-customer").body.decode()
    response = signed_in.post("/console/customers", {**CUSTOMER_FORM, "csrf_token": signed_in.csrf_token()})
    assert (response.status_code, response.headers["Location"]) == (303, "/console/customers/acme")
    customer = api.get("/api/v1/customers/acme").json_body["customer"]
    assert (customer["name"], customer["city"], customer["country"], customer["vat_rate"],
            customer["address_line2"]) == ("Acme", "Paris", "FR", 20.0, None)


def test_a_refused_form_shows_each_error_next_to_its_field_and_writes_nothing(api, signed_in):
    token = signed_in.csrf_token()
    response = signed_in.post("/console/customers", {**CUSTOMER_FORM, "name": "", "email": "nope", "country": "France",
                                                     "vat_rate": "lots", "csrf_token": token})
    assert response.status_code == 422
    assert form_errors(response.body.decode()) == {
        "email": "This is not an email address.", "country": "Use a two-letter country code (ISO 3166), such as FR or US.",
        "vat_rate": "This value is not valid."}  # a missing name is checked once the fields are well-formed
    assert 'value="France"' in response.body.decode()  # what was typed is kept
    nameless = signed_in.post("/console/customers", {**CUSTOMER_FORM, "name": " ", "csrf_token": token})
    assert form_errors(nameless.body.decode()) == {"name": "This field is required."}
    assert signed_in.post("/console/customers", {**CUSTOMER_FORM}).status_code == 403
    assert api.get("/api/v1/customers").json_body["meta"]["total_count"] == 0
    signed_in.post("/console/customers", {**CUSTOMER_FORM, "csrf_token": token})
    taken = signed_in.post("/console/customers", {**CUSTOMER_FORM, "name": "Other", "csrf_token": token})
    assert form_errors(taken.body.decode()) == {"external_id": "Another customer already has this value."}


def test_the_same_form_edits_a_customer_and_locks_the_external_id_while_subscribed(api, signed_in):
    token = signed_in.csrf_token()
    signed_in.post("/console/customers", {**CUSTOMER_FORM, "csrf_token": token})
    page = signed_in.get("/console/customers/acme/edit").body.decode()
    assert 'value="Acme SAS"' in page and "readonly" not in page
    response = signed_in.post("/console/customers/acme/edit", {**CUSTOMER_FORM, "external_id": "acme-2",
                                                               "city": "", "csrf_token": token})
    assert response.headers["Location"] == "/console/customers/acme-2"
    assert api.get("/api/v1/customers/acme-2").json_body["customer"]["city"] is None
    create_plan(api)
    subscribe(api, external_customer_id="acme-2")
    page = signed_in.get("/console/customers/acme-2/edit").body.decode()
    assert "readonly" in page and "Locked: the customer has an active subscription." in page
    refused = signed_in.post("/console/customers/acme-2/edit", {**CUSTOMER_FORM, "csrf_token": token})
    assert form_errors(refused.body.decode()) == {
        "external_id": "It cannot change while the customer has an active subscription."}


def test_a_customer_is_deleted_after_a_confirmation_unless_subscribed(api, signed_in):
    token = signed_in.csrf_token()
    for external_id in ("acme", "globex"):
        signed_in.post("/console/customers", {**CUSTOMER_FORM, "external_id": external_id, "csrf_token": token})
    assert "Delete customer</button>" in signed_in.get("/console/customers/acme/delete").body.decode()
    assert signed_in.post("/console/customers/acme/delete", {}).status_code == 403
    response = signed_in.post("/console/customers/acme/delete", {"csrf_token": token})
    assert (response.status_code, response.headers["Location"]) == (303, "/console/customers")
    assert api.get("/api/v1/customers/acme").status_code == 404
    create_plan(api)
    subscribe(api, external_customer_id="globex")
    reason = "This customer cannot be deleted while it has an active subscription."
    page = signed_in.get("/console/customers/globex/delete").body.decode()
    assert reason in page and "Delete customer</button>" not in page
    refused = signed_in.post("/console/customers/globex/delete", {"csrf_token": token})
    assert refused.status_code == 409 and reason in refused.body.decode()
    assert api.get("/api/v1/customers/globex").status_code == 200


def test_a_session_sees_its_own_organization_only(api, other_api, signed_in):
    other_api.post("/api/v1/customers", {"customer": {"external_id": "rival", "name": "Rival"}})
    assert signed_in.get("/console/customers/rival").status_code == 404
    assert rows(signed_in.get("/console/customers").body.decode()) == []
    assert rows(signed_in.get("/console/customers?q=rival").body.decode()) == []
    assert signed_in.post("/console/customers/rival/delete", {"csrf_token": signed_in.csrf_token()}).status_code == 404
    assert other_api.get("/api/v1/customers/rival").status_code == 200


def test_a_change_that_keeps_losing_races_is_a_page_saying_so(signed_in, monkeypatch):
    class Contended:
        def create(self, *_):
            raise Contention()

    monkeypatch.setattr("chalicelib.console.customers.customer_use_cases", Contended)
    response = signed_in.post("/console/customers", {**CUSTOMER_FORM, "csrf_token": signed_in.csrf_token()})
    assert response.status_code == 503 and "try again" in response.body.decode()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_an_unexpected_failure_is_a_console_page_logged_without_its_details_shown(signed_in, monkeypatch, caplog):
    class Broken:
        def find(self, *_):
            raise RuntimeError("secret detail of a bug")

    monkeypatch.setattr("chalicelib.console.customers.customer_use_cases", Broken)
    response = signed_in.get("/console/customers/acme")
    body = response.body.decode()
    assert response.status_code == 500 and response.headers["Content-Type"].startswith("text/html")
    assert "Something went wrong" in body and "secret detail" not in body and "Traceback" not in body
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "console view failed" in caplog.text


@pytest.mark.parametrize("page", ["²", "0", "-1", "9" * 5000, "abc", "10000"])
@pytest.mark.parametrize("path", ["/console/customers", "/console/invoices", "/console/billable-metrics",
                                  "/console/plans"])
def test_a_page_number_that_is_not_one_of_1_to_9999_is_the_first_or_the_last(signed_in, path, page):
    """Never a 500: the query's `page` is read by one rule, `console/http.page_number`."""
    response = signed_in.get(f"{path}?page={page}")
    assert response.status_code == 200, (path, page)

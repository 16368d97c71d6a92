"""Every /api/v1 route, enumerated from the app at test time, called without a key, with wrong keys and
with another organization's key: nobody but the owner reads or changes an organization's data."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from builders import CUSTOMERS, METRICS, create, create_plan, standard_charge, subscribe
from invoice_fixtures import issue_credit_note, issue_invoice, store_in_advance_fee, subscription_fee
from moto_tables import Seed

from app import app
from chalicelib.api.middleware import PUBLIC_PATHS
from chalicelib.domain.test_clocks import TestClock
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import EVENTS

UNAUTHORIZED = {"status": 401, "error": "Unauthorized"}
CUSTOMER_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "customer_not_found"}
SUBSCRIPTION_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "subscription_not_found"}
METRIC_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "billable_metric_not_found"}
PLAN_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "plan_not_found"}
EVENT_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "event_not_found"}
INVOICE_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "invoice_not_found"}
CREDIT_NOTE_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "credit_note_not_found"}
FEE_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "fee_not_found"}
TEST_CLOCK_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "test_clock_not_found"}
# An id of the first tenant, with the characters that most often escape a key or a path.
SHARED_ID = "acme#1/eu %"


def api_v1_routes() -> list[tuple[str, str]]:
    return sorted((path, method) for path, entries in app.routes.items() for method in entries
                  if path.startswith("/api/v1/"))


def keyed_routes() -> list[tuple[str, str]]:
    """The /api/v1 routes that need an API key: all but the public description."""
    return [(path, method) for path, method in api_v1_routes() if path not in PUBLIC_PATHS]


def concrete_path(path: str) -> str:
    shared = quote(SHARED_ID, safe="")
    path = (path.replace("{external_id}", shared).replace("{code}", shared).replace("{transaction_id}", shared)
            .replace("{lago_id}", shared))
    return path + (f"?external_subscription_id={shared}" if path == "/api/v1/events" else "")


def shared_event() -> dict:
    return {"transaction_id": SHARED_ID, "external_subscription_id": SHARED_ID, "code": SHARED_ID,
            "timestamp": 1651240791, "properties": {"region": "eu"}}


def request_body(path: str) -> dict:
    """A body that would be valid for the route: a refusal then comes from the credentials alone."""
    resource = path.split("/")[3]
    if path == "/api/v1/events/batch":
        return {"events": [shared_event()]}
    if resource == "events":
        return {"event": shared_event()}
    if resource == "customers":
        return {"customer": {"external_id": SHARED_ID, "name": "Intruder", "city": "Elsewhere"}}
    if resource == "organizations":
        return {"organization": {"timezone": "Asia/Tokyo", "webhook_url": "https://intruder.example/hook"}}
    if resource == "billable_metrics":
        return {"billable_metric": {"name": "Intruder", "code": SHARED_ID, "aggregation_type": "count_agg"}}
    if resource == "plans":
        return {"plan": {"name": "Intruder", "code": SHARED_ID, "interval": "weekly", "amount_cents": 1,
                         "amount_currency": "USD", "pay_in_advance": True}}
    if resource == "invoices":
        return {"invoice": {"payment_status": "succeeded"}}
    if path.endswith("/advance"):
        return {"frozen_time": "2030-01-01T00:00:00Z"}
    if resource == "test_clocks":
        return {"test_clock": {"name": "Intruder", "frozen_time": "2030-01-01T00:00:00Z"}}
    if resource == "subscriptions":
        return {"subscription": {"external_customer_id": SHARED_ID, "plan_code": SHARED_ID,
                                 "external_id": SHARED_ID, "name": "Intruder"}}
    return {resource.rstrip("s"): {"name": "Intruder"}}


def seed_first_tenant(api, tenant) -> dict:
    """The first tenant's data under the shared id, one record of each kind; what it then sees."""
    create(api, CUSTOMERS, "customer", {"external_id": SHARED_ID, "name": "Acme", "email": "billing@acme.example",
                                        "city": "Paris", "country": "FR", "vat_rate": 20})
    api.put("/api/v1/organizations", {"organization": {"webhook_url": "https://acme.example/hook"}})
    metric = create(api, METRICS, "billable_metric", {"name": "Acme calls", "code": SHARED_ID,
                                                      "aggregation_type": "count_agg",
                                                      "filters": [{"key": "region", "values": ["eu"]}]})
    plan = create_plan(api, SHARED_ID, name="Acme plan", charges=[standard_charge(metric)])
    subscription = subscribe(api, external_customer_id=SHARED_ID, plan_code=SHARED_ID, external_id=SHARED_ID,
                             subscription_at="2026-01-15T00:00:00Z")
    event = api.post("/api/v1/events", {"event": shared_event()})
    assert event.status_code == 200, event.body
    # An invoice whose lago_id is the shared id, as the biller would have issued it.
    invoice = issue_invoice(tenant.organization_id, SHARED_ID, SHARED_ID,
                            [subscription_fee(subscription["lago_id"], 1000)],
                            lago_id=SHARED_ID)
    issue_credit_note(invoice, SHARED_ID, 300)
    # A pay-in-advance fee whose lago_id is the shared id, as the aggregator would have created it.
    store_in_advance_fee(tenant.organization_id, SHARED_ID, SHARED_ID, plan["charges"][0]["lago_id"], SHARED_ID)
    # A test clock whose lago_id is the shared id.
    repositories().test_clocks.create(TestClock(id=SHARED_ID, organization_id=tenant.organization_id, name="Acme",
                                                frozen_time=datetime(2026, 1, 1, tzinfo=UTC),
                                                created_at=datetime(2026, 1, 1, tzinfo=UTC)))

    before = read_all(api)
    assert before["customer"]["customer"]["external_id"] == SHARED_ID
    assert before["list"]["meta"]["total_count"] == 1
    assert before["invoice"]["invoice"]["lago_id"] == SHARED_ID
    assert before["invoices"]["meta"]["total_count"] == 1
    assert before["credit_note"]["credit_note"]["balance_amount_cents"] == 300
    assert before["credit_notes"]["meta"]["total_count"] == 1
    assert before["fee"]["fee"]["lago_id"] == SHARED_ID
    assert before["fees"]["meta"]["total_count"] == 1
    assert before["test_clock"]["test_clock"]["frozen_time"] == "2026-01-01T00:00:00Z"
    assert before["test_clocks"]["meta"]["total_count"] == 1
    return before


def read_all(api) -> dict:
    """All the first tenant can see through the API."""
    shared = quote(SHARED_ID, safe="")
    reads = {"customer": f"/api/v1/customers/{shared}", "list": "/api/v1/customers",
             "organization": "/api/v1/organizations", "events": f"/api/v1/events?external_subscription_id={shared}"}
    for plural in ("billable_metrics", "plans", "subscriptions", "events", "invoices", "credit_notes", "fees",
                   "test_clocks"):
        reads.setdefault(plural.removesuffix("s"), f"/api/v1/{plural}/{shared}")
        reads.setdefault(plural, f"/api/v1/{plural}")
    return {name: api.get(path).json_body for name, path in reads.items()}


# The first tenant's data.
FIRST_TENANT = Seed()


@pytest.fixture
def first_tenant_snapshot(api, tenant, api_clock):
    """The first tenant's data (a customer with every field set, and one record of each kind under the shared id),
    what it sees, and a function reading back all it can see."""
    return FIRST_TENANT.value(lambda: seed_first_tenant(api, tenant), tenant), lambda: read_all(api)


@pytest.fixture
def other_tenant(first_tenant_snapshot, other_tenant):
    """The other organization, created once the first tenant's data is in place (a copy put back would erase it)."""
    return other_tenant


def test_route_list_is_not_trivial():
    """The matrix below is only as good as the enumeration: it must see the routes this issue adds."""
    routes = api_v1_routes()
    assert len(routes) >= 6
    for expected in [("/api/v1/customers", "GET"), ("/api/v1/customers", "POST"),
                     ("/api/v1/customers/{external_id}", "GET"), ("/api/v1/customers/{external_id}", "PUT"),
                     ("/api/v1/customers/{external_id}", "DELETE"), ("/api/v1/organizations", "GET"),
                     ("/api/v1/organizations", "PUT")] + [
                        (path, method) for resource in ("billable_metrics", "plans")
                        for path, methods in ((f"/api/v1/{resource}", ("GET", "POST")),
                                              (f"/api/v1/{resource}/{{code}}", ("GET", "PUT", "DELETE")))
                        for method in methods] + [
                        ("/api/v1/subscriptions", "GET"), ("/api/v1/subscriptions", "POST"),
                        ("/api/v1/subscriptions/{external_id}", "GET"), ("/api/v1/subscriptions/{external_id}", "PUT"),
                        ("/api/v1/subscriptions/{external_id}", "DELETE"),
                        ("/api/v1/events", "POST"), ("/api/v1/events/batch", "POST"), ("/api/v1/events", "GET"),
                        ("/api/v1/events/{transaction_id}", "GET"),
                        ("/api/v1/invoices", "GET"), ("/api/v1/invoices/{lago_id}", "GET"),
                        ("/api/v1/invoices/{lago_id}", "PUT"), ("/api/v1/invoices/{lago_id}/void", "POST"),
                        ("/api/v1/invoices/{lago_id}/refresh", "PUT"), ("/api/v1/invoices/{lago_id}/finalize", "PUT"),
                        ("/api/v1/credit_notes", "GET"), ("/api/v1/credit_notes/{lago_id}", "GET"),
                        ("/api/v1/fees", "GET"), ("/api/v1/fees/{lago_id}", "GET"),
                        ("/api/v1/test_clocks", "GET"), ("/api/v1/test_clocks", "POST"),
                        ("/api/v1/test_clocks/{lago_id}", "GET"), ("/api/v1/test_clocks/{lago_id}", "DELETE"),
                        ("/api/v1/test_clocks/{lago_id}/advance", "POST"), ("/api/v1/openapi.json", "GET")]:
        assert expected in routes
    assert set(api_v1_routes()) - set(keyed_routes()) == {("/api/v1/openapi.json", "GET")}


def test_health_answers_without_a_key(api):
    response = api.get("/health", api_key=None)
    assert response.status_code == 200
    assert response.json_body == {"status": "ok"}
    assert response.headers["Content-Type"] == "application/json"


def test_the_description_answers_every_credential_alike(api, tenant):
    """Public: no key, a wrong key and a valid key all get the same OpenAPI document."""
    documents = [api.get("/api/v1/openapi.json", api_key=api_key, headers=headers)
                 for api_key, headers in [*WRONG_CREDENTIALS.values(), (tenant.api_key, {})]]
    assert {(response.status_code, response.headers["Content-Type"]) for response in documents} == {
        (200, "application/json")}
    assert len({response.body for response in documents}) == 1
    assert json.loads(documents[0].body)["paths"]["/api/v1/openapi.json"]["get"]["security"] == []


# Credentials that must all be refused: (api_key argument, extra headers).
WRONG_CREDENTIALS = {
    "no key": (None, {}),
    "unknown key": ("not-a-key", {}),
    "empty bearer": (None, {"Authorization": "Bearer"}),
    "three tokens": (None, {"Authorization": "Bearer not-a-key extra"}),
    "basic scheme": (None, {"Authorization": "Basic dXNlcjpwYXNz"}),
}


@pytest.mark.parametrize("path, method", keyed_routes())
def test_route_refuses_missing_or_wrong_key(api, tenant, first_tenant_snapshot, path, method):
    before, snapshot = first_tenant_snapshot
    altered = tenant.api_key[:-1] + ("A" if tenant.api_key[-1] != "A" else "B")
    credentials = {**WRONG_CREDENTIALS, "the first tenant's key altered by one character": (altered, {})}
    body = request_body(path) if method in ("POST", "PUT") else None
    for name, (api_key, headers) in credentials.items():
        response = api.request(method, concrete_path(path), body, api_key=api_key, headers=headers)
        assert (response.status_code, response.json_body) == (401, UNAUTHORIZED), name
    assert snapshot() == before  # read once: a change any refused request made would still be there


def _customer_of_other_org_only(response, first, other_tenant):
    assert response.status_code == 200, response.body
    customer = response.json_body["customer"]
    assert customer["external_id"] == SHARED_ID
    assert customer["lago_id"] != first["lago_id"]
    assert customer["name"] == "Intruder"
    assert customer["sequential_id"] == 1
    assert customer["slug"] == f"OTH-{other_tenant.organization_id[-4:].upper()}-001"


def _other_org(response, other_tenant):
    assert response.status_code == 200, response.body
    organization = response.json_body["organization"]
    assert organization["lago_id"] == other_tenant.organization_id
    assert organization["name"] == "Other Inc"


def _no_customer_of_first_tenant(response, first):
    assert response.status_code == 200, response.body
    assert response.json_body["customers"] == []
    assert response.json_body["meta"]["total_count"] == 0
    assert first["lago_id"] not in response.body.decode()


def _not_found(expected: dict):
    def check(response, first, other):
        assert (response.status_code, response.json_body) == (404, expected)
    return check


def _not_found_on(path: str, methods: str, expected: dict) -> dict:
    """The same 404 on each of the route's methods (space-separated)."""
    return {(path, method): _not_found(expected) for method in methods.split()}


def _empty_list(plural: str):
    def check(response, first, other):
        assert response.status_code == 200, response.body
        assert response.json_body[plural] == []
        assert response.json_body["meta"]["total_count"] == 0
    return check


def _own(root_key: str):
    """A create with the first tenant's code makes the other organization's own record."""
    def check(response, first, other):
        assert response.status_code == 200, response.body
        created = response.json_body[root_key]
        assert (created["code"], created["name"]) == (SHARED_ID, "Intruder")
    return check


# What another organization's key gets on each route. A new route must add its line here.
CROSS_TENANT_EXPECTATIONS = {
    ("/api/v1/customers", "GET"): lambda response, first, other: _no_customer_of_first_tenant(response, first),
    ("/api/v1/customers", "POST"): _customer_of_other_org_only,
    **_not_found_on("/api/v1/customers/{external_id}", "GET PUT DELETE", CUSTOMER_NOT_FOUND),
    ("/api/v1/organizations", "GET"): lambda response, first, other: _other_org(response, other),
    ("/api/v1/organizations", "PUT"): lambda response, first, other: _other_org(response, other),
    ("/api/v1/billable_metrics", "GET"): _empty_list("billable_metrics"),
    ("/api/v1/billable_metrics", "POST"): _own("billable_metric"),
    **_not_found_on("/api/v1/billable_metrics/{code}", "GET PUT DELETE", METRIC_NOT_FOUND),
    ("/api/v1/plans", "GET"): _empty_list("plans"),
    ("/api/v1/plans", "POST"): _own("plan"),
    **_not_found_on("/api/v1/plans/{code}", "GET PUT DELETE", PLAN_NOT_FOUND),
    # The other organization has no customer with the first tenant's external id.
    ("/api/v1/subscriptions", "POST"): _not_found(CUSTOMER_NOT_FOUND),
    ("/api/v1/subscriptions", "GET"): _empty_list("subscriptions"),
    **_not_found_on("/api/v1/subscriptions/{external_id}", "GET PUT DELETE", SUBSCRIPTION_NOT_FOUND),
    # The other organization has no subscription with the first tenant's external id: nothing is stored
    # (the snapshot's event is unchanged and `_only_the_first_tenants_event` counts the table).
    ("/api/v1/events", "POST"): _not_found(SUBSCRIPTION_NOT_FOUND),
    ("/api/v1/events/batch", "POST"): lambda response, first, other: _unknown_subscription_in_batch(response),
    ("/api/v1/events", "GET"): _empty_list("events"),
    ("/api/v1/events/{transaction_id}", "GET"): _not_found(EVENT_NOT_FOUND),
    # The other organization has no customer with the first tenant's external id: no usage is read.
    ("/api/v1/customers/{external_id}/current_usage", "GET"): _not_found(CUSTOMER_NOT_FOUND),
    # The first tenant's invoice (its lago_id is the shared id) is neither read nor listed.
    ("/api/v1/invoices", "GET"): _empty_list("invoices"),
    **_not_found_on("/api/v1/invoices/{lago_id}", "GET PUT", INVOICE_NOT_FOUND),
    ("/api/v1/invoices/{lago_id}/void", "POST"): _not_found(INVOICE_NOT_FOUND),
    ("/api/v1/invoices/{lago_id}/refresh", "PUT"): _not_found(INVOICE_NOT_FOUND),
    ("/api/v1/invoices/{lago_id}/finalize", "PUT"): _not_found(INVOICE_NOT_FOUND),
    # The first tenant's credit note (its lago_id is the shared id) is neither read nor listed.
    ("/api/v1/credit_notes", "GET"): _empty_list("credit_notes"),
    ("/api/v1/credit_notes/{lago_id}", "GET"): _not_found(CREDIT_NOTE_NOT_FOUND),
    # The first tenant's fee (its lago_id is the shared id) is neither read nor listed.
    ("/api/v1/fees", "GET"): _empty_list("fees"),
    ("/api/v1/fees/{lago_id}", "GET"): _not_found(FEE_NOT_FOUND),
    # The first tenant's clock (its lago_id is the shared id) is neither read, listed, advanced nor deleted.
    ("/api/v1/test_clocks", "GET"): _empty_list("test_clocks"),
    ("/api/v1/test_clocks", "POST"): lambda response, first, other: _own_clock(response),
    **_not_found_on("/api/v1/test_clocks/{lago_id}", "GET DELETE", TEST_CLOCK_NOT_FOUND),
    ("/api/v1/test_clocks/{lago_id}/advance", "POST"): _not_found(TEST_CLOCK_NOT_FOUND),
    # Public: the same description for every organization, naming none.
    ("/api/v1/openapi.json", "GET"): lambda response, first, other: _the_description(response, first, other),
}


def _the_description(response, first, other_tenant):
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["openapi"] == "3.1.0"
    assert first["lago_id"] not in response.body.decode() and other_tenant.organization_id not in response.body.decode()


def _own_clock(response):
    assert response.status_code == 200, response.body
    created = response.json_body["test_clock"]
    assert (created["name"], created["frozen_time"], created["customers_count"]) == (
        "Intruder", "2030-01-01T00:00:00Z", 0)


def _unknown_subscription_in_batch(response):
    assert response.status_code == 422
    assert response.json_body["error_details"] == {"0": {"external_subscription_id": ["subscription_not_found"]}}


def _only_the_first_tenants_event(dynamodb, tenant) -> None:
    items = dynamodb.scan(TableName=EVENTS.name)["Items"]
    assert [item["organization_id"]["S"] for item in items] == [tenant.organization_id]


@pytest.mark.parametrize("path, method", api_v1_routes())
def test_route_with_another_organizations_key_concerns_only_that_organization(
        api, other_api, tenant, other_tenant, first_tenant_snapshot, dynamodb, path, method):
    before, snapshot = first_tenant_snapshot
    assert (path, method) in CROSS_TENANT_EXPECTATIONS, f"no cross-tenant expectation for {method} {path}"
    body = request_body(path) if method in ("POST", "PUT") else None
    response = other_api.request(method, concrete_path(path), body)
    CROSS_TENANT_EXPECTATIONS[(path, method)](response, before["customer"]["customer"], other_tenant)
    assert snapshot() == before
    _only_the_first_tenants_event(dynamodb, tenant)


def test_organization_update_with_another_key_changes_only_that_organization(api, other_api,
                                                                            first_tenant_snapshot):
    before, snapshot = first_tenant_snapshot
    response = other_api.put("/api/v1/organizations", request_body("/api/v1/organizations"))
    assert response.status_code == 200
    assert response.json_body["organization"]["timezone"] == "Asia/Tokyo"
    assert other_api.get("/api/v1/organizations").json_body["organization"]["timezone"] == "Asia/Tokyo"
    assert snapshot() == before
    assert before["organization"]["organization"]["timezone"] == "UTC"


@pytest.mark.parametrize("path, method", api_v1_routes())
def test_route_answers_garbage_in_lagos_shape_never_5xx(api, path, method):
    """With a valid key, an unknown id and a body that is not JSON, every route answers a Lago-shaped
    4xx (or ignores the body), never a 5xx."""
    response = api.request(method, path.replace("{external_id}", "unknown").replace("{code}", "unknown")
                           .replace("{transaction_id}", "unknown").replace("{lago_id}", "unknown"),
                           raw=b"{not json")
    assert response.status_code < 500, response.body
    body = json.loads(response.body)
    if response.status_code >= 400:
        assert body["status"] == response.status_code
        assert isinstance(body["error"], str)

"""Every /api/v1 route, enumerated from the app at test time, called without a key, with wrong keys and
with another organization's key: nobody but the owner reads or changes an organization's data."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from app import app

UNAUTHORIZED = {"status": 401, "error": "Unauthorized"}
CUSTOMER_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "customer_not_found"}
# An id of the first tenant, with the characters that most often escape a key or a path.
SHARED_ID = "acme#1/eu %"


def api_v1_routes() -> list[tuple[str, str]]:
    return sorted((path, method) for path, entries in app.routes.items() for method in entries
                  if path.startswith("/api/v1/"))


def concrete_path(path: str) -> str:
    return path.replace("{external_id}", quote(SHARED_ID, safe=""))


def request_body(path: str) -> dict:
    """A body that would be valid for the route: a refusal then comes from the credentials alone."""
    resource = path.split("/")[3]
    if resource == "customers":
        return {"customer": {"external_id": SHARED_ID, "name": "Intruder", "city": "Elsewhere"}}
    if resource == "organizations":
        return {"organization": {"timezone": "Asia/Tokyo", "webhook_url": "https://intruder.example/hook"}}
    return {resource.rstrip("s"): {"name": "Intruder"}}


@pytest.fixture
def first_tenant_snapshot(api):
    """The first tenant's customer (with every field set), and a function reading back all it can see."""
    created = api.post("/api/v1/customers", {"customer": {
        "external_id": SHARED_ID, "name": "Acme", "email": "billing@acme.example", "city": "Paris",
        "country": "FR", "vat_rate": 20}})
    assert created.status_code == 200, created.body
    api.put("/api/v1/organizations", {"organization": {"webhook_url": "https://acme.example/hook"}})

    def snapshot() -> dict:
        return {"customer": api.get(f"/api/v1/customers/{quote(SHARED_ID, safe='')}").json_body,
                "list": api.get("/api/v1/customers").json_body,
                "organization": api.get("/api/v1/organizations").json_body}

    before = snapshot()
    assert before["customer"]["customer"]["external_id"] == SHARED_ID
    assert before["list"]["meta"]["total_count"] == 1
    return before, snapshot


def test_route_list_is_not_trivial():
    """The matrix below is only as good as the enumeration: it must see the routes this issue adds."""
    routes = api_v1_routes()
    assert len(routes) >= 6
    for expected in [("/api/v1/customers", "GET"), ("/api/v1/customers", "POST"),
                     ("/api/v1/customers/{external_id}", "GET"), ("/api/v1/customers/{external_id}", "PUT"),
                     ("/api/v1/customers/{external_id}", "DELETE"), ("/api/v1/organizations", "GET"),
                     ("/api/v1/organizations", "PUT")]:
        assert expected in routes


def test_health_answers_without_a_key(api):
    response = api.get("/health", api_key=None)
    assert response.status_code == 200
    assert response.json_body == {"status": "ok"}


# Credentials that must all be refused: (api_key argument, extra headers).
WRONG_CREDENTIALS = {
    "no key": (None, {}),
    "unknown key": ("not-a-key", {}),
    "empty bearer": (None, {"Authorization": "Bearer"}),
    "three tokens": (None, {"Authorization": "Bearer not-a-key extra"}),
    "basic scheme": (None, {"Authorization": "Basic dXNlcjpwYXNz"}),
}


@pytest.mark.parametrize("path, method", api_v1_routes())
def test_route_refuses_missing_or_wrong_key(api, tenant, first_tenant_snapshot, path, method):
    before, snapshot = first_tenant_snapshot
    altered = tenant.api_key[:-1] + ("A" if tenant.api_key[-1] != "A" else "B")
    credentials = {**WRONG_CREDENTIALS, "the first tenant's key altered by one character": (altered, {})}
    body = request_body(path) if method in ("POST", "PUT") else None
    for name, (api_key, headers) in credentials.items():
        response = api.request(method, concrete_path(path), body, api_key=api_key, headers=headers)
        assert (response.status_code, response.json_body) == (401, UNAUTHORIZED), name
        assert snapshot() == before, name


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


def _customer_not_found(response):
    assert response.status_code == 404
    assert response.json_body == CUSTOMER_NOT_FOUND


# What another organization's key gets on each route. A new route must add its line here.
CROSS_TENANT_EXPECTATIONS = {
    ("/api/v1/customers", "GET"): lambda response, first, other: _no_customer_of_first_tenant(response, first),
    ("/api/v1/customers", "POST"): _customer_of_other_org_only,
    ("/api/v1/customers/{external_id}", "GET"): lambda response, first, other: _customer_not_found(response),
    ("/api/v1/customers/{external_id}", "PUT"): lambda response, first, other: _customer_not_found(response),
    ("/api/v1/customers/{external_id}", "DELETE"): lambda response, first, other: _customer_not_found(response),
    ("/api/v1/organizations", "GET"): lambda response, first, other: _other_org(response, other),
    ("/api/v1/organizations", "PUT"): lambda response, first, other: _other_org(response, other),
}


@pytest.mark.parametrize("path, method", api_v1_routes())
def test_route_with_another_organizations_key_concerns_only_that_organization(
        api, other_api, other_tenant, first_tenant_snapshot, path, method):
    before, snapshot = first_tenant_snapshot
    assert (path, method) in CROSS_TENANT_EXPECTATIONS, f"no cross-tenant expectation for {method} {path}"
    body = request_body(path) if method in ("POST", "PUT") else None
    response = other_api.request(method, concrete_path(path), body)
    CROSS_TENANT_EXPECTATIONS[(path, method)](response, before["customer"]["customer"], other_tenant)
    assert snapshot() == before


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
    response = api.request(method, path.replace("{external_id}", "unknown"), raw=b"{not json")
    assert response.status_code < 500, response.body
    body = json.loads(response.body)
    if response.status_code >= 400:
        assert body["status"] == response.status_code
        assert isinstance(body["error"], str)

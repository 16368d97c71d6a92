"""The local stack, started as `make run` starts it, driven over real HTTP by Lago's official Python client
(and by plain httpx where the client cannot go: vat_rate, percent-encoded ids, unknown routes)."""
from __future__ import annotations

import json
import socket
import uuid
from math import ceil
from urllib.parse import quote

import httpx
import pytest
from lago_catalog import unique
from lago_python_client.client import Client
from lago_python_client.exceptions import LagoApiError
from lago_python_client.models import Customer

pytestmark = pytest.mark.e2e

# Every seed field the client's Customer model carries (vat_rate is not among them: see lago-api.md §9).
SEED_FIELDS = {
    "name": "Acme Rockets",
    "address_line1": "1 Rue de la Paix",
    "address_line2": "Bâtiment B",
    "city": "Paris",
    "state": "Île-de-France",
    "zipcode": "75002",
    "country": "FR",
    "email": "billing@acme.test",
    "legal_name": "Acme Rockets SAS",
    "legal_number": "FR12345678901",
    "logo_url": "https://acme.test/logo.png",
    "phone": "+33 1 23 45 67 89",
    "url": "https://acme.test",
    "currency": "EUR",
    "timezone": "Europe/Paris",
}
CHANGED_FIELDS = {"name": "Acme Rockets Europe", "city": "Lyon", "zipcode": "69002", "email": "invoices@acme.test",
                  "timezone": "Europe/Berlin", "phone": "+33 4 00 00 00 00"}


def assert_lago_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and isinstance(body["error"], str) and body["error"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_seed_fields(customer, expected: dict) -> None:
    for name, value in expected.items():
        assert getattr(customer, name) == value, name


def test_health_answers_without_a_key(stack):
    response = httpx.get(f"{stack.api_url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_customer_lifecycle_through_the_official_client(client, http):
    external_id = unique("cust")

    created = client.customers.create(Customer(external_id=external_id, **SEED_FIELDS))
    assert created.external_id == external_id
    assert_seed_fields(created, SEED_FIELDS)
    assert created.applicable_timezone == "Europe/Paris"
    assert created.created_at.endswith("Z") and created.updated_at.endswith("Z")
    assert created.taxes.__root__ == []
    lago_id = created.lago_id

    found = client.customers.find(external_id)
    assert found.lago_id == lago_id
    assert_seed_fields(found, SEED_FIELDS)

    page = client.customers.find_all({"page": 1, "per_page": 20})
    listed = {customer.external_id: customer for customer in page["customers"]}
    assert listed[external_id].lago_id == lago_id
    meta = page["meta"]
    assert meta["current_page"] == 1 and meta["prev_page"] is None
    assert meta["total_count"] >= 1
    assert meta["total_pages"] == ceil(meta["total_count"] / 20)
    assert meta["next_page"] == (2 if meta["total_pages"] > 1 else None)
    assert len(page["customers"]) == min(20, meta["total_count"])

    # The client has no customers.update: create again with the same external_id is Lago's upsert.
    assert not hasattr(client.customers, "update")
    updated = client.customers.create(Customer(external_id=external_id, **CHANGED_FIELDS))
    assert updated.lago_id == lago_id
    assert_seed_fields(updated, {**SEED_FIELDS, **CHANGED_FIELDS})  # absent fields keep their values
    assert updated.applicable_timezone == "Europe/Berlin"
    assert_seed_fields(client.customers.find(external_id), {**SEED_FIELDS, **CHANGED_FIELDS})

    # vat_rate is not in the client's models: set it over plain HTTP, read it back through both.
    response = http.post("/api/v1/customers", json={"customer": {"external_id": external_id, "vat_rate": 19.5}})
    assert response.status_code == 200, response.text
    assert response.json()["customer"]["vat_rate"] == 19.5
    with_vat = client.customers.find(external_id)
    assert [tax.rate for tax in with_vat.taxes.__root__] == [19.5]
    assert with_vat.name == CHANGED_FIELDS["name"]  # the vat-only upsert kept everything else
    fetched = http.get(f"/api/v1/customers/{quote(external_id, safe='')}").json()["customer"]
    assert fetched["vat_rate"] == 19.5
    assert [tax["rate"] for tax in fetched["taxes"]] == [19.5]

    deleted = client.customers.destroy(external_id)
    assert deleted.lago_id == lago_id and deleted.external_id == external_id
    with pytest.raises(LagoApiError) as missing:
        client.customers.find(external_id)
    assert missing.value.status_code == 404
    assert missing.value.response["code"] == "customer_not_found"


def test_wrong_key_is_401_without_a_code(stack):
    stranger = Client(api_key="not-a-key-of-anyone", api_url=stack.api_url)
    with pytest.raises(LagoApiError) as refused:
        stranger.customers.find_all({"page": 1, "per_page": 20})
    assert refused.value.status_code == 401
    assert refused.value.response == {"status": 401, "error": "Unauthorized"}
    with pytest.raises(LagoApiError) as refused_create:
        stranger.customers.create(Customer(external_id=unique("nope"), name="Nope"))
    assert refused_create.value.status_code == 401
    assert "code" not in refused_create.value.response


def test_unknown_customer_is_404_customer_not_found(client):
    with pytest.raises(LagoApiError) as missing:
        client.customers.find(unique("missing"))
    assert missing.value.status_code == 404
    assert missing.value.response["code"] == "customer_not_found"
    with pytest.raises(LagoApiError) as missing_delete:
        client.customers.destroy(unique("missing"))
    assert missing_delete.value.status_code == 404
    assert missing_delete.value.response["code"] == "customer_not_found"


@pytest.mark.parametrize("field, value", [("email", "not-an-email"), ("country", "XX")])
def test_invalid_field_is_422_with_error_details(client, http, field, value):
    external_id = unique("invalid")
    with pytest.raises(LagoApiError) as invalid:
        client.customers.create(Customer(external_id=external_id, name="Invalid", **{field: value}))
    assert invalid.value.status_code == 422
    assert invalid.value.response["code"] == "validation_errors"
    details = invalid.value.response["error_details"][field]
    assert details and all(isinstance(code, str) for code in details)

    body = assert_lago_error(http.post("/api/v1/customers",
                                       json={"customer": {"external_id": external_id, field: value}}),
                             422, "validation_errors")
    assert field in body["error_details"]
    # Nothing was stored.
    assert_lago_error(http.get(f"/api/v1/customers/{external_id}"), 404, "customer_not_found")


@pytest.mark.parametrize("key", [None, "not-a-key", "valid"])
@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/customers/a/b/c", "/nope", "/api/v2/customers"])
def test_unknown_route_is_lago_404(stack, api_key, key, path):
    headers = {} if key is None else {"Authorization": f"Bearer {api_key if key == 'valid' else key}"}
    response = httpx.get(f"{stack.api_url}{path}", headers=headers, timeout=10)
    assert_lago_error(response, 404, "resource_not_found")
    assert response.json() == {"status": 404, "error": "Not Found", "code": "resource_not_found"}


@pytest.mark.parametrize("method, path", [("PATCH", "/api/v1/customers"), ("DELETE", "/api/v1/customers"),
                                          ("PATCH", "/api/v1/customers/some-id"), ("POST", "/health"),
                                          ("DELETE", "/api/v1/organizations")])
def test_wrong_method_on_a_known_path_is_lago_shaped(http, method, path):
    response = http.request(method, path, content=b"{}")
    assert 400 <= response.status_code < 500
    assert_lago_error(response, response.status_code)


def test_hostile_external_id_round_trips_percent_encoded(http):
    external_id = f"team/ops#1 é 日本 {uuid.uuid4().hex[:6]}"
    encoded = quote(external_id, safe="")
    created = http.post("/api/v1/customers", json={"customer": {"external_id": external_id, "name": "Hostile"}})
    assert created.status_code == 200, created.text
    lago_id = created.json()["customer"]["lago_id"]

    fetched = http.get(f"/api/v1/customers/{encoded}")
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["customer"]["external_id"] == external_id
    assert fetched.json()["customer"]["lago_id"] == lago_id

    # The raw prefix before `/` names nothing: ids are decoded once, per path segment.
    assert_lago_error(http.get(f"/api/v1/customers/{quote('team', safe='')}"), 404, "customer_not_found")

    deleted = http.delete(f"/api/v1/customers/{encoded}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["customer"]["external_id"] == external_id
    assert_lago_error(http.get(f"/api/v1/customers/{encoded}"), 404, "customer_not_found")


def _raw_exchange(stack, request: bytes) -> bytes:
    """What the stack writes back to `request` on one connection, until it closes it."""
    host, port = stack.api_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("verb", ["TRACE", "CONNECT", "FOO"])
def test_a_verb_api_gateway_has_no_method_for_gets_one_well_formed_lago_404(stack, verb):
    """Issue 15: no Python 501 page, and exactly one status line, also when the request carries a body."""
    received = _raw_exchange(stack, (f"{verb} /api/v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                                     "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}").encode())
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404 ") and received.count(b"HTTP/1.1") == 1, received
    assert json.loads(body) == {"status": 404, "error": "Not Found", "code": "resource_not_found"}

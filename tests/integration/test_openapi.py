"""`GET /api/v1/openapi.json`: a valid OpenAPI 3.1 document describing exactly the app's routes, whose every
operation answers a documented status, and whose response schemas the real answers match."""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import jsonschema
import pytest
from described_records import (
    CREDIT_NOTE,
    CUSTOMER,
    FEE,
    PLAN,
    SUBSCRIPTION,
    TRANSACTION,
    create_described_records,
)
from openapi_spec_validator import validate

from app import app
from chalicelib.api.openapi.document import (
    DescriptionMismatch,
    api_routes,
    check_every_route_described,
    openapi_document,
)


@pytest.fixture
def document(chalice_http) -> dict:
    """The description as served, fetched without an API key."""
    response = chalice_http.request("GET", "/api/v1/openapi.json", headers={})
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.body)


def _operations(document: dict) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in document["paths"].items() for method in item}


def test_the_description_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"] == {"bearerAuth": {"type": "http", "scheme": "bearer"}}


def test_the_description_lists_exactly_the_apps_routes_but_the_consoles_pages(document):
    routes = {(path, method) for path, entries in app.routes.items() for method in entries}
    assert _operations(document) == api_routes(app.routes)
    assert routes - api_routes(app.routes) == {(path, method) for path, method in routes
                                               if path.split("/")[1] == "console"} != set()
    assert ("/api/v1/customers/{external_id}/current_usage", "GET") in routes


def test_a_route_without_description_or_a_description_without_route_stops_the_build():
    extra_route = {**app.routes, "/api/v1/wallets": {"GET": object()}}
    with pytest.raises(DescriptionMismatch, match=r"routes without a description: \[\('/api/v1/wallets', 'GET'\)\]"):
        check_every_route_described(extra_route)
    missing_route = {path: entries for path, entries in app.routes.items() if path != "/api/v1/fees"}
    with pytest.raises(DescriptionMismatch, match=r"descriptions without a route: \[\('/api/v1/fees', 'GET'\)\]"):
        openapi_document(missing_route)


def test_only_the_description_and_health_are_public(document):
    public = {(path, method.upper()) for path, item in document["paths"].items()
              for method, operation in item.items() if operation.get("security") == []}
    assert public == {("/api/v1/openapi.json", "GET"), ("/health", "GET")}
    assert document["security"] == [{"bearerAuth": []}]


def test_the_two_statuses_lago_does_not_document_are_listed(document):
    """Issue 15, item 6: `issuing_date_from=null` is 422 `invalid_date`; a voided invoice's PUT is 405."""
    listing = document["paths"]["/api/v1/invoices"]["get"]["responses"]["422"]["description"]
    assert "`null`" in listing and "`invalid_date`" in listing
    update = document["paths"]["/api/v1/invoices/{lago_id}"]["put"]["responses"]["405"]
    assert "`invoice_voided`" in update["description"]
    assert update["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ApiErrorNotAllowed"}


def test_the_two_statuses_lago_does_not_document_are_answered(api, tenant, document):
    records = create_described_records(api, tenant)
    null_date = api.get("/api/v1/invoices?issuing_date_from=null")
    assert (null_date.status_code, null_date.json_body) == (422, {
        "status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
        "error_details": {"issuing_date_from": ["invalid_date"]}})
    assert api.post(f"/api/v1/invoices/{records.invoice_id}/void").status_code == 200
    voided = api.put(f"/api/v1/invoices/{records.invoice_id}", {"invoice": {"payment_status": "succeeded"}})
    assert (voided.status_code, voided.json_body) == (405, {"status": 405, "error": "Method Not Allowed",
                                                            "code": "invoice_voided"})
    _assert_described(document, "/api/v1/invoices", "get", null_date)
    _assert_described(document, "/api/v1/invoices/{lago_id}", "put", voided)


def _assert_described(document: dict, path: str, method: str, response) -> None:
    """The answer's status is one the operation lists, and its body matches that status's schema."""
    responses = document["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, f"{method.upper()} {path} answered {response.status_code}"
    schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.validate(json.loads(response.body), {**schema, "components": document["components"]},
                        cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())


def _example_path(path: str, records) -> str:
    """The route's path naming the described records."""
    return re.sub(r"{\w+}", quote(records.id_in(path) or "", safe=""), path)


def test_every_operation_answers_a_documented_status_with_its_schema(api, tenant, document):
    """Each operation called once with a valid key on the described records (a body only where the operation takes
    one: an empty object, so the refusal is the operation's own)."""
    records = create_described_records(api, tenant)
    answered = {}
    # Reads before writes, and deletes last, so that each read finds the records.
    order = {"get": 0, "post": 1, "put": 1, "delete": 2}
    calls = sorted(((path, method) for path, item in document["paths"].items() for method in item),
                   key=lambda call: (order[call[1]], call[0]))
    for path, method in calls:
        operation = document["paths"][path][method]
        query = "?external_subscription_id=" + SUBSCRIPTION if path == "/api/v1/events" else ""
        body = {} if "requestBody" in operation else None
        response = api.request(method.upper(), _example_path(path, records) + query, body)
        _assert_described(document, path, method, response)
        answered[(path, method.upper())] = response.status_code
    assert set(answered) == _operations(document)
    reads = {call: status for call, status in answered.items() if call[1] == "GET"}
    assert set(reads.values()) == {200}, reads


def test_representative_answers_match_their_response_schemas(api, tenant, document):
    records = create_described_records(api, tenant)
    calls = [("/api/v1/customers/{external_id}", f"/api/v1/customers/{CUSTOMER}"),
             ("/api/v1/plans/{code}", f"/api/v1/plans/{PLAN}"),
             ("/api/v1/subscriptions/{external_id}", f"/api/v1/subscriptions/{SUBSCRIPTION}"),
             ("/api/v1/events/{transaction_id}", f"/api/v1/events/{TRANSACTION}"),
             ("/api/v1/customers/{external_id}/current_usage", f"/api/v1/customers/{CUSTOMER}/current_usage"),
             ("/api/v1/invoices/{lago_id}", f"/api/v1/invoices/{records.invoice_id}"),
             ("/api/v1/credit_notes/{lago_id}", f"/api/v1/credit_notes/{CREDIT_NOTE}"),
             ("/api/v1/fees/{lago_id}", f"/api/v1/fees/{FEE}")]
    for path, concrete in calls:
        response = api.get(concrete)
        assert response.status_code == 200, (concrete, response.body)
        _assert_described(document, path, "get", response)
    invoice = api.get(f"/api/v1/invoices/{records.invoice_id}").json_body["invoice"]
    assert (invoice["taxes_amount_cents"], invoice["fees"][1]["item"]["filter_invoice_display_name"]) == (245, "Europe")
    usage = api.get(f"/api/v1/customers/{CUSTOMER}/current_usage").json_body["customer_usage"]
    assert [bucket["invoice_display_name"] for bucket in usage["charges_usage"][0]["filters"]] == ["Europe", None]


def test_an_answer_off_its_schema_fails_the_check(api, tenant, document):
    """The schemas are strict enough to catch a drift: a customer without `lago_id` or with a float amount fails."""
    create_described_records(api, tenant)
    response = api.get(f"/api/v1/customers/{CUSTOMER}")
    body = json.loads(response.body)
    del body["customer"]["lago_id"]
    schema = {"$ref": "#/components/schemas/Customer", "components": document["components"]}
    with pytest.raises(jsonschema.ValidationError, match="'lago_id' is a required property"):
        jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
    invoice = api.get("/api/v1/invoices").json_body
    invoice["invoices"][0]["total_amount_cents"] = 12.5
    with pytest.raises(jsonschema.ValidationError, match="12.5 is not of type 'integer'"):
        jsonschema.validate(invoice, {"$ref": "#/components/schemas/InvoicesPaginated",
                                      "components": document["components"]}, cls=jsonschema.Draft202012Validator)


def test_the_request_schemas_list_the_closed_sets_the_service_validates(document):
    """Currencies, countries and timezones as enums built from the validators' own sources; required fields."""
    schemas = document["components"]["schemas"]
    customer = schemas["CustomerInputObject"]["properties"]
    currencies, countries, timezones = (set(customer[name]["anyOf"][0]["enum"])
                                        for name in ("currency", "country", "timezone"))
    assert len(currencies) == 165 and {"EUR", "JPY", "KWD"} <= currencies and not {"XAU", "XXX"} & currencies
    assert len(countries) == 250 and {"FR", "US"} <= countries
    assert len(timezones) == 135 and "Europe/Kyiv" in timezones and "Europe/Kiev" not in timezones
    assert schemas["PlanInputObject"]["required"] == ["name", "code", "interval", "amount_cents", "amount_currency",
                                                      "pay_in_advance"]
    assert schemas["PlanUpdateInputObject"]["properties"]["name"] == {
        "maxLength": 255, "minLength": 1, "pattern": schemas["PlanUpdateInputObject"]["properties"]["code"]["pattern"],
        "title": "Name", "type": "string"}
    assert schemas["PlanUpdateInputObject"]["minProperties"] == 1

"""`GET` (extension) and `PUT /api/v1/organizations` as Lago shapes them."""
from __future__ import annotations

import re

import pytest

ORGANIZATIONS = "/api/v1/organizations"
TIME_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def put(api, **fields):
    return api.put(ORGANIZATIONS, {"organization": fields})


def invalid(field: str, code: str) -> dict:
    return {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
            "error_details": {field: [code]}}


def test_get_returns_the_organization_with_lagos_required_fields(api, tenant):
    response = api.get(ORGANIZATIONS)
    assert response.status_code == 200
    organization = response.json_body["organization"]
    assert organization["lago_id"] == tenant.organization_id
    assert organization["name"] == "Lago Corp"
    assert TIME_Z.match(organization["created_at"])
    assert organization["document_numbering"] == "per_customer"
    assert organization["document_number_prefix"] == "LAG-" + tenant.organization_id[-4:].upper()
    assert organization["email_settings"] == []
    assert isinstance(organization["billing_configuration"], dict)
    assert organization["billing_configuration"]["invoice_grace_period"] == 0
    assert (organization["default_currency"], organization["timezone"], organization["webhook_url"]) == (
        "USD", "UTC", None)
    assert organization["vat_rate"] == 0
    assert organization["taxes"] == []
    assert re.search(r'"vat_rate": ?0[,}]', response.body.decode())


def test_put_changes_are_reflected_by_get(api, tenant):
    changes = {"webhook_url": "https://acme.example/webhooks", "default_currency": "EUR",
               "timezone": "Europe/Paris", "vat_rate": 20, "document_number_prefix": "acme-fr",
               "address_line1": "1 rue de la Paix", "address_line2": "Bât. B", "city": "Paris",
               "state": "Île-de-France", "zipcode": "75002", "country": "FR", "email": "billing@acme.example",
               "legal_name": "Acme SAS", "legal_number": "123 456 789", "net_payment_term": 30}
    response = put(api, **changes)
    assert response.status_code == 200
    organization = response.json_body["organization"]
    expected = {**changes, "document_number_prefix": "ACME-FR"}
    for name, value in expected.items():
        assert organization[name] == value, name
    assert organization["webhook_urls"] == ["https://acme.example/webhooks"]
    assert organization["billing_configuration"]["vat_rate"] == 20
    [tax] = organization["taxes"]
    assert (tax["rate"], tax["applied_to_organization"]) == (20, True)
    assert re.search(r'"vat_rate": ?20[,}]', response.body.decode())
    assert organization["lago_id"] == tenant.organization_id
    assert organization["name"] == "Lago Corp"
    assert api.get(ORGANIZATIONS).json_body == {"organization": organization}


def test_put_keeps_absent_fields_and_null_clears_optional_ones(api):
    put(api, webhook_url="https://acme.example/hook", city="Paris", timezone="Europe/Paris")
    organization = put(api, city=None).json_body["organization"]
    assert organization["city"] is None
    assert (organization["webhook_url"], organization["timezone"]) == ("https://acme.example/hook", "Europe/Paris")


def test_vat_rate_through_billing_configuration(api):
    response = api.put(ORGANIZATIONS, {"organization": {"billing_configuration": {
        "vat_rate": 5.5, "invoice_grace_period": 3, "document_locale": "fr"}}})
    assert response.status_code == 200
    organization = response.json_body["organization"]
    assert organization["vat_rate"] == 5.5
    assert organization["billing_configuration"] == {"invoice_footer": None, "invoice_grace_period": 3,
                                                     "document_locale": "fr", "vat_rate": 5.5}
    assert re.search(r'"vat_rate": ?5\.5[,}]', response.body.decode())


def test_the_organizations_rate_is_the_default_of_its_customers(api):
    put(api, vat_rate=20)
    customer = api.post("/api/v1/customers", {"customer": {"external_id": "c", "name": "C"}}).json_body["customer"]
    assert [(tax["rate"], tax["applied_to_organization"]) for tax in customer["taxes"]] == [(20, True)]


def test_a_new_prefix_names_new_customers_and_keeps_existing_slugs(api, tenant):
    before = api.post("/api/v1/customers", {"customer": {"external_id": "a", "name": "A"}}).json_body["customer"]
    put(api, document_number_prefix="acme")
    after = api.post("/api/v1/customers", {"customer": {"external_id": "b", "name": "B"}}).json_body["customer"]
    assert before["slug"] == "LAG-" + tenant.organization_id[-4:].upper() + "-001"
    assert api.get("/api/v1/customers/a").json_body["customer"]["slug"] == before["slug"]
    assert after["slug"] == "ACME-002"


def refused(field: str, code: str, *values) -> list[tuple]:
    """A case per value the API refuses in `field` with `code`: (the fields sent, the field named, the code)."""
    return [({field: value}, field, code) for value in values]


INVALID_VALUES = [
    *refused("webhook_url", "url_is_invalid", "ftp://x", "not a url", "http://exa mple.com/",
             "https://example.com/\nX-Injected: 1", "https://example.com:99999/", "https://example.com:0/",
             "https://:443/"),
    # After Mars/Olympus, IANA names Lago does not list (old aliases it renamed, zones Rails has not): refused, as
    # Lago does.
    *refused("timezone", "invalid_timezone", "Mars/Olympus", "Europe/Kiev", "Asia/Rangoon", "America/Godthab",
             "America/Havana"),
    *refused("default_currency", "value_is_invalid", "EURO"),
    *refused("vat_rate", "value_is_invalid", 101, -1, "20"),
    *refused("vat_rate", "value_is_mandatory", None),
    ({"billing_configuration": {"vat_rate": 101}}, "billing_configuration.vat_rate", "value_is_invalid"),
    *refused("document_numbering", "value_is_invalid", "per_organization"),
    *refused("document_number_prefix", "value_is_invalid", ""),
    *refused("document_number_prefix", "value_is_too_long", "ABCDEFGHIJK"),
    *refused("timezone", "value_is_mandatory", None),
    *refused("default_currency", "value_is_mandatory", None),
    *refused("country", "country_code_invalid", "XX"),
    *refused("email", "invalid_email_format", "nope"),
    *refused("net_payment_term", "value_is_invalid", -1),
]


@pytest.mark.parametrize("fields, field, code", INVALID_VALUES, ids=lambda value: str(value) if not isinstance(value, dict) else ",".join(value))
def test_invalid_values_are_refused_naming_the_field(api, fields, field, code):
    before = api.get(ORGANIZATIONS).json_body
    response = put(api, **fields, city="Changed")
    assert response.status_code == 422
    assert response.json_body == invalid(field, code)
    assert api.get(ORGANIZATIONS).json_body == before


def test_put_without_the_root_key_is_lagos_400(api):
    response = api.put(ORGANIZATIONS, {"webhook_url": "https://acme.example/hook"})
    assert response.status_code == 400
    assert response.json_body == {"status": 400,
                                  "error": "BadRequest: param is missing or the value is empty: organization"}


def test_put_with_an_unstorable_number_names_the_field(api):
    response = api.request("PUT", ORGANIZATIONS, raw=b'{"organization": {"vat_rate": 1e400}}')
    assert response.status_code == 422
    assert response.json_body == invalid("vat_rate", "value_is_invalid")


@pytest.mark.parametrize("timezone", ["Europe/Kyiv", "Asia/Yangon", "America/Nuuk", "Etc/GMT+12", "UTC"])
def test_lago_s_own_names_of_renamed_zones_are_accepted(api, timezone):
    response = put(api, timezone=timezone)
    assert response.status_code == 200, response.body
    assert response.json_body["organization"]["timezone"] == timezone


def test_the_timezone_cannot_change_while_the_organization_has_an_active_subscription(api):
    """Usage is aggregated per period cut in the timezone in force: a new one would leave the aggregated usage in
    periods current usage and the biller no longer read (found by the soak run: 0 events counted)."""
    from builders import subscribe_new_customer

    subscribe_new_customer(api)
    refused = api.put("/api/v1/organizations", {"organization": {"timezone": "Asia/Tokyo", "net_payment_term": 7}})
    assert refused.status_code == 422
    assert refused.json_body["error_details"] == {"timezone": ["organization_has_active_subscription"]}
    organization = api.get("/api/v1/organizations").json_body["organization"]
    assert (organization["timezone"], organization["net_payment_term"]) == ("UTC", 0)  # nothing half-written
    same = api.put("/api/v1/organizations", {"organization": {"timezone": "UTC", "net_payment_term": 7}})
    assert same.status_code == 200 and same.json_body["organization"]["net_payment_term"] == 7
    assert api.delete("/api/v1/subscriptions/sub").status_code == 200
    moved = api.put("/api/v1/organizations", {"organization": {"timezone": "Asia/Tokyo"}})
    assert moved.status_code == 200 and moved.json_body["organization"]["timezone"] == "Asia/Tokyo"

"""Customers through the HTTP API: Lago's shapes, upsert semantics, vat rates, slugs and sequences,
pagination, delete, rename, and the refusals while a customer has an active subscription (a real one)."""
from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
from builders import create_customer, create_plan, subscribe, subscribe_now

CUSTOMERS = "/api/v1/customers"
TIME_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CUSTOMER_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "customer_not_found"}
EMPTY_META = {"current_page": 0, "next_page": None, "prev_page": None, "total_pages": 0, "total_count": 0}

SEED_FIELDS = {
    "address_line1": "1 rue de la Paix", "address_line2": "Bât. B", "city": "Paris", "state": "Île-de-France",
    "zipcode": "75002", "country": "FR", "email": "billing@acme.example", "legal_name": "Acme Société",
    "legal_number": "123 456 789", "logo_url": "https://acme.example/logo.png", "phone": "+33 1 23 45 67 89",
    "url": "https://acme.example", "vat_rate": 20,
}


def path_of(external_id: str) -> str:
    return f"{CUSTOMERS}/{quote(external_id, safe='')}"


def slug_prefix(tenant) -> str:
    # "Lago Corp" -> LAG, then the last 4 characters of the organization id.
    return "LAG-" + tenant.organization_id[-4:].upper()


def total_count(api) -> int:
    return api.get(CUSTOMERS).json_body["meta"]["total_count"]


# ---------------------------------------------------------------------------------------------- create


def test_create_returns_every_client_required_and_seed_field(api, tenant):
    response = api.post(CUSTOMERS, {"customer": {"external_id": "cust-1", "name": "Acme SAS", **SEED_FIELDS,
                                                 "currency": "EUR", "timezone": "Europe/Paris"}})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    customer = response.json_body["customer"]

    for name in ("lago_id", "external_id", "created_at", "updated_at", "applicable_timezone"):
        assert isinstance(customer[name], str) and customer[name], name
    uuid.UUID(customer["lago_id"])
    assert customer["external_id"] == "cust-1"
    assert customer["name"] == "Acme SAS"
    for name, value in SEED_FIELDS.items():
        assert customer[name] == value, name
    assert customer["currency"] == "EUR"
    assert customer["timezone"] == "Europe/Paris"
    assert customer["applicable_timezone"] == "Europe/Paris"
    assert customer["sequential_id"] == 1
    assert customer["slug"] == f"{slug_prefix(tenant)}-001"
    assert customer["billing_configuration"]["vat_rate"] == 20
    assert TIME_Z.match(customer["created_at"]) and TIME_Z.match(customer["updated_at"])

    [tax] = customer["taxes"]
    for name in ("lago_id", "name", "code", "rate", "created_at"):
        assert tax[name] is not None, name
    uuid.UUID(tax["lago_id"])
    assert (tax["name"], tax["code"], tax["rate"], tax["applied_to_organization"]) == ("VAT 20%", "vat_20", 20, False)
    assert TIME_Z.match(tax["created_at"])

    assert api.get(path_of("cust-1")).json_body == {"customer": customer}


def test_create_normalizes_country_and_currency_codes(api):
    customer = create_customer(api, "cust-1", country="fr", currency="eur")
    assert (customer["country"], customer["currency"]) == ("FR", "EUR")


def test_numbers_go_out_as_integers_and_times_with_z(api, tenant):
    response = api.post(CUSTOMERS, {"customer": {"external_id": "cust-1", "name": "Acme", "vat_rate": 20.0}})
    text = response.body.decode()
    assert re.search(r'"sequential_id": ?1[,}]', text)
    assert re.search(r'"vat_rate": ?20[,}]', text)
    assert re.search(r'"rate": ?20[,}]', text)
    assert "20.0" not in text
    customer = response.json_body["customer"]
    assert type(customer["sequential_id"]) is int
    assert type(customer["vat_rate"]) is int
    listed = api.get(CUSTOMERS).body.decode()
    assert re.search(r'"sequential_id": ?1[,}]', listed) and re.search(r'"vat_rate": ?20[,}]', listed)
    assert "20.0" not in listed
    for stamp in re.findall(r'"(?:created_at|updated_at)": ?"([^"]*)"', text + listed):
        assert TIME_Z.match(stamp), stamp


def test_fractional_vat_rate_goes_out_exactly(api):
    response = api.post(CUSTOMERS, {"customer": {"external_id": "cust-1", "name": "Acme", "vat_rate": 5.50}})
    assert re.search(r'"vat_rate": ?5\.5[,}]', response.body.decode())
    precise = "5.5555555555555555555555555555555555555"  # 38 significant digits: DynamoDB's maximum
    response = api.request("POST", CUSTOMERS, raw=('{"customer": {"external_id": "cust-2", "name": "Acme", '
                                                   f'"vat_rate": {precise}}}}}').encode())
    assert response.status_code == 200, response.body
    assert re.search(rf'"vat_rate": ?{re.escape(precise)}[,}}]', response.body.decode())
    assert re.search(rf'"vat_rate": ?{re.escape(precise)}[,}}]', api.get(path_of("cust-2")).body.decode())

    tiny = create_customer(api, "cust-3", vat_rate=0.0000001)
    assert (tiny["taxes"][0]["name"], tiny["taxes"][0]["code"]) == ("VAT 0.0000001%", "vat_0_0000001")


# ---------------------------------------------------------------------------------------------- upsert


def test_upsert_updates_only_the_fields_sent(api):
    created = create_customer(api, "cust-1", city="Paris", email="a@acme.example", phone="+33 1", vat_rate=20)
    response = api.post(CUSTOMERS, {"customer": {"external_id": "cust-1", "city": "Lyon", "email": None}})
    assert response.status_code == 200
    updated = response.json_body["customer"]
    assert updated["city"] == "Lyon"
    assert updated["email"] is None
    assert updated["name"] == "Customer cust-1"
    assert updated["phone"] == "+33 1"
    assert updated["vat_rate"] == 20
    for name in ("lago_id", "sequential_id", "slug", "created_at"):
        assert updated[name] == created[name], name
    assert api.get(path_of("cust-1")).json_body == {"customer": updated}
    assert total_count(api) == 1


def test_vat_rate_top_level_and_in_billing_configuration(api):
    assert create_customer(api, "top", vat_rate=20)["vat_rate"] == 20
    nested = create_customer(api, "nested", billing_configuration={"vat_rate": 5.5})
    assert nested["vat_rate"] == 5.5
    assert nested["billing_configuration"]["vat_rate"] == 5.5
    # When both are sent, the top-level field (the seed's) wins.
    assert create_customer(api, "both", vat_rate=10, billing_configuration={"vat_rate": 5})["vat_rate"] == 10

    kept = api.post(CUSTOMERS, {"customer": {"external_id": "nested", "billing_configuration": {}}})
    assert kept.json_body["customer"]["vat_rate"] == 5.5
    cleared = api.post(CUSTOMERS, {"customer": {"external_id": "nested", "billing_configuration": {"vat_rate": None}}})
    assert cleared.json_body["customer"]["vat_rate"] is None
    assert cleared.json_body["customer"]["taxes"] == []


def test_customer_rate_zero_overrides_the_organizations_and_null_clears_it(api):
    assert api.put("/api/v1/organizations", {"organization": {"vat_rate": 20}}).status_code == 200

    inherits = create_customer(api, "inherits")
    assert inherits["vat_rate"] is None
    [org_tax] = inherits["taxes"]
    assert (org_tax["rate"], org_tax["code"], org_tax["applied_to_organization"]) == (20, "vat_20", True)

    response = api.post(CUSTOMERS, {"customer": {"external_id": "exempt", "name": "Exempt", "vat_rate": 0}})
    assert re.search(r'"vat_rate": ?0[,}]', response.body.decode())
    exempt = response.json_body["customer"]
    assert exempt["vat_rate"] == 0
    assert exempt["billing_configuration"]["vat_rate"] == 0
    # The customer's own 0% is its tax: shown, and not the organization's.
    [own_tax] = exempt["taxes"]
    assert (own_tax["rate"], own_tax["code"], own_tax["name"], own_tax["applied_to_organization"]) == (
        0, "vat_0", "VAT 0%", False)

    cleared = api.post(CUSTOMERS, {"customer": {"external_id": "exempt", "vat_rate": None}}).json_body["customer"]
    assert cleared["vat_rate"] is None
    assert cleared["taxes"] == [org_tax]


def test_applicable_timezone_follows_the_organization_until_the_customer_sets_one(api):
    assert create_customer(api, "cust-1")["applicable_timezone"] == "UTC"
    api.put("/api/v1/organizations", {"organization": {"timezone": "America/New_York"}})
    customer = api.get(path_of("cust-1")).json_body["customer"]
    assert (customer["timezone"], customer["applicable_timezone"]) == (None, "America/New_York")
    updated = api.post(CUSTOMERS, {"customer": {"external_id": "cust-1", "timezone": "Asia/Tokyo"}})
    assert updated.json_body["customer"]["applicable_timezone"] == "Asia/Tokyo"


# ------------------------------------------------------------------------------------- slug and sequence


def test_slugs_carry_the_organization_prefix_and_a_gapless_sequence(api, tenant):
    customers = [create_customer(api, external_id) for external_id in ("a", "b", "c")]
    assert [customer["sequential_id"] for customer in customers] == [1, 2, 3]
    assert [customer["slug"] for customer in customers] == [f"{slug_prefix(tenant)}-{n}" for n in
                                                            ("001", "002", "003")]


def test_a_deleted_customers_sequence_is_never_reused(api, tenant):
    for external_id in ("a", "b", "c"):
        create_customer(api, external_id)
    assert api.delete(path_of("c")).status_code == 200
    assert create_customer(api, "d")["sequential_id"] == 4
    assert api.delete(path_of("a")).status_code == 200
    again = create_customer(api, "a")
    assert again["sequential_id"] == 5
    assert again["slug"] == f"{slug_prefix(tenant)}-005"


def test_an_updated_customer_keeps_its_sequence(api):
    create_customer(api, "a")
    api.post(CUSTOMERS, {"customer": {"external_id": "a", "city": "Nice"}})
    assert create_customer(api, "b")["sequential_id"] == 2


# ------------------------------------------------------------------------------------------- read, list


def test_get_unknown_customer_is_404(api):
    response = api.get(path_of("nobody"))
    assert response.status_code == 404
    assert response.json_body == CUSTOMER_NOT_FOUND


def test_empty_list_has_lagos_empty_meta(api):
    response = api.get(CUSTOMERS)
    assert response.status_code == 200
    assert response.json_body == {"customers": [], "meta": EMPTY_META}


def test_list_paginates_newest_first(api):
    lago_ids = {external_id: create_customer(api, external_id)["lago_id"] for external_id in ("c1", "c2", "c3", "c4", "c5")}

    def page(number):
        body = api.get(f"{CUSTOMERS}?page={number}&per_page=2").json_body
        return [customer["external_id"] for customer in body["customers"]], body["meta"]

    assert page(1) == (["c5", "c4"], {"current_page": 1, "next_page": 2, "prev_page": None, "total_pages": 3,
                                      "total_count": 5})
    assert page(2) == (["c3", "c2"], {"current_page": 2, "next_page": 3, "prev_page": 1, "total_pages": 3,
                                      "total_count": 5})
    assert page(3) == (["c1"], {"current_page": 3, "next_page": None, "prev_page": 2, "total_pages": 3,
                                "total_count": 5})
    assert page(4) == ([], {"current_page": 4, "next_page": None, "prev_page": 3, "total_pages": 3,
                            "total_count": 5})

    everything = api.get(CUSTOMERS).json_body
    assert [customer["lago_id"] for customer in everything["customers"]] == [
        lago_ids[external_id] for external_id in ("c5", "c4", "c3", "c2", "c1")]
    assert everything["meta"] == {"current_page": 1, "next_page": None, "prev_page": None, "total_pages": 1,
                                  "total_count": 5}
    assert everything["customers"][0] == api.get(path_of("c5")).json_body["customer"]


# ----------------------------------------------------------------------------------------------- delete


def test_delete_returns_the_customer_then_it_is_gone_and_its_id_reusable(api):
    create_customer(api, "keep")
    survivor = api.get(path_of("keep")).json_body
    created = create_customer(api, "gone", email="g@example.com")
    response = api.delete(path_of("gone"))
    assert response.status_code == 200
    assert response.json_body == {"customer": created}

    assert api.get(path_of("gone")).json_body == CUSTOMER_NOT_FOUND
    assert api.get(path_of("gone")).status_code == 404
    assert total_count(api) == 1
    assert api.get(path_of("keep")).json_body == survivor

    again = api.delete(path_of("gone"))
    assert (again.status_code, again.json_body) == (404, CUSTOMER_NOT_FOUND)

    reborn = create_customer(api, "gone")
    assert reborn["lago_id"] != created["lago_id"]
    assert reborn["sequential_id"] == 3
    assert reborn["email"] is None
    assert total_count(api) == 2


def test_delete_unknown_customer_is_404(api):
    response = api.delete(path_of("nobody"))
    assert (response.status_code, response.json_body) == (404, CUSTOMER_NOT_FOUND)


def test_delete_leaves_an_empty_list_with_lagos_empty_meta(api):
    create_customer(api, "only")
    api.delete(path_of("only"))
    assert api.get(CUSTOMERS).json_body == {"customers": [], "meta": EMPTY_META}


# ------------------------------------------------------------------------------------- update and rename


def test_put_updates_the_fields_sent(api):
    created = create_customer(api, "cust-1", city="Paris", email="a@acme.example")
    response = api.put(path_of("cust-1"), {"customer": {"city": "Lyon", "external_id": "cust-1"}})
    assert response.status_code == 200
    updated = response.json_body["customer"]
    assert (updated["city"], updated["email"], updated["lago_id"]) == ("Lyon", "a@acme.example", created["lago_id"])


def test_put_unknown_customer_is_404(api):
    response = api.put(path_of("nobody"), {"customer": {"city": "Lyon"}})
    assert (response.status_code, response.json_body) == (404, CUSTOMER_NOT_FOUND)
    assert total_count(api) == 0


def test_put_with_a_new_external_id_renames(api):
    created = create_customer(api, "old#1/eu")
    response = api.put(path_of("old#1/eu"), {"customer": {"external_id": "new/1#eu", "city": "Lyon"}})
    assert response.status_code == 200
    renamed = response.json_body["customer"]
    assert (renamed["external_id"], renamed["lago_id"], renamed["city"]) == ("new/1#eu", created["lago_id"], "Lyon")
    assert renamed["sequential_id"] == created["sequential_id"]

    assert api.get(path_of("old#1/eu")).status_code == 404
    assert api.get(path_of("new/1#eu")).json_body == {"customer": renamed}
    assert total_count(api) == 1
    # The old id is free again: it names a new customer.
    fresh = create_customer(api, "old#1/eu")
    assert fresh["lago_id"] != created["lago_id"]
    assert fresh["sequential_id"] == 2


def test_renaming_onto_an_existing_external_id_is_refused(api):
    first = create_customer(api, "first")
    second = create_customer(api, "second")
    response = api.put(path_of("first"), {"customer": {"external_id": "second", "city": "Lyon"}})
    assert response.status_code == 422
    assert response.json_body == {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
                                  "error_details": {"external_id": ["value_already_exist"]}}
    assert api.get(path_of("first")).json_body == {"customer": first}
    assert api.get(path_of("second")).json_body == {"customer": second}


# ------------------------------------------------------------------------------ active subscription


SUBSCRIPTION = "/api/v1/subscriptions/subscription-1"


@pytest.fixture
def subscribed(api):
    """A customer with one active subscription (which set its currency)."""
    create_plan(api, "plan", name="Plan")
    create_customer(api, "subscribed")
    subscription = subscribe_now(api, external_customer_id="subscribed", plan_code="plan", external_id="subscription-1")
    assert subscription["status"] == "active"
    return api.get(path_of("subscribed")).json_body["customer"]


def test_delete_is_refused_while_a_subscription_is_active(api, subscribed):
    response = api.delete(path_of("subscribed"))
    assert response.status_code == 405
    assert response.json_body == {"status": 405, "error": "Method Not Allowed",
                                  "code": "customer_has_active_subscription"}
    assert api.get(path_of("subscribed")).json_body == {"customer": subscribed}
    assert total_count(api) == 1

    assert api.delete(SUBSCRIPTION).json_body["subscription"]["status"] == "terminated"
    assert api.delete(path_of("subscribed")).status_code == 200


def test_rename_is_refused_while_a_subscription_is_active(api, subscribed):
    response = api.put(path_of("subscribed"), {"customer": {"external_id": "renamed", "city": "Lyon"}})
    assert response.status_code == 422
    assert response.json_body == {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
                                  "error_details": {"external_id": ["customer_has_active_subscription"]}}
    assert api.get(path_of("subscribed")).json_body == {"customer": subscribed}
    assert api.get(path_of("renamed")).status_code == 404

    assert api.delete(SUBSCRIPTION).status_code == 200
    assert api.put(path_of("subscribed"), {"customer": {"external_id": "renamed"}}).status_code == 200
    # The subscription refers to the customer by lago_id: it shows the new external_id.
    terminated = api.get(f"{SUBSCRIPTION}?status=terminated").json_body["subscription"]
    assert terminated["external_customer_id"] == "renamed"


def test_other_updates_are_allowed_with_an_active_subscription_and_keep_it(api, subscribed):
    same_id = api.put(path_of("subscribed"), {"customer": {"external_id": "subscribed", "city": "Lyon"}})
    assert same_id.status_code == 200
    upsert = api.post(CUSTOMERS, {"customer": {"external_id": "subscribed", "email": "s@example.com"}})
    assert upsert.status_code == 200
    customer = api.get(path_of("subscribed")).json_body["customer"]
    assert (customer["city"], customer["email"]) == ("Lyon", "s@example.com")
    # The updates did not wipe the subscription out: delete is still refused.
    assert api.delete(path_of("subscribed")).status_code == 405


def test_the_timezone_in_force_cannot_change_while_the_customer_has_an_active_subscription(api):
    api.post(CUSTOMERS, {"customer": {"external_id": "cust", "name": "Acme", "timezone": "Europe/Paris"}})
    create_plan(api)
    subscribe(api)
    for refused in (api.post(CUSTOMERS, {"customer": {"external_id": "cust", "timezone": "Asia/Tokyo"}}),
                    api.put(f"{CUSTOMERS}/cust", {"customer": {"timezone": None, "name": "Renamed"}})):
        assert refused.status_code == 422
        assert refused.json_body["error_details"] == {"timezone": ["customer_has_active_subscription"]}
    customer = api.get(f"{CUSTOMERS}/cust").json_body["customer"]
    assert (customer["timezone"], customer["name"]) == ("Europe/Paris", "Acme")
    # The same timezone in force, written out or not, is no change.
    assert api.post(CUSTOMERS, {"customer": {"external_id": "cust", "timezone": "Europe/Paris",
                                             "name": "Acme SAS"}}).status_code == 200

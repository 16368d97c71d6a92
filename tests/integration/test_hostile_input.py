"""Hostile input: each case gets a Lago-shaped 4xx naming the field, and nothing is stored.
Hostile but legal ids round-trip and never collide."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from builders import given, plan_body

from chalicelib.store.tables import CONTROL, EVENTS

CUSTOMERS = "/api/v1/customers"
EXISTING = "existing"

BAD_JSON = {"status": 400, "error": "BadRequest: the body is not valid JSON"}
MISSING_ROOT = {"status": 400, "error": "BadRequest: param is missing or the value is empty: customer"}
TOO_DEEP = {"status": 400, "error": "BadRequest: the JSON body is nested too deeply"}
TOO_LARGE = {"status": 413, "error": "Request Entity Too Large"}
UNSUPPORTED = {"status": 415, "error": "Unsupported Media Type"}


def invalid(**details: str) -> dict:
    """Lago's 422 body; a keyword's double underscore stands for the dot of a nested field."""
    return {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
            "error_details": {name.replace("__", "."): [code] for name, code in details.items()}}


def customer(**fields) -> dict:
    """A valid create of `hostile-1`, with `fields` changed (a value of ... removes the field)."""
    return {"customer": given({"external_id": "hostile-1", "name": "Hostile", **fields})}


def raw_customer(fragment: str) -> bytes:
    return ('{"customer": {"external_id": "hostile-1", "name": "Hostile", ' + fragment + "}}").encode()


def nested(depth: int) -> bytes:
    return raw_customer('"metadata": ' + "[" * depth + "]" * depth)


@dataclass
class Case:
    name: str
    expected_status: int
    expected_body: dict
    body: object = None
    raw: bytes | None = None
    method: str = "POST"
    path: str = CUSTOMERS
    headers: dict = field(default_factory=dict)


CASES = [
    # The body as a whole.
    Case("malformed JSON", 400, BAD_JSON, raw=b'{"customer": {"external_id": "hostile-1", "name": "Hostile"'),
    Case("trailing garbage", 400, BAD_JSON, raw=b'{"customer": {"external_id": "hostile-1", "name": "H"}} x'),
    Case("invalid UTF-8", 400, BAD_JSON, raw=b'{"customer": {"external_id": "hostile-\xff", "name": "H"}}'),
    Case("body is an array", 400, MISSING_ROOT, body=[customer()]),
    Case("body is a string", 400, MISSING_ROOT, body="customer"),
    Case("body is a number", 400, MISSING_ROOT, body=42),
    Case("body is null", 400, MISSING_ROOT, raw=b"null"),
    Case("body is empty", 400, MISSING_ROOT, raw=b""),
    Case("missing root key", 400, MISSING_ROOT, body={"client": customer()["customer"]}),
    Case("root key null", 400, MISSING_ROOT, body={"customer": None}),
    Case("root key empty list", 400, MISSING_ROOT, body={"customer": []}),
    Case("root key a list of the object", 400, MISSING_ROOT, body={"customer": [customer()["customer"]]}),
    Case("root key a string", 400, MISSING_ROOT, body={"customer": "hostile-1"}),
    Case("root key empty object", 400, MISSING_ROOT, body={"customer": {}}),
    Case("NaN", 400, BAD_JSON, raw=raw_customer('"vat_rate": NaN')),
    Case("Infinity", 400, BAD_JSON, raw=raw_customer('"vat_rate": Infinity')),
    Case("-Infinity", 400, BAD_JSON, raw=raw_customer('"vat_rate": -Infinity')),
    Case("nesting 100 deep", 400, TOO_DEEP, raw=nested(100)),
    Case("nesting 100000 deep", 400, BAD_JSON, raw=nested(100_000)),
    Case("39 significant digits", 422, invalid(vat_rate="value_is_invalid"),
         raw=raw_customer('"vat_rate": 1.00000000000000000000000000000000000001')),
    Case("39-digit integer", 422, invalid(net_payment_term="value_is_invalid"),
         raw=raw_customer('"net_payment_term": 123456789012345678901234567890123456789')),
    Case("trailing zeros past 38 digits", 422, invalid(vat_rate="value_is_invalid"),
         raw=raw_customer('"vat_rate": 20.' + "0" * 38)),
    Case("zero with a huge exponent", 422, invalid(vat_rate="value_is_invalid"), raw=raw_customer('"vat_rate": 0e1000')),
    Case("38 digits below DynamoDB's smallest exponent", 422, invalid(vat_rate="value_is_invalid"),
         raw=raw_customer('"vat_rate": 12345678901234567890123456789012345678e-167')),
    Case("1e400", 422, invalid(vat_rate="value_is_invalid"), raw=raw_customer('"vat_rate": 1e400')),
    Case("1e-400", 422, invalid(vat_rate="value_is_invalid"), raw=raw_customer('"vat_rate": 1e-400')),
    Case("1e400 nested", 422, invalid(billing_configuration__vat_rate="value_is_invalid"),
         raw=raw_customer('"billing_configuration": {"vat_rate": 1e400}')),
    Case("body over 1 MB", 413, TOO_LARGE, body=customer(name="x" * (1024 * 1024))),
    Case("content type text/plain", 415, UNSUPPORTED, body=customer(), headers={"Content-Type": "text/plain"}),
    # external_id
    Case("missing external_id", 422, invalid(external_id="value_is_mandatory"), body=customer(external_id=...)),
    Case("null external_id", 422, invalid(external_id="value_is_mandatory"), body=customer(external_id=None)),
    Case("empty external_id", 422, invalid(external_id="value_is_mandatory"), body=customer(external_id="")),
    Case("blank external_id", 422, invalid(external_id="value_is_mandatory"), body=customer(external_id="  ")),
    Case("number external_id", 422, invalid(external_id="value_is_invalid"), body=customer(external_id=42)),
    Case("external_id of 256 chars", 422, invalid(external_id="value_is_too_long"),
         body=customer(external_id="x" * 256)),
    Case("external_id of 256 emoji", 422, invalid(external_id="value_is_too_long"),
         body=customer(external_id="\U0001F600" * 256)),
    # name
    Case("missing name on create", 422, invalid(name="value_is_mandatory"), body=customer(name=...)),
    Case("null name on create", 422, invalid(name="value_is_mandatory"), body=customer(name=None)),
    Case("empty name", 422, invalid(name="value_is_mandatory"), body=customer(name="")),
    Case("blank name", 422, invalid(name="value_is_mandatory"), body=customer(name=" \t ")),
    Case("name a number", 422, invalid(name="value_is_invalid"), body=customer(name=42)),
    Case("name a bool", 422, invalid(name="value_is_invalid"), body=customer(name=True)),
    Case("name a list", 422, invalid(name="value_is_invalid"), body=customer(name=["Acme"])),
    Case("name an object", 422, invalid(name="value_is_invalid"), body=customer(name={"first": "Acme"})),
    Case("name of 256 chars", 422, invalid(name="value_is_too_long"), body=customer(name="n" * 256)),
    # vat_rate
    Case("vat_rate -1", 422, invalid(vat_rate="value_is_invalid"), body=customer(vat_rate=-1)),
    Case("vat_rate 100.01", 422, invalid(vat_rate="value_is_invalid"), raw=raw_customer('"vat_rate": 100.01')),
    Case("vat_rate string", 422, invalid(vat_rate="value_is_invalid"), body=customer(vat_rate="20")),
    Case("vat_rate true", 422, invalid(vat_rate="value_is_invalid"), body=customer(vat_rate=True)),
    Case("vat_rate list", 422, invalid(vat_rate="value_is_invalid"), body=customer(vat_rate=[20])),
    Case("billing_configuration.vat_rate 101", 422, invalid(billing_configuration__vat_rate="value_is_invalid"),
         body=customer(billing_configuration={"vat_rate": 101})),
    # other fields
    Case("country XX", 422, invalid(country="country_code_invalid"), body=customer(country="XX")),
    Case("country alpha-3", 422, invalid(country="country_code_invalid"), body=customer(country="FRA")),
    Case("shipping country XX", 422, invalid(shipping_address__country="country_code_invalid"),
         body=customer(shipping_address={"country": "XX"})),
    Case("currency EURO", 422, invalid(currency="value_is_invalid"), body=customer(currency="EURO")),
    Case("timezone Mars/Olympus", 422, invalid(timezone="invalid_timezone"),
         body=customer(timezone="Mars/Olympus")),
    # Issue 15, case 5: IANA aliases Lago does not list (it lists Europe/Kyiv, Asia/Yangon, America/Nuuk).
    *(Case(f"timezone {zone}", 422, invalid(timezone="invalid_timezone"), body=customer(timezone=zone))
      for zone in ("Europe/Kiev", "Asia/Rangoon", "America/Godthab")),
    Case("email not-an-email", 422, invalid(email="invalid_email_format"), body=customer(email="not-an-email")),
    Case("url javascript:", 422, invalid(url="url_is_invalid"), body=customer(url="javascript:alert(1)")),
    Case("logo_url data:", 422, invalid(logo_url="url_is_invalid"),
         body=customer(logo_url="data:image/png;base64,AAAA")),
    Case("account_type admin", 422, invalid(account_type="value_is_invalid"), body=customer(account_type="admin")),
    Case("net_payment_term -1", 422, invalid(net_payment_term="value_is_invalid"),
         body=customer(net_payment_term=-1)),
    Case("net_payment_term 1.5", 422, invalid(net_payment_term="value_is_invalid"),
         raw=raw_customer('"net_payment_term": 1.5')),
    Case("two bad fields at once", 422, {**invalid(name="value_is_invalid", vat_rate="value_is_invalid")},
         body=customer(name=42, vat_rate=101)),
    # Updates of the existing customer: refused, and it keeps every value.
    Case("upsert with blank name", 422, invalid(name="value_is_mandatory"),
         body={"customer": {"external_id": EXISTING, "name": "  ", "city": "Changed"}}),
    Case("upsert with null name", 422, invalid(name="value_is_mandatory"),
         body={"customer": {"external_id": EXISTING, "name": None, "city": "Changed"}}),
    Case("upsert with vat_rate 101", 422, invalid(vat_rate="value_is_invalid"),
         body={"customer": {"external_id": EXISTING, "vat_rate": 101, "city": "Changed"}}),
    Case("PUT malformed JSON", 400, BAD_JSON, method="PUT", path=f"{CUSTOMERS}/{EXISTING}",
         raw=b'{"customer": {"city": "Changed"'),
    Case("PUT without root key", 400, MISSING_ROOT, method="PUT", path=f"{CUSTOMERS}/{EXISTING}",
         body={"city": "Changed"}),
    Case("PUT bad email", 422, invalid(email="invalid_email_format"), method="PUT",
         path=f"{CUSTOMERS}/{EXISTING}", body={"customer": {"email": "nope", "city": "Changed"}}),
    Case("PUT null name", 422, invalid(name="value_is_mandatory"), method="PUT",
         path=f"{CUSTOMERS}/{EXISTING}", body={"customer": {"name": None, "city": "Changed"}}),
    Case("PUT blank new external_id", 422, invalid(external_id="value_is_mandatory"), method="PUT",
         path=f"{CUSTOMERS}/{EXISTING}", body={"customer": {"external_id": " ", "city": "Changed"}}),
    Case("PUT 39 digits", 422, invalid(vat_rate="value_is_invalid"), method="PUT",
         path=f"{CUSTOMERS}/{EXISTING}", raw=b'{"customer": {"vat_rate": 12345678901234567890.1234567890123456789}}'),
    Case("PUT text/plain", 415, UNSUPPORTED, method="PUT", path=f"{CUSTOMERS}/{EXISTING}",
         body={"customer": {"city": "Changed"}}, headers={"Content-Type": "text/plain"}),
    # Pagination.
    Case("page=0", 422, invalid(page="value_is_invalid"), method="GET", path=f"{CUSTOMERS}?page=0"),
    Case("page=-1", 422, invalid(page="value_is_invalid"), method="GET", path=f"{CUSTOMERS}?page=-1"),
    Case("page=abc", 422, invalid(page="value_is_invalid"), method="GET", path=f"{CUSTOMERS}?page=abc"),
    Case("page=1.5", 422, invalid(page="value_is_invalid"), method="GET", path=f"{CUSTOMERS}?page=1.5"),
    Case("page=arabic one", 422, invalid(page="value_is_invalid"), method="GET",
         path=f"{CUSTOMERS}?page=%D9%A1"),
    Case("per_page=0", 422, invalid(per_page="value_is_invalid"), method="GET", path=f"{CUSTOMERS}?per_page=0"),
    Case("per_page=1000", 422, invalid(per_page="value_is_invalid"), method="GET",
         path=f"{CUSTOMERS}?per_page=1000"),
    Case("per_page=abc", 422, invalid(per_page="value_is_invalid"), method="GET",
         path=f"{CUSTOMERS}?per_page=abc"),
    Case("page=0&per_page=0", 422, invalid(page="value_is_invalid", per_page="value_is_invalid"),
         method="GET", path=f"{CUSTOMERS}?page=0&per_page=0"),
]


@pytest.fixture
def existing(api):
    response = api.post(CUSTOMERS, {"customer": {"external_id": EXISTING, "name": "Existing", "city": "Paris",
                                                 "email": "a@existing.example", "vat_rate": 20}})
    assert response.status_code == 200, response.body
    return response.json_body


def stored_items(dynamodb) -> list[dict]:
    """Every item of the control table: a refused request must not even advance the customer counter."""
    items = dynamodb.scan(TableName=CONTROL.name, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def total_count(api) -> int:
    return api.get(CUSTOMERS).json_body["meta"]["total_count"]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_request_is_refused_and_stores_nothing(api, dynamodb, existing, case):
    before = stored_items(dynamodb)
    response = api.request(case.method, case.path, case.body, raw=case.raw, headers=case.headers)
    assert response.status_code == case.expected_status, response.body[:500]
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == case.expected_body
    assert total_count(api) == 1
    assert api.get(f"{CUSTOMERS}/hostile-1").status_code == 404
    assert api.get(f"{CUSTOMERS}/{EXISTING}").json_body == existing
    assert stored_items(dynamodb) == before


EMOJI_255 = "\U0001F600" * 255
ACCEPTED_IDS = [
    EMOJI_255,
    "%H" + hashlib.sha256(EMOJI_255.encode()).hexdigest(),  # what EMOJI_255's key component hashes to
    "%H" + "0123456789abcdef" * 4,
    "x" * 255,
    "a#b", "a%23b", "a%2523b",
    "a/b", "a%2Fb", "../x",
    "a+b", "a b", "a?b=c&d",
    'with "double" quotes', "it's",
    "trailing space ", " leading space",
    "#", "%", "%%", "##",
    "COUNTER#customers", "CUSTOMER#x",
    "é", "e\u0301",  # precomposed and decomposed: two ids
    "\u0000nul",
]


@pytest.mark.parametrize("external_id", ACCEPTED_IDS, ids=range(len(ACCEPTED_IDS)))
def test_hostile_but_legal_id_round_trips(api, external_id):
    created = api.post(CUSTOMERS, {"customer": {"external_id": external_id, "name": "Legal"}})
    assert created.status_code == 200, created.body[:500]
    lago_id = created.json_body["customer"]["lago_id"]
    assert created.json_body["customer"]["external_id"] == external_id
    path = f"{CUSTOMERS}/{quote(external_id, safe='')}"

    fetched = api.get(path)
    assert fetched.status_code == 200, fetched.body[:500]
    assert fetched.json_body["customer"]["lago_id"] == lago_id
    assert fetched.json_body["customer"]["external_id"] == external_id

    again = api.post(CUSTOMERS, {"customer": {"external_id": external_id, "city": "Upserted"}})
    assert again.json_body["customer"]["lago_id"] == lago_id
    assert again.json_body["customer"]["city"] == "Upserted"

    deleted = api.delete(path)
    assert deleted.status_code == 200
    assert deleted.json_body["customer"]["lago_id"] == lago_id
    assert api.get(path).status_code == 404
    assert total_count(api) == 0


def test_hostile_ids_never_collide(api):
    lago_ids = {}
    for external_id in ACCEPTED_IDS:
        created = api.post(CUSTOMERS, {"customer": {"external_id": external_id, "name": "Legal"}})
        assert created.status_code == 200, (external_id, created.body[:300])
        lago_ids[external_id] = created.json_body["customer"]["lago_id"]
    assert len(set(lago_ids.values())) == len(ACCEPTED_IDS)
    assert total_count(api) == len(ACCEPTED_IDS)
    for external_id, lago_id in lago_ids.items():
        fetched = api.get(f"{CUSTOMERS}/{quote(external_id, safe='')}")
        assert fetched.json_body["customer"]["lago_id"] == lago_id, external_id
    sequences = sorted(customer["sequential_id"]
                       for page in (1, 2, 3)
                       for customer in api.get(f"{CUSTOMERS}?page={page}&per_page=10").json_body["customers"])
    assert sequences == list(range(1, len(ACCEPTED_IDS) + 1))


METRICS = "/api/v1/billable_metrics"
PLANS = "/api/v1/plans"


def metric(**fields) -> dict:
    return {"billable_metric": given({"name": "Hostile", "code": "hostile-1", "aggregation_type": "sum_agg",
                                      "field_name": "n", **fields})}


def plan(**fields) -> dict:
    return {"plan": plan_body("hostile-1", **{"name": "Hostile", "amount_cents": 100, **fields})}


def raw_plan(fragment: str) -> bytes:
    return ('{"plan": {"name": "H", "code": "hostile-1", "interval": "monthly", "amount_cents": 1, '
            '"amount_currency": "EUR", "pay_in_advance": false, ' + fragment + "}}").encode()


CATALOG_CASES = [
    Case("metric without root key", 400, {"status": 400, "error": "BadRequest: param is missing or the value is empty: "
                                                                   "billable_metric"},
         body=metric()["billable_metric"], path=METRICS),
    Case("metric code an object", 422, invalid(code="value_is_invalid"), body=metric(code={"$ne": ""}), path=METRICS),
    Case("metric filters a string", 422, invalid(filters="value_is_invalid"), body=metric(filters="region"),
         path=METRICS),
    Case("metric filter values of 1001", 422, invalid(filters__0__values="value_is_too_long"),
         body=metric(filters=[{"key": "k", "values": [str(n) for n in range(1001)]}]), path=METRICS),
    Case("metric rounding_precision 1e400", 422, invalid(rounding_precision="value_is_invalid"),
         raw=b'{"billable_metric": {"name": "H", "code": "hostile-1", "aggregation_type": "sum_agg", '
             b'"field_name": "n", "rounding_precision": 1e400}}', path=METRICS),
    Case("PUT used metric to a new aggregation", 422, invalid(aggregation_type="value_is_immutable"), method="PUT",
         path=f"{METRICS}/{EXISTING}", body=metric(code=..., name=..., field_name=..., aggregation_type="max_agg")),
    Case("plan without root key", 400, {"status": 400, "error": "BadRequest: param is missing or the value is empty: "
                                                                 "plan"}, body=plan()["plan"], path=PLANS),
    Case("plan amount_cents 1e30", 422, invalid(amount_cents="value_is_invalid"), raw=raw_plan('"amount_cents": 1e30'),
         path=PLANS),
    Case("plan trial_period NaN", 400, BAD_JSON, raw=raw_plan('"trial_period": NaN'), path=PLANS),
    Case("plan trial_period 1e-400", 422, invalid(trial_period="value_is_invalid"),
         raw=raw_plan('"trial_period": 1e-400'), path=PLANS),
    Case("charge properties a list", 422, invalid(charges__0__properties="value_is_invalid"),
         body=plan(charges=[{"billable_metric_code": EXISTING, "charge_model": "standard", "properties": ["1"]}]),
         path=PLANS),
    Case("charge amount 1e400", 422, invalid(charges__0__properties__amount="value_is_invalid"),
         raw=raw_plan('"charges": [{"billable_metric_code": "existing", "charge_model": "standard", '
                      '"properties": {"amount": 1e400}}]'), path=PLANS),
    Case("charge amount Infinity string", 422, invalid(charges__0__properties__amount="invalid_amount"),
         body=plan(charges=[{"billable_metric_code": EXISTING, "charge_model": "standard",
                             "properties": {"amount": "Infinity"}}]), path=PLANS),
    Case("charge filter values a string", 422, invalid(charges__0__filters__0__values__region="value_is_invalid"),
         body=plan(charges=[{"billable_metric_code": EXISTING, "charge_model": "standard",
                             "filters": [{"values": {"region": "us"}, "properties": {"amount": "1"}}]}]), path=PLANS),
    Case("charge metric id a number", 422, invalid(charges__0__billable_metric_id="value_is_invalid"),
         body=plan(charges=[{"billable_metric_id": 7, "charge_model": "standard"}]), path=PLANS),
    Case("charge metric id of 100,000 characters", 422, invalid(charges__0__billable_metric_id="value_is_too_long"),
         body=plan(charges=[{"billable_metric_id": "m" * 100_000, "charge_model": "standard"}]), path=PLANS),
    Case("charge id of 2,000 characters", 422, invalid(charges__0__id="value_is_too_long"), method="PUT",
         path=f"{PLANS}/{EXISTING}", body={"plan": {"charges": [{"id": "c" * 2000, "billable_metric_code": EXISTING,
                                                                 "charge_model": "standard"}]}}),
    Case("PUT plan to another metric that is unknown", 404,
         {"status": 404, "error": "Not Found", "code": "billable_metrics_not_found"}, method="PUT",
         path=f"{PLANS}/{EXISTING}", body={"plan": {"charges": [{"billable_metric_code": "nope", "charge_model": "standard"}]}}),
    Case("PUT plan interval null", 422, invalid(interval="value_is_mandatory"), method="PUT",
         path=f"{PLANS}/{EXISTING}", body={"plan": {"interval": None, "name": "Changed"}}),
]


@pytest.fixture
def existing_catalog(api):
    created = api.post(METRICS, {"billable_metric": {"name": "Existing", "code": EXISTING, "aggregation_type": "sum_agg",
                                                     "field_name": "n", "filters": [{"key": "region", "values": ["us"]}]}})
    assert created.status_code == 200, created.body
    created = api.post(PLANS, {"plan": {"name": "Existing", "code": EXISTING, "interval": "monthly", "amount_cents": 1,
                                        "amount_currency": "EUR", "pay_in_advance": False,
                                        "charges": [{"billable_metric_code": EXISTING, "charge_model": "standard"}]}})
    assert created.status_code == 200, created.body


@pytest.mark.parametrize("case", CATALOG_CASES, ids=[case.name for case in CATALOG_CASES])
def test_hostile_catalog_request_is_refused_and_stores_nothing(api, dynamodb, existing_catalog, case):
    assert_refused_and_nothing_stored(api, dynamodb, case)


def assert_refused_and_nothing_stored(api, dynamodb, case: Case) -> None:
    before = stored_items(dynamodb)
    response = api.request(case.method, case.path, case.body, raw=case.raw, headers=case.headers)
    assert response.status_code == case.expected_status, response.body[:500]
    assert json.loads(response.body) == case.expected_body
    assert stored_items(dynamodb) == before


EVENTS_PATH = "/api/v1/events"


def raw_event(fragment: str) -> bytes:
    return ('{"event": {"transaction_id": "tx", "external_subscription_id": "existing", "code": "existing", '
            + fragment + "}}").encode()


EVENT_CASES = [
    Case("event malformed JSON", 400, BAD_JSON, raw=raw_event('"properties": {"n": 1')[:-2], path=EVENTS_PATH),
    Case("event missing root", 400, {"status": 400, "error": "BadRequest: param is missing or the value is empty: event"},
         body={"events": [{"transaction_id": "tx"}]}, path=EVENTS_PATH),
    Case("event NaN property", 400, BAD_JSON, raw=raw_event('"properties": {"n": NaN}'), path=EVENTS_PATH),
    Case("event properties nested too deeply", 400, TOO_DEEP,
         raw=raw_event('"properties": {"n": ' + "[" * 40 + "]" * 40 + "}"), path=EVENTS_PATH),
    Case("event number DynamoDB cannot store", 422, invalid(properties__n="value_is_invalid"),
         raw=raw_event('"properties": {"n": 1E+999}'), path=EVENTS_PATH),
    Case("event timestamp far future", 422, invalid(timestamp="invalid_format"),
         raw=raw_event('"timestamp": 99999999999999'), path=EVENTS_PATH),
    Case("event transaction_id of 300 emoji", 422, invalid(transaction_id="value_is_too_long"),
         body={"event": {"transaction_id": "\U0001F600" * 300, "external_subscription_id": "existing",
                         "code": "existing"}}, path=EVENTS_PATH),
    Case("event field in exponent notation", 422, invalid(n="value_is_not_valid_number"),
         raw=raw_event('"properties": {"n": "1e3"}'), path=EVENTS_PATH),
    Case("event properties as a list", 422, invalid(properties="value_is_invalid"),
         raw=raw_event('"properties": [1, 2]'), path=EVENTS_PATH),
    Case("batch with one number DynamoDB cannot store", 422, invalid(**{"1.properties.n": "value_is_invalid"}),
         raw=b'{"events": [{"transaction_id": "a"}, {"properties": {"n": 1E-999}}]}', path=f"{EVENTS_PATH}/batch"),
    Case("batch of 101", 422, invalid(events="too_many_events"), path=f"{EVENTS_PATH}/batch",
         body={"events": [{"transaction_id": f"t{i}", "external_subscription_id": "existing", "code": "existing"}
                          for i in range(101)]}),
]


@pytest.fixture
def existing_subscription(api, existing, existing_catalog):
    created = api.post("/api/v1/subscriptions", {"subscription": {
        "external_customer_id": EXISTING, "plan_code": EXISTING, "external_id": EXISTING}})
    assert created.status_code == 200, created.body


@pytest.mark.parametrize("case", EVENT_CASES, ids=[case.name for case in EVENT_CASES])
def test_hostile_event_is_refused_and_stores_nothing(api, dynamodb, existing_subscription, case):
    assert_refused_and_nothing_stored(api, dynamodb, case)
    assert dynamodb.scan(TableName=EVENTS.name)["Items"] == []

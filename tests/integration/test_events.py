"""Event ingestion through the HTTP API: Lago's shapes, every validation rule with its code (single and
batch, nothing written when refused), the Python client's explicit nulls, idempotent replays, conflicts,
duplicates inside a batch, reading one and listing a subscription's with filters, and the
`external_customer_id` form."""
from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
from builders import create_customer, create_metric, create_plan, standard_charge, subscribe
from moto_tables import Seed
from test_subscriptions import invalid, not_found

from chalicelib.store.tables import EVENTS

EVENTS_PATH = "/api/v1/events"
BATCH = "/api/v1/events/batch"
TIME_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
EVENT_FIELDS = ("lago_id", "transaction_id", "lago_customer_id", "code", "timestamp", "precise_total_amount_cents",
                "properties", "lago_subscription_id", "external_subscription_id", "created_at",
                "unbillable_reason")  # not Lago's: why no invoice will ever include it (null: billable)


# The catalog, built once per process.
CATALOG = Seed()


@pytest.fixture
def setup(api, tenant):
    return CATALOG.value(lambda: create_catalog(api), tenant)


def create_catalog(api):
    """Metrics (count `calls`, sum `bytes` on `size`, unique `users` on `user`), a customer `cust` with the
    active subscription `sub` on a plan charging all three."""
    metrics = {"calls": create_metric(api, "calls"), "bytes": create_metric(api, "bytes", "sum_agg", "size"),
               "users": create_metric(api, "users", "unique_count_agg", "user")}
    customer = create_customer(api)
    create_plan(api, charges=[standard_charge(metric) for metric in metrics.values()])
    subscription = subscribe(api)
    return metrics, customer, subscription


def event(**fields) -> dict:
    body = {"transaction_id": "tx-1", "external_subscription_id": "sub", "code": "calls",
            "timestamp": 1651240791, "properties": {}, **fields}
    return {name: value for name, value in body.items() if value is not ...}


def post(api, **fields):
    return api.post(EVENTS_PATH, {"event": event(**fields)})


def stored_items(dynamodb) -> list[dict]:
    return dynamodb.scan(TableName=EVENTS.name)["Items"]


# ------------------------------------------------------------------------------------------- single


def test_create_returns_lagos_event_object(api, setup):
    _, customer, subscription = setup
    response = api.post(EVENTS_PATH, raw=b'{"event": {"transaction_id": "tx-1", "external_subscription_id": "sub", '
                                         b'"code": "calls", "timestamp": 1651240791.123, "precise_total_amount_cents": '
                                         b'"12.5", "properties": {"region": "eu", "n": 1.50}}}')
    assert response.status_code == 200, response.body
    body = response.json_body["event"]
    assert set(body) == set(EVENT_FIELDS)
    uuid.UUID(body["lago_id"])
    assert body["timestamp"] == "2022-04-29T13:59:51.123Z"
    assert (body["transaction_id"], body["code"], body["external_subscription_id"]) == ("tx-1", "calls", "sub")
    assert (body["lago_subscription_id"], body["lago_customer_id"]) == (subscription["lago_id"], customer["lago_id"])
    assert body["precise_total_amount_cents"] == "12.5"
    assert b'"n": 1.50' in response.body  # numbers exactly as sent
    assert TIME_MS.match(body["created_at"])


def test_the_python_clients_explicit_nulls_mean_absent(api, setup, dynamodb):
    response = post(api, timestamp=None, properties=None, precise_total_amount_cents=None)
    assert response.status_code == 200, response.body
    body = response.json_body["event"]
    assert body["properties"] == {} and body["precise_total_amount_cents"] is None
    assert TIME_MS.match(body["timestamp"])  # the reception time
    assert body["timestamp"][:16] == body["created_at"][:16]
    item = stored_items(dynamodb)[0]
    assert item["timestamp_given"] == {"BOOL": False}


@pytest.mark.parametrize("value, expected_ms", [
    (1651240791, 1651240791000), ("1651240791", 1651240791000), ("1651240791.123", 1651240791123),
    (1651240791.1239, 1651240791123), (0, 0)])
def test_timestamp_in_unix_seconds(api, setup, value, expected_ms):
    from chalicelib.domain.events import iso_ms
    response = post(api, timestamp=value)
    assert response.status_code == 200, response.body
    assert response.json_body["event"]["timestamp"] == iso_ms(expected_ms)


@pytest.mark.parametrize("value", ["2022-04-29T08:59:51Z", True, {"s": 1}, [1], "1e9", "-5", -1, "", "12,5",
                                   10 ** 12])
def test_a_timestamp_that_is_not_unix_seconds_is_invalid_format(api, setup, dynamodb, value):
    response = post(api, timestamp=value)
    assert (response.status_code, response.json_body) == (422, invalid(timestamp="invalid_format"))
    assert stored_items(dynamodb) == []


@pytest.mark.parametrize("fields, details", [
    ({"transaction_id": ...}, {"transaction_id": "value_is_mandatory"}),
    ({"transaction_id": None}, {"transaction_id": "value_is_mandatory"}),
    ({"transaction_id": "  "}, {"transaction_id": "value_is_mandatory"}),
    ({"transaction_id": "x" * 256}, {"transaction_id": "value_is_too_long"}),
    ({"transaction_id": 12}, {"transaction_id": "value_is_invalid"}),
    ({"code": ...}, {"code": "value_is_mandatory"}),
    ({"code": "c" * 256}, {"code": "value_is_too_long"}),
    ({"external_subscription_id": ...}, {"external_subscription_id": "value_is_mandatory"}),
    ({"properties": [1]}, {"properties": "value_is_invalid"}),
    ({"properties": "x"}, {"properties": "value_is_invalid"}),
    ({"properties": {"big": "x" * 40_000}}, {"properties": "value_is_too_long"}),
    # Issue 15, case 4: a lone surrogate (JSON "\ud800") cannot be stored as UTF-8, in a value or a key.
    ({"properties": {"region": "\ud800"}}, {"properties": "value_is_invalid"}),
    ({"properties": {"nested": {"\udfff": 1}}}, {"properties": "value_is_invalid"}),
    ({"precise_total_amount_cents": "abc"}, {"precise_total_amount_cents": "value_is_invalid"}),
    ({"code": "unknown"}, {"code": "metric_not_found"}),
    ({"code": "bytes", "properties": {"size": "12kb"}}, {"size": "value_is_not_valid_number"}),
    ({"code": "bytes", "properties": {"size": "1e3"}}, {"size": "value_is_not_valid_number"}),
    ({"code": "bytes", "properties": {"size": True}}, {"size": "value_is_not_valid_number"}),
    ({"code": "bytes", "properties": {"size": {"a": 1}}}, {"size": "value_is_not_valid_number"}),
    ({"code": "users", "properties": {"user": ["a"]}}, {"user": "value_is_invalid"}),
])
def test_every_rule_with_its_code_and_nothing_stored(api, setup, dynamodb, fields, details):
    response = post(api, **fields)
    assert (response.status_code, response.json_body) == (422, invalid(**details))
    assert stored_items(dynamodb) == []


@pytest.mark.parametrize("properties", [{"size": 12}, {"size": "12.5"}, {"size": -3.25}, {"size": None}, {}])
def test_numeric_fields_follow_lagos_rule(api, setup, properties):
    assert post(api, code="bytes", properties=properties).status_code == 200


def test_unique_count_takes_any_scalar_and_count_needs_nothing(api, setup):
    assert post(api, transaction_id="a", code="users", properties={"user": 12}).status_code == 200
    assert post(api, transaction_id="b", code="users", properties={"user": "bob"}).status_code == 200
    assert post(api, transaction_id="c", code="calls", properties={"nested": {"deep": [1, {"x": None}]}}
                ).json_body["event"]["properties"] == {"nested": {"deep": [1, {"x": None}]}}


def test_unknown_subscription_is_404_and_nothing_stored(api, setup, dynamodb):
    response = post(api, external_subscription_id="nope")
    assert (response.status_code, response.json_body) == (404, not_found("subscription"))
    assert stored_items(dynamodb) == []


def test_missing_event_root_is_400(api, setup):
    response = api.post(EVENTS_PATH, {"transaction_id": "tx"})
    assert response.status_code == 400
    assert response.json_body["error"] == "BadRequest: param is missing or the value is empty: event"


def test_terminated_subscription_still_takes_late_events(api, setup):
    api.delete("/api/v1/subscriptions/sub")
    response = post(api)
    assert response.status_code == 200, response.body
    assert response.json_body["event"]["lago_subscription_id"] == setup[2]["lago_id"]


# ----------------------------------------------------------------------------------------- idempotency


def test_the_same_event_again_returns_the_stored_one(api, setup, dynamodb):
    first = post(api, properties={"a": 1}).json_body["event"]
    again = post(api, properties={"a": 1.0})
    assert again.status_code == 200
    assert again.json_body["event"] == first
    assert len(stored_items(dynamodb)) == 1


def test_a_retry_without_timestamp_matches_whatever_was_stored(api, setup, dynamodb):
    first = post(api, timestamp=...).json_body["event"]
    assert post(api, timestamp=None).json_body["event"] == first
    with_timestamp = post(api, timestamp=1651240791)
    assert (with_timestamp.status_code, with_timestamp.json_body) == (422, invalid(transaction_id="value_already_exist"))
    assert len(stored_items(dynamodb)) == 1


@pytest.mark.parametrize("change", [{"code": "users"}, {"properties": {"a": 2}}, {"timestamp": 1651240792}])
def test_the_same_transaction_id_with_other_content_is_value_already_exist(api, setup, dynamodb, change):
    post(api, properties={"a": 1})
    response = post(api, **{"properties": {"a": 1}, **change})
    assert (response.status_code, response.json_body) == (422, invalid(transaction_id="value_already_exist"))
    assert len(stored_items(dynamodb)) == 1


def test_the_same_transaction_id_under_another_subscription_is_another_event(api, setup, dynamodb):
    create_customer(api, "cust2")
    subscribe(api, external_customer_id="cust2", external_id="sub2")
    first = post(api).json_body["event"]
    second = post(api, external_subscription_id="sub2", properties={"other": True})
    assert second.status_code == 200
    assert second.json_body["event"]["lago_id"] != first["lago_id"]
    assert len(stored_items(dynamodb)) == 2
    # GET by transaction_id: the most recently received one, or the one of the subscription asked for.
    assert api.get(f"{EVENTS_PATH}/tx-1").json_body["event"]["external_subscription_id"] == "sub2"
    assert api.get(f"{EVENTS_PATH}/tx-1?external_subscription_id=sub").json_body["event"] == first


# ---------------------------------------------------------------------------------------------- batch


def test_batch_stores_every_event_and_returns_them(api, setup, dynamodb):
    response = api.post(BATCH, {"events": [event(transaction_id=f"b-{i}", timestamp=1651240791 + i)
                                           for i in range(100)]})
    assert response.status_code == 200, response.body
    assert [item["transaction_id"] for item in response.json_body["events"]] == [f"b-{i}" for i in range(100)]
    assert len(stored_items(dynamodb)) == 100


def test_batch_reads_each_metric_and_subscription_once(api, setup, dynamodb):
    from chalicelib.store.repositories import repositories
    calls = []
    events = repositories().client.meta.events
    hook = lambda model, **_: calls.append(model.name)  # noqa: E731
    events.register("before-call.dynamodb", hook)
    try:
        response = api.post(BATCH, {"events": [event(transaction_id=f"b-{i}", code=("calls", "users")[i % 2])
                                               for i in range(100)]})
    finally:
        events.unregister("before-call.dynamodb", hook)
    assert response.status_code == 200
    assert calls.count("PutItem") == 100
    assert len(calls) - 100 <= 8  # auth (2) + subscription (2) + 2 metrics (2 each)


@pytest.mark.parametrize("body, details", [
    ({"events": []}, {"events": ["no_events"]}),
    ({"events": [event(transaction_id=f"t{i}") for i in range(101)]}, {"events": ["too_many_events"]}),
    ({"events": {"a": 1}}, {"events": ["no_events"]}),
])
def test_batch_size_rules(api, setup, dynamodb, body, details):
    response = api.post(BATCH, body)
    assert response.status_code == 422
    assert response.json_body["error_details"] == details
    assert stored_items(dynamodb) == []


def test_batch_without_events_key_is_400(api, setup):
    assert api.post(BATCH, {"event": event()}).status_code == 400


def test_an_invalid_batch_is_refused_whole_with_errors_keyed_by_index(api, setup, dynamodb):
    response = api.post(BATCH, {"events": [
        event(transaction_id="ok"), event(transaction_id="t1", timestamp="2022-01-01"),
        event(transaction_id="t2", external_subscription_id="nope"), "not an event",
        event(transaction_id="t4", code="bytes", properties={"size": "x"}),
        event(transaction_id="t5", external_customer_id="nobody", external_subscription_id=...)]})
    assert response.status_code == 422
    assert response.json_body["error_details"] == {
        "1": {"timestamp": ["invalid_format"]}, "2": {"external_subscription_id": ["subscription_not_found"]},
        "3": {"event": ["value_is_invalid"]}, "4": {"size": ["value_is_not_valid_number"]},
        "5": {"external_customer_id": ["customer_not_found"]}}
    assert stored_items(dynamodb) == []


def test_duplicates_inside_a_batch_count_once(api, setup, dynamodb):
    response = api.post(BATCH, {"events": [event(), event(transaction_id="other"), event()]})
    assert response.status_code == 200
    shown = response.json_body["events"]
    assert shown[0] == shown[2] and len(shown) == 3
    assert len(stored_items(dynamodb)) == 2


def test_a_duplicate_with_other_content_inside_a_batch_refuses_it_whole(api, setup, dynamodb):
    response = api.post(BATCH, {"events": [event(), event(properties={"a": 1})]})
    assert response.status_code == 422
    assert response.json_body["error_details"] == {"1": {"transaction_id": ["value_already_exist"]}}
    assert stored_items(dynamodb) == []


def test_a_batch_repeating_stored_events_returns_them(api, setup, dynamodb):
    first = post(api).json_body["event"]
    response = api.post(BATCH, {"events": [event(transaction_id="new"), event()]})
    assert response.status_code == 200
    assert response.json_body["events"][1] == first
    assert len(stored_items(dynamodb)) == 2


def test_a_batch_conflicting_with_a_stored_event_names_its_index_and_stores_the_others(api, setup, dynamodb):
    post(api, properties={"a": 1})
    batch = [event(transaction_id="new"), event(properties={"a": 2})]
    response = api.post(BATCH, {"events": batch})
    assert response.status_code == 422
    assert response.json_body["error_details"] == {"1": {"transaction_id": ["value_already_exist"]}}
    assert len(stored_items(dynamodb)) == 2  # the conflict is only seen at write time: `new` is stored
    assert api.post(BATCH, {"events": batch[:1]}).status_code == 200  # the retry without it succeeds
    assert len(stored_items(dynamodb)) == 2


# ------------------------------------------------------------------------------- external_customer_id


def test_an_event_naming_only_the_customer_goes_to_its_subscription_billing_the_metric(api, setup):
    _, customer, subscription = setup
    response = post(api, external_subscription_id=..., external_customer_id="cust")
    assert response.status_code == 200, response.body
    body = response.json_body["event"]
    assert (body["external_subscription_id"], body["lago_subscription_id"]) == ("sub", subscription["lago_id"])


def test_customer_form_refusals(api, setup, dynamodb):
    unknown = post(api, external_subscription_id=..., external_customer_id="nobody")
    assert (unknown.status_code, unknown.json_body) == (404, not_found("customer"))
    create_metric(api, "unbilled")
    none = post(api, external_subscription_id=..., external_customer_id="cust", code="unbilled")
    assert (none.status_code, none.json_body) == (422, invalid(external_customer_id="no_active_subscription"))
    create_plan(api, "second", charges=[standard_charge(setup[0]["calls"])])
    subscribe(api, plan_code="second", external_id="sub-2")
    several = post(api, external_subscription_id=..., external_customer_id="cust")
    assert (several.status_code, several.json_body) == (
        422, invalid(external_customer_id="multiple_active_subscriptions"))
    # The metric only the first plan charges still resolves.
    assert post(api, external_subscription_id=..., external_customer_id="cust", code="bytes").status_code == 200
    assert len(stored_items(dynamodb)) == 1


# ------------------------------------------------------------------------------------------ reads


def test_get_one_and_unknown(api, setup):
    created = post(api, transaction_id="a/b #1").json_body["event"]
    assert api.get(f"{EVENTS_PATH}/{quote('a/b #1', safe='')}").json_body == {"event": created}
    response = api.get(f"{EVENTS_PATH}/unknown")
    assert (response.status_code, response.json_body) == (404, not_found("event"))


def test_list_needs_the_subscription(api, setup):
    response = api.get(EVENTS_PATH)
    assert (response.status_code, response.json_body) == (422, invalid(external_subscription_id="value_is_mandatory"))


def test_list_newest_first_with_filters_and_meta(api, setup):
    base = 1651240791
    for i in range(5):
        assert post(api, transaction_id=f"t{i}", timestamp=base + i * 60, code=("calls", "users")[i % 2]).status_code == 200
    query = f"{EVENTS_PATH}?external_subscription_id=sub"
    listed = api.get(query).json_body
    assert [item["transaction_id"] for item in listed["events"]] == ["t4", "t3", "t2", "t1", "t0"]
    assert listed["meta"] == {"current_page": 1, "next_page": None, "prev_page": None, "total_pages": 1,
                              "total_count": 5}
    page2 = api.get(f"{query}&per_page=2&page=2").json_body
    assert [item["transaction_id"] for item in page2["events"]] == ["t2", "t1"]
    assert page2["meta"] == {"current_page": 2, "next_page": 3, "prev_page": 1, "total_pages": 3, "total_count": 5}
    calls = api.get(f"{query}&code=calls").json_body
    assert [item["transaction_id"] for item in calls["events"]] == ["t4", "t2", "t0"]
    assert calls["meta"]["total_count"] == 3
    ranged = api.get(f"{query}&timestamp_from=2022-04-29T14:00:51Z&timestamp_to=2022-04-29T14:02:51.000Z").json_body
    assert [item["transaction_id"] for item in ranged["events"]] == ["t3", "t2", "t1"]
    bad = api.get(f"{query}&timestamp_from=yesterday")
    assert (bad.status_code, bad.json_body) == (422, invalid(timestamp_from="invalid_date"))
    empty = api.get(f"{EVENTS_PATH}?external_subscription_id=other").json_body
    assert empty == {"events": [], "meta": {"current_page": 0, "next_page": None, "prev_page": None,
                                            "total_pages": 0, "total_count": 0}}

"""Billable metrics through the HTTP API: Lago's shapes and rules, pagination, rename, delete, and the
refusals while a plan has a charge on the metric."""
from __future__ import annotations

import re
import uuid

import pytest
from builders import create_plan, created

METRICS = "/api/v1/billable_metrics"
PLANS = "/api/v1/plans"
TIME_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
NOT_FOUND = {"status": 404, "error": "Not Found", "code": "billable_metric_not_found"}
IN_USE = {"status": 405, "error": "Method Not Allowed", "code": "billable_metric_in_use"}


def invalid(details: dict) -> dict:
    return {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors", "error_details": details}


def metric_body(code: str = "storage", **fields) -> dict:
    body = {"name": "Storage", "code": code, "aggregation_type": "sum_agg", "field_name": "gb", **fields}
    return {"billable_metric": {name: value for name, value in body.items() if value is not ...}}


def create_storage(api, code: str = "storage", **fields) -> dict:
    return created(api.post(METRICS, metric_body(code, **fields)), "billable_metric")


def total_count(api) -> int:
    return api.get(METRICS).json_body["meta"]["total_count"]


# ---------------------------------------------------------------------------------------------- create


def test_create_returns_lagos_billable_metric_object(api):
    metric = create_storage(api, filters=[{"key": "region", "values": ["us", "eu"]}], description="GB stored",
                           rounding_function="round", rounding_precision=2)
    uuid.UUID(metric["lago_id"])
    assert TIME_Z.match(metric["created_at"])
    assert {name: metric[name] for name in metric if name not in ("lago_id", "created_at")} == {
        "name": "Storage", "code": "storage", "description": "GB stored", "aggregation_type": "sum_agg",
        "weighted_interval": None, "recurring": False, "rounding_function": "round", "rounding_precision": 2,
        "field_name": "gb", "expression": None, "filters": [{"key": "region", "values": ["us", "eu"]}],
        "plans_count": 0}
    assert api.get(f"{METRICS}/storage").json_body == {"billable_metric": metric}


def test_filters_are_always_a_list(api):
    assert create_storage(api, "calls", aggregation_type="count_agg", field_name=...)["filters"] == []
    assert create_storage(api, "other", filters=None)["filters"] == []


def test_duplicate_code_is_value_already_exist(api):
    create_storage(api)
    response = api.post(METRICS, metric_body(name="Again"))
    assert response.json_body == invalid({"code": ["value_already_exist"]})
    assert total_count(api) == 1


@pytest.mark.parametrize("aggregation_type", ["count_agg", "sum_agg", "max_agg", "unique_count_agg", "latest_agg",
                                              "weighted_sum_agg"])
def test_every_aggregation_type_is_accepted(api, aggregation_type):
    assert create_storage(api, aggregation_type=aggregation_type)["aggregation_type"] == aggregation_type


def test_weighted_sum_defaults_to_seconds_and_count_needs_no_field(api):
    assert create_storage(api, "w", aggregation_type="weighted_sum_agg")["weighted_interval"] == "seconds"
    assert create_storage(api, "c", aggregation_type="count_agg", field_name=...)["field_name"] is None


@pytest.mark.parametrize("aggregation_type", ["sum_agg", "unique_count_agg", "weighted_sum_agg"])
def test_recurring_is_accepted_where_lago_allows_it(api, aggregation_type):
    assert create_storage(api, aggregation_type=aggregation_type, recurring=True)["recurring"] is True


REFUSED = [
    ("name missing", dict(name=...), {"name": ["value_is_mandatory"]}),
    ("name blank", dict(name=" "), {"name": ["value_is_mandatory"]}),
    ("code missing", dict(code=...), {"code": ["value_is_mandatory"]}),
    ("code null", dict(code=None), {"code": ["value_is_mandatory"]}),
    ("code of 256 chars", dict(code="c" * 256), {"code": ["value_is_too_long"]}),
    ("aggregation_type missing", dict(aggregation_type=...), {"aggregation_type": ["value_is_mandatory"]}),
    ("aggregation_type custom_agg", dict(aggregation_type="custom_agg"), {"aggregation_type": ["value_is_invalid"]}),
    ("aggregation_type recurring_count_agg", dict(aggregation_type="recurring_count_agg"),
     {"aggregation_type": ["value_is_invalid"]}),
    ("field_name missing for sum", dict(field_name=...), {"field_name": ["value_is_mandatory"]}),
    ("field_name empty for max", dict(aggregation_type="max_agg", field_name=""), {"field_name": ["value_is_mandatory"]}),
    ("field_name missing for unique_count", dict(aggregation_type="unique_count_agg", field_name=...),
     {"field_name": ["value_is_mandatory"]}),
    ("field_name missing for latest", dict(aggregation_type="latest_agg", field_name=None),
     {"field_name": ["value_is_mandatory"]}),
    ("field_name missing for weighted_sum", dict(aggregation_type="weighted_sum_agg", field_name=...),
     {"field_name": ["value_is_mandatory"]}),
    ("recurring count", dict(aggregation_type="count_agg", recurring=True),
     {"recurring": ["not_compatible_with_aggregation_type"]}),
    ("recurring max", dict(aggregation_type="max_agg", recurring=True),
     {"recurring": ["not_compatible_with_aggregation_type"]}),
    ("recurring latest", dict(aggregation_type="latest_agg", recurring=True),
     {"recurring": ["not_compatible_with_aggregation_type"]}),
    ("recurring a string", dict(recurring="true"), {"recurring": ["value_is_invalid"]}),
    ("weighted_interval on sum", dict(weighted_interval="seconds"),
     {"weighted_interval": ["not_compatible_with_aggregation_type"]}),
    ("weighted_interval minutes", dict(aggregation_type="weighted_sum_agg", weighted_interval="minutes"),
     {"weighted_interval": ["value_is_invalid"]}),
    ("rounding_function half", dict(rounding_function="half"), {"rounding_function": ["value_is_invalid"]}),
    ("rounding_precision 1.5", dict(rounding_function="round", rounding_precision=1.5),
     {"rounding_precision": ["value_is_invalid"]}),
    ("rounding_precision a string", dict(rounding_precision="2"), {"rounding_precision": ["value_is_invalid"]}),
    ("rounding_precision 99", dict(rounding_precision=99), {"rounding_precision": ["value_is_invalid"]}),
    ("expression", dict(expression="round(units)"), {"expression": ["value_is_invalid"]}),
    ("filters not a list", dict(filters={"region": ["us"]}), {"filters": ["value_is_invalid"]}),
    ("filter key missing", dict(filters=[{"values": ["us"]}]), {"filters.0.key": ["value_is_mandatory"]}),
    ("filter key blank", dict(filters=[{"key": " ", "values": ["us"]}]), {"filters.0.key": ["value_is_mandatory"]}),
    ("filter values missing", dict(filters=[{"key": "region"}]), {"filters.0.values": ["value_is_mandatory"]}),
    ("filter values empty", dict(filters=[{"key": "region", "values": []}]),
     {"filters.0.values": ["value_is_mandatory"]}),
    ("filter values repeated", dict(filters=[{"key": "region", "values": ["us", "us"]}]),
     {"filters.0.values": ["value_is_invalid"]}),
    ("filter value a number", dict(filters=[{"key": "region", "values": [1]}]),
     {"filters.0.values.0": ["value_is_invalid"]}),
    ("filter value the ALL marker", dict(filters=[{"key": "region", "values": ["__ALL_FILTER_VALUES__"]}]),
     {"filters.0.values": ["value_is_invalid"]}),
    ("filter keys repeated", dict(filters=[{"key": "region", "values": ["us"]}, {"key": "region", "values": ["eu"]}]),
     {"filters.1.key": ["value_already_exist"]}),
    ("101 filter keys", dict(filters=[{"key": f"k{n}", "values": ["v"]} for n in range(101)]),
     {"filters": ["value_is_too_long"]}),
]


@pytest.mark.parametrize("fields, details", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_create_refusals(api, fields, details):
    response = api.post(METRICS, metric_body(**fields))
    assert response.status_code == 422, response.body
    assert response.json_body == invalid(details)
    assert total_count(api) == 0


def test_a_metric_too_large_for_one_item_is_refused(api):
    values = [f"value-{n:04d}-" + "x" * 240 for n in range(1000)]
    response = api.post(METRICS, metric_body(filters=[{"key": "k", "values": values},
                                                      {"key": "j", "values": values}]))
    assert response.json_body == invalid({"filters": ["value_is_too_long"]})


# -------------------------------------------------------------------------------------- list and read


def test_list_is_newest_first_with_lagos_meta(api):
    for code in ("a", "b", "c"):
        create_storage(api, code)
    first = api.get(f"{METRICS}?per_page=2").json_body
    assert [metric["code"] for metric in first["billable_metrics"]] == ["c", "b"]
    assert first["meta"] == {"current_page": 1, "next_page": 2, "prev_page": None, "total_pages": 2, "total_count": 3}
    second = api.get(f"{METRICS}?per_page=2&page=2").json_body
    assert [metric["code"] for metric in second["billable_metrics"]] == ["a"]
    assert second["meta"] == {"current_page": 2, "next_page": None, "prev_page": 1, "total_pages": 2, "total_count": 3}


def test_empty_list(api):
    assert api.get(METRICS).json_body == {"billable_metrics": [], "meta": {
        "current_page": 0, "next_page": None, "prev_page": None, "total_pages": 0, "total_count": 0}}


def test_unknown_code_is_not_found(api):
    for method in ("GET", "PUT", "DELETE"):
        body = metric_body() if method == "PUT" else None
        response = api.request(method, f"{METRICS}/nope", body)
        assert (response.status_code, response.json_body) == (404, NOT_FOUND), method


def test_another_organizations_metric_is_not_found(api, other_api):
    create_storage(api)
    assert other_api.get(f"{METRICS}/storage").json_body == NOT_FOUND
    assert other_api.get(METRICS).json_body["billable_metrics"] == []
    # The code is free in the other organization.
    assert other_api.post(METRICS, metric_body()).status_code == 200


# ---------------------------------------------------------------------------------------------- update


def test_update_changes_only_the_fields_sent(api):
    created = create_storage(api, description="before")
    response = api.put(f"{METRICS}/storage", {"billable_metric": {"name": "Disk", "filters": [{"key": "r", "values": ["a"]}]}})
    assert response.status_code == 200, response.body
    updated = response.json_body["billable_metric"]
    assert updated == {**created, "name": "Disk", "filters": [{"key": "r", "values": ["a"]}]}
    assert api.get(f"{METRICS}/storage").json_body["billable_metric"] == updated


def test_update_of_an_unused_metric_may_change_its_aggregation(api):
    create_storage(api, aggregation_type="weighted_sum_agg")
    updated = api.put(f"{METRICS}/storage", {"billable_metric": {"aggregation_type": "max_agg"}}).json_body
    assert updated["billable_metric"]["aggregation_type"] == "max_agg"
    assert updated["billable_metric"]["weighted_interval"] is None


def test_update_checks_the_rules_on_the_result(api):
    create_storage(api, aggregation_type="sum_agg", recurring=True)
    response = api.put(f"{METRICS}/storage", {"billable_metric": {"aggregation_type": "max_agg"}})
    assert response.json_body == invalid({"recurring": ["not_compatible_with_aggregation_type"]})
    response = api.put(f"{METRICS}/storage", {"billable_metric": {"name": None}})
    assert response.json_body == invalid({"name": ["value_is_mandatory"]})


def test_rename_moves_the_code(api):
    created = create_storage(api)
    create_storage(api, "taken")
    assert api.put(f"{METRICS}/storage", {"billable_metric": {"code": "taken"}}).json_body == invalid(
        {"code": ["value_already_exist"]})
    renamed = api.put(f"{METRICS}/storage", {"billable_metric": {"code": "disk"}}).json_body["billable_metric"]
    assert renamed["lago_id"] == created["lago_id"]
    assert api.get(f"{METRICS}/storage").json_body == NOT_FOUND
    assert api.get(f"{METRICS}/disk").json_body["billable_metric"]["lago_id"] == created["lago_id"]
    assert create_storage(api, "storage")["lago_id"] != created["lago_id"]


# ---------------------------------------------------------------------------------------------- delete


def test_delete_returns_the_metric_and_frees_its_code(api):
    created = create_storage(api)
    response = api.delete(f"{METRICS}/storage")
    assert response.status_code == 200
    assert response.json_body == {"billable_metric": created}
    assert api.get(f"{METRICS}/storage").json_body == NOT_FOUND
    assert total_count(api) == 0
    assert create_storage(api)["lago_id"] != created["lago_id"]


# ---------------------------------------------------------------------------------------- used by a plan


@pytest.fixture
def used_metric(api):
    metric = create_storage(api, filters=[{"key": "region", "values": ["us", "eu", "asia"]},
                                         {"key": "cloud", "values": ["aws", "gcp"]}])
    create_plan(api, "starter", name="starter", charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                  "properties": {"amount": "1"},
                                  "filters": [{"values": {"region": ["us"]}, "properties": {"amount": "2"}},
                                              {"values": {"cloud": ["__ALL_FILTER_VALUES__"]},
                                               "properties": {"amount": "3"}}]}])
    return metric


def test_a_used_metric_counts_its_plans(api, used_metric):
    assert api.get(f"{METRICS}/storage").json_body["billable_metric"]["plans_count"] == 1
    create_plan(api, "pro", name="pro", charges=[{"billable_metric_code": "storage", "charge_model": "standard"},
                             {"billable_metric_code": "storage", "charge_model": "package"}])
    assert api.get(f"{METRICS}/storage").json_body["billable_metric"]["plans_count"] == 2


def test_a_used_metric_cannot_be_deleted(api, used_metric):
    assert api.delete(f"{METRICS}/storage").json_body == IN_USE
    assert api.get(f"{METRICS}/storage").status_code == 200
    assert api.delete(f"{PLANS}/starter").status_code == 200
    assert api.delete(f"{METRICS}/storage").status_code == 200


@pytest.mark.parametrize("field, value", [("aggregation_type", "unique_count_agg"), ("field_name", "tb"),
                                          ("recurring", True), ("code", "renamed")])
def test_a_used_metric_keeps_what_its_charges_depend_on(api, used_metric, field, value):
    response = api.put(f"{METRICS}/storage", {"billable_metric": {field: value}})
    assert response.json_body == invalid({field: ["value_is_immutable"]})
    assert api.get(f"{METRICS}/storage").json_body["billable_metric"][field] == used_metric[field]


def test_a_used_metric_may_change_its_name_and_resend_its_values(api, used_metric):
    response = api.put(f"{METRICS}/storage", {"billable_metric": {
        "name": "Disk", "description": "d", "aggregation_type": "sum_agg", "field_name": "gb", "code": "storage"}})
    assert response.status_code == 200, response.body
    assert response.json_body["billable_metric"]["name"] == "Disk"


def test_a_used_metrics_filters_may_grow_or_lose_what_no_charge_filter_selects(api, used_metric):
    grown = [{"key": "region", "values": ["us", "eu", "asia", "africa"]}, {"key": "cloud", "values": ["aws", "gcp"]},
             {"key": "tier", "values": ["gold"]}]
    assert api.put(f"{METRICS}/storage", {"billable_metric": {"filters": grown}}).status_code == 200
    narrowed = [{"key": "region", "values": ["us"]}, {"key": "cloud", "values": ["aws"]}]
    assert api.put(f"{METRICS}/storage", {"billable_metric": {"filters": narrowed}}).status_code == 200


@pytest.mark.parametrize("filters", [
    [{"key": "region", "values": ["eu", "asia"]}, {"key": "cloud", "values": ["aws", "gcp"]}],  # drops us
    [{"key": "region", "values": ["us", "eu"]}],  # drops the cloud key (selected with __ALL_FILTER_VALUES__)
    [],
])
def test_a_used_metrics_filters_cannot_drop_what_a_charge_filter_selects(api, used_metric, filters):
    response = api.put(f"{METRICS}/storage", {"billable_metric": {"filters": filters}})
    assert response.json_body == invalid({"filters": ["value_is_in_use"]})
    assert api.get(f"{METRICS}/storage").json_body["billable_metric"]["filters"] == used_metric["filters"]

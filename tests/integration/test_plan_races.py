"""Plans and metrics written at the same time, interleaved deterministically (see interleaving.py): the
transaction conditions keep every plan's charges on live metrics as they were validated, and every
metric's plans_count exact."""
from __future__ import annotations

from builders import create_metric, plan_body
from interleaving import competing

METRICS = "/api/v1/billable_metrics"
PLANS = "/api/v1/plans"
METRICS_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "billable_metrics_not_found"}
IN_USE = {"status": 405, "error": "Method Not Allowed", "code": "billable_metric_in_use"}


def post_plan(api, code: str, charges: list[dict]):
    return api.post(PLANS, {"plan": plan_body(code, name=code, amount_cents=100, charges=charges)})


def test_a_plan_created_while_its_metric_is_deleted_is_refused(api):
    metric = create_metric(api, "storage", "sum_agg", "gb")
    with competing("TransactWriteItems", lambda: api.delete(f"{METRICS}/storage")) as rival:
        response = post_plan(api, "starter", [{"billable_metric_id": metric["lago_id"], "charge_model": "standard"}])
    assert len(rival) == 1 and rival[0].status_code == 200, "the interleaving did not happen"
    # The plan's transaction found the metric gone; the retry reads it again and answers as Lago.
    assert response.json_body == METRICS_NOT_FOUND
    assert api.get(PLANS).json_body["meta"]["total_count"] == 0


def test_a_metric_deleted_while_a_plan_takes_it_is_refused(api):
    metric = create_metric(api, "storage", "sum_agg", "gb")
    rival_plan = lambda: post_plan(api, "starter", [{"billable_metric_id": metric["lago_id"],  # noqa: E731
                                                     "charge_model": "standard"}])
    with competing("TransactWriteItems", rival_plan) as rival:
        response = api.delete(f"{METRICS}/storage")
    assert len(rival) == 1 and rival[0].status_code == 200, rival[0].body
    assert response.json_body == IN_USE
    assert api.get(f"{METRICS}/storage").json_body["billable_metric"]["plans_count"] == 1


def test_a_plan_created_while_its_filter_value_is_withdrawn_is_validated_again(api):
    create_metric(api, "storage", "sum_agg", "gb", filters=[{"key": "region", "values": ["us", "eu"]}])
    narrow = lambda: api.put(f"{METRICS}/storage", {"billable_metric": {  # noqa: E731
        "filters": [{"key": "region", "values": ["eu"]}]}})
    with competing("TransactWriteItems", narrow) as rival:
        response = post_plan(api, "starter", [{"billable_metric_code": "storage", "charge_model": "standard",
                                               "filters": [{"values": {"region": ["us"]}, "properties": {"amount": "1"}}]}])
    assert rival[0].status_code == 200
    assert response.json_body["error_details"] == {"charges.0.filters.0.values": ["value_is_invalid"]}
    assert api.get(f"{METRICS}/storage").json_body["billable_metric"]["plans_count"] == 0


def test_concurrent_plans_on_one_metric_both_count(api):
    create_metric(api, "storage", "sum_agg", "gb")
    charges = [{"billable_metric_code": "storage", "charge_model": "standard"}]
    with competing("TransactWriteItems", lambda: post_plan(api, "rival", charges)) as rival:
        response = post_plan(api, "mine", charges)
    assert rival[0].status_code == 200 and response.status_code == 200
    assert api.get(f"{METRICS}/storage").json_body["billable_metric"]["plans_count"] == 2

"""Plans through the HTTP API: Lago's plan and charge objects, every charge rule with its Lago code, charges
kept by id on update, pagination, delete, the metrics' plans_count, and the refusals while subscribed."""
from __future__ import annotations

import re
import uuid

import pytest
from builders import create_metric, created, plan_body
from moto_tables import Seed

from chalicelib.domain.errors import StaleWrite
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import CONTROL

METRICS = "/api/v1/billable_metrics"
PLANS = "/api/v1/plans"
TIME_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PLAN_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "plan_not_found"}
METRICS_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "billable_metrics_not_found"}
GRADUATED = {"graduated_ranges": [
    {"from_value": 0, "to_value": 10, "per_unit_amount": "0.50", "flat_amount": "0"},
    {"from_value": 11, "to_value": None, "per_unit_amount": "0.1", "flat_amount": "1.00"}]}


def invalid(details: dict) -> dict:
    return {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors", "error_details": details}


def starter(code: str = "starter", **fields) -> dict:
    """The request body of plan `starter` (Starter), unless `fields` say otherwise."""
    return {"plan": plan_body(code, **{"name": "Starter", **fields})}


def create_starter(api, code: str = "starter", **fields) -> dict:
    return created(api.post(PLANS, starter(code, **fields)), "plan")


def plans_count(api, metric_code: str) -> int:
    return api.get(f"{METRICS}/{metric_code}").json_body["billable_metric"]["plans_count"]


def total_count(api) -> int:
    return api.get(PLANS).json_body["meta"]["total_count"]


def set_active_subscriptions(dynamodb, tenant, lago_id: str, count: int) -> None:
    dynamodb.update_item(TableName=CONTROL.name,
                         Key={"pk": {"S": f"ORG#{tenant.organization_id}"}, "sk": {"S": f"PLAN#{lago_id}"}},
                         UpdateExpression="SET active_subscriptions_count = :count",
                         ConditionExpression="attribute_exists(pk)",
                         ExpressionAttributeValues={":count": {"N": str(count)}})


# The metrics, created once per process.
METRIC_SET = Seed()


@pytest.fixture
def metrics(api, tenant) -> dict:
    return METRIC_SET.value(lambda: create_metrics(api), tenant)


def create_metrics(api) -> dict:
    return {
        "sum": create_metric(api, "sum", "sum_agg", "value", filters=[{"key": "region", "values": ["us", "eu"]},
                                                                   {"key": "cloud", "values": ["aws", "gcp"]}]),
        "recurring_sum": create_metric(api, "recurring_sum", "sum_agg", "value", recurring=True),
        "count": create_metric(api, "count"),
        "max": create_metric(api, "max", "max_agg", "value"),
        "latest": create_metric(api, "latest", "latest_agg", "value"),
        "weighted": create_metric(api, "weighted", "weighted_sum_agg", "value", recurring=True),
    }


# ---------------------------------------------------------------------------------------------- create


def test_create_returns_lagos_plan_and_charge_objects(api, metrics):
    plan = create_starter(api, description="For starters", invoice_display_name="Starter plan", trial_period=0.0,
                       charges=[{"billable_metric_id": metrics["sum"]["lago_id"], "charge_model": "graduated",
                                 "properties": GRADUATED, "invoice_display_name": "Usage", "code": "usage"},
                                {"billable_metric_id": metrics["sum"]["lago_id"], "charge_model": "standard",
                                 "properties": {"amount": "0.10"},
                                 "filters": [{"invoice_display_name": "US", "values": {"region": ["us"]},
                                              "properties": {"amount": "0.2"}}]}])
    uuid.UUID(plan["lago_id"])
    assert TIME_Z.match(plan["created_at"])
    assert {name: value for name, value in plan.items() if name not in ("lago_id", "created_at", "charges")} == {
        "name": "Starter", "invoice_display_name": "Starter plan", "code": "starter", "interval": "monthly",
        "description": "For starters", "amount_cents": 1000, "amount_currency": "EUR", "trial_period": 0,
        "pay_in_advance": False, "bill_charges_monthly": None, "taxes": [], "minimum_commitment": None,
        "usage_thresholds": [], "active_subscriptions_count": 0}
    graduated, standard = plan["charges"]
    uuid.UUID(graduated["lago_id"])
    assert TIME_Z.match(graduated["created_at"])
    assert {name: value for name, value in graduated.items() if name not in ("lago_id", "created_at")} == {
        "lago_billable_metric_id": metrics["sum"]["lago_id"], "billable_metric_code": "sum", "code": "usage",
        "invoice_display_name": "Usage", "charge_model": "graduated", "pay_in_advance": False, "invoiceable": True,
        "regroup_paid_fees": None, "prorated": False, "min_amount_cents": 0, "properties": GRADUATED,
        "filters": [], "taxes": []}
    assert standard["properties"] == {"amount": "0.10"}
    assert standard["filters"] == [{"invoice_display_name": "US", "properties": {"amount": "0.2"},
                                    "values": {"region": ["us"]}}]
    assert api.get(f"{PLANS}/starter").json_body == {"plan": plan}
    assert plans_count(api, "sum") == 1


def test_charge_may_name_its_metric_by_code(api, metrics):
    plan = create_starter(api, charges=[{"billable_metric_code": "count", "charge_model": "package",
                                      "properties": {"amount": "5", "package_size": 100}}])
    [charge] = plan["charges"]
    assert charge["lago_billable_metric_id"] == metrics["count"]["lago_id"]
    assert charge["properties"] == {"amount": "5", "package_size": 100, "free_units": 0}


def test_charge_without_properties_gets_lagos_defaults(api, metrics):
    plan = create_starter(api, charges=[{"billable_metric_code": "sum", "charge_model": model}
                                     for model in ("standard", "graduated", "percentage")])
    assert [charge["properties"] for charge in plan["charges"]] == [
        {"amount": "0"},
        {"graduated_ranges": [{"from_value": 0, "to_value": None, "per_unit_amount": "0", "flat_amount": "0"}]},
        {"rate": "0", "fixed_amount": None, "free_units_per_events": None, "free_units_per_total_aggregation": None,
         "per_transaction_min_amount": None, "per_transaction_max_amount": None}]


def test_trial_period_keeps_its_fraction(api):
    assert create_starter(api, trial_period=1.5)["trial_period"] == 1.5


@pytest.mark.parametrize("interval, sent, shown", [("yearly", True, True), ("yearly", ..., False),
                                                   ("semiannual", True, True), ("monthly", True, None),
                                                   ("weekly", ..., None), ("quarterly", False, None)])
def test_bill_charges_monthly_only_for_yearly_and_semiannual(api, interval, sent, shown):
    assert create_starter(api, interval=interval, bill_charges_monthly=sent)["bill_charges_monthly"] is shown


def test_duplicate_code_is_value_already_exist(api):
    create_starter(api)
    assert api.post(PLANS, starter(name="Again")).json_body == invalid({"code": ["value_already_exist"]})
    assert total_count(api) == 1


PLAN_REFUSALS = [
    ("name missing", dict(name=...), {"name": ["value_is_mandatory"]}),
    ("code blank", dict(code=" "), {"code": ["value_is_mandatory"]}),
    ("interval missing", dict(interval=...), {"interval": ["value_is_mandatory"]}),
    ("interval daily", dict(interval="daily"), {"interval": ["value_is_invalid"]}),
    ("amount_cents missing", dict(amount_cents=...), {"amount_cents": ["value_is_mandatory"]}),
    ("amount_cents negative", dict(amount_cents=-1), {"amount_cents": ["value_is_invalid"]}),
    ("amount_cents fractional", dict(amount_cents=10.5), {"amount_cents": ["value_is_invalid"]}),
    ("amount_cents a string", dict(amount_cents="100"), {"amount_cents": ["value_is_invalid"]}),
    ("amount_currency missing", dict(amount_currency=...), {"amount_currency": ["value_is_mandatory"]}),
    ("amount_currency EURO", dict(amount_currency="EURO"), {"amount_currency": ["value_is_invalid"]}),
    ("pay_in_advance missing", dict(pay_in_advance=...), {"pay_in_advance": ["value_is_mandatory"]}),
    ("pay_in_advance a string", dict(pay_in_advance="yes"), {"pay_in_advance": ["value_is_invalid"]}),
    ("trial_period negative", dict(trial_period=-1), {"trial_period": ["value_is_invalid"]}),
    ("trial_period a string", dict(trial_period="3"), {"trial_period": ["value_is_invalid"]}),
    ("charges not a list", dict(charges={"charge_model": "standard"}), {"charges": ["value_is_invalid"]}),
    ("101 charges", dict(charges=[{"billable_metric_code": "sum", "charge_model": "standard"}] * 101),
     {"charges": ["value_is_too_long"]}),
]


@pytest.mark.parametrize("fields, details", [case[1:] for case in PLAN_REFUSALS],
                         ids=[case[0] for case in PLAN_REFUSALS])
def test_plan_refusals(api, metrics, fields, details):
    response = api.post(PLANS, starter(**fields))
    assert response.json_body == invalid(details)
    assert total_count(api) == 0
    assert plans_count(api, "sum") == 0


def charge(metric: str, charge_model: str = "standard", **fields) -> dict:
    return {"billable_metric_code": metric, "charge_model": charge_model, **fields}


def refused(field: str, code: str, charges: dict[str, dict]) -> list[tuple]:
    """A case per named charge the API refuses with `code` on the charge's `field`."""
    return [(name, charge_input, {f"charges.0.{field}": [code]}) for name, charge_input in charges.items()]


CHARGE_REFUSALS = [
    ("metric not named", {"charge_model": "standard"}, {"charges.0.billable_metric_id": ["value_is_mandatory"]}),
    ("charge_model missing", {"billable_metric_code": "sum"}, {"charges.0.charge_model": ["value_is_mandatory"]}),
    ("charge_model dynamic", charge("sum", "dynamic"), {"charges.0.charge_model": ["value_is_invalid"]}),
    ("amount negative", charge("sum", properties={"amount": "-1"}), {"charges.0.properties.amount": ["invalid_amount"]}),
    ("amount not a number", charge("sum", properties={"amount": "abc"}),
     {"charges.0.properties.amount": ["invalid_amount"]}),
    ("graduated ranges with a gap", charge("sum", "graduated", properties={"graduated_ranges": [
        {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "0"},
        {"from_value": 20, "to_value": None, "per_unit_amount": "1", "flat_amount": "0"}]}),
     {"charges.0.properties.graduated_ranges": ["invalid_graduated_ranges"]}),
    ("package size 0", charge("sum", "package", properties={"amount": "1", "package_size": 0}),
     {"charges.0.properties.package_size": ["invalid_package_size"]}),
    ("min_amount_cents negative", charge("sum", min_amount_cents=-1), {"charges.0.min_amount_cents": ["value_is_invalid"]}),
    *refused("pay_in_advance", "invalid_aggregation_type_or_charge_model", {
        "pay_in_advance on max": charge("max", pay_in_advance=True),
        "pay_in_advance on latest": charge("latest", pay_in_advance=True),
        "pay_in_advance on weighted_sum": charge("weighted", pay_in_advance=True),
        "pay_in_advance volume": charge("sum", "volume", pay_in_advance=True)}),
    ("percentage on latest", charge("latest", "percentage", properties={"rate": "1"}),
     {"charges.0.charge_model": ["invalid_aggregation_type_or_charge_model"]}),
    ("min_amount_cents in advance", charge("sum", pay_in_advance=True, min_amount_cents=100),
     {"charges.0.min_amount_cents": ["not_compatible_with_pay_in_advance"]}),
    ("percentage in advance with free units", charge("sum", "percentage", pay_in_advance=True,
                                                     properties={"rate": "1", "free_units_per_events": 3}),
     {"charges.0.properties": ["not_compatible_with_pay_in_advance"]}),
    ("not invoiceable in arrears", charge("sum", invoiceable=False),
     {"charges.0.invoiceable": ["must_be_true_unless_pay_in_advance"]}),
    *refused("prorated", "invalid_billable_metric_or_charge_model", {
        "prorated on a metered metric": charge("sum", prorated=True),
        "prorated package": charge("recurring_sum", "package", prorated=True),
        "prorated graduated in advance": charge("recurring_sum", "graduated", prorated=True, pay_in_advance=True),
        "prorated weighted_sum": charge("weighted", prorated=True)}),
    ("filter on an undeclared key", charge("sum", filters=[{"values": {"os": ["linux"]}, "properties": {"amount": "1"}}]),
     {"charges.0.filters.0.values": ["value_is_invalid"]}),
    ("filter on an undeclared value", charge("sum", filters=[{"values": {"region": ["mars"]}, "properties": {"amount": "1"}}]),
     {"charges.0.filters.0.values": ["value_is_invalid"]}),
    ("filter on a metric without filters", charge("count", filters=[{"values": {"region": ["us"]}, "properties": {"amount": "1"}}]),
     {"charges.0.filters.0.values": ["value_is_invalid"]}),
    ("filter without values", charge("sum", filters=[{"values": {}, "properties": {"amount": "1"}}]),
     {"charges.0.filters.0.values": ["value_is_mandatory"]}),
    ("filter with an empty value list", charge("sum", filters=[{"values": {"region": []}, "properties": {"amount": "1"}}]),
     {"charges.0.filters.0.values": ["value_is_mandatory"]}),
    ("filter properties invalid", charge("sum", filters=[{"values": {"region": ["us"]}, "properties": {"amount": "x"}}]),
     {"charges.0.filters.0.properties.amount": ["invalid_amount"]}),
    ("101 filters", charge("sum", filters=[{"values": {"region": ["us"]}, "properties": {"amount": "1"}}] * 101),
     {"charges.0.filters": ["value_is_too_long"]}),
]


@pytest.mark.parametrize("charge_input, details", [case[1:] for case in CHARGE_REFUSALS],
                         ids=[case[0] for case in CHARGE_REFUSALS])
def test_charge_refusals(api, metrics, charge_input, details):
    response = api.post(PLANS, starter(charges=[charge_input]))
    assert response.json_body == invalid(details)
    assert total_count(api) == 0
    assert all(plans_count(api, code) == 0 for code in metrics)


def test_refusals_of_several_charges_are_reported_together(api, metrics):
    response = api.post(PLANS, starter(charges=[charge("sum", code="a"), charge("max", pay_in_advance=True),
                                                  charge("sum", code="a")]))
    assert response.json_body == invalid({"charges.1.pay_in_advance": ["invalid_aggregation_type_or_charge_model"],
                                          "charges.2.code": ["value_already_exist"]})


ACCEPTED_CHARGES = [
    ("pay_in_advance on count", charge("count", pay_in_advance=True)),
    ("pay_in_advance not invoiceable", charge("sum", pay_in_advance=True, invoiceable=False,
                                              regroup_paid_fees="invoice")),
    ("prorated standard in arrears", charge("recurring_sum", prorated=True)),
    ("prorated volume in arrears", charge("recurring_sum", "volume", prorated=True, properties={"volume_ranges": [
        {"from_value": 0, "to_value": None, "per_unit_amount": "1", "flat_amount": "0"}]})),
    ("prorated standard in advance", charge("recurring_sum", prorated=True, pay_in_advance=True)),
    ("min_amount_cents in arrears", charge("sum", min_amount_cents=500)),
    ("filter selecting every declared value", charge("sum", filters=[
        {"values": {"region": ["__ALL_FILTER_VALUES__"], "cloud": ["aws"]}, "properties": {"amount": "1"}}])),
    ("graduated_percentage", charge("sum", "graduated_percentage", properties={"graduated_percentage_ranges": [
        {"from_value": 0, "to_value": None, "rate": "1.5", "flat_amount": "0"}]})),
]


@pytest.mark.parametrize("charge_input", [case[1] for case in ACCEPTED_CHARGES], ids=[case[0] for case in ACCEPTED_CHARGES])
def test_accepted_charges(api, metrics, charge_input):
    [created] = create_starter(api, charges=[charge_input])["charges"]
    for option in ("pay_in_advance", "invoiceable", "prorated", "min_amount_cents", "regroup_paid_fees"):
        if option in charge_input:
            assert created[option] == charge_input[option], option


def test_unknown_metric_is_lagos_not_found(api, metrics, other_api):
    assert api.post(PLANS, starter(charges=[{"billable_metric_id": str(uuid.uuid4()), "charge_model": "standard"}])
                    ).json_body == METRICS_NOT_FOUND
    assert api.post(PLANS, starter(charges=[charge("nope")])).json_body == METRICS_NOT_FOUND
    # Another organization cannot price with this organization's metric.
    assert other_api.post(PLANS, starter(charges=[{"billable_metric_id": metrics["sum"]["lago_id"],
                                                     "charge_model": "standard"}])).json_body == METRICS_NOT_FOUND
    assert total_count(api) == 0 and total_count(other_api) == 0


def test_a_plan_too_large_for_one_item_is_refused(api, metrics):
    ranges = [{"from_value": n * 10, "to_value": n * 10 + 9, "per_unit_amount": "1.000000", "flat_amount": "0"}
              for n in range(4000)] + [{"from_value": 40000, "to_value": None, "per_unit_amount": "1", "flat_amount": "0"}]
    response = api.post(PLANS, starter(charges=[charge("sum", "graduated", properties={"graduated_ranges": ranges})]))
    assert response.json_body == invalid({"charges": ["value_is_too_long"]})


def test_a_plan_may_use_at_most_45_metrics(api):
    for n in range(46):
        create_metric(api, f"m{n}")
    assert create_starter(api, "ok", charges=[charge(f"m{n}") for n in range(45)])["charges"][44]["billable_metric_code"] == "m44"
    response = api.post(PLANS, starter("too_many", charges=[charge(f"m{n}") for n in range(46)]))
    assert response.json_body == invalid({"charges": ["too_many_billable_metrics"]})


# -------------------------------------------------------------------------------------- list and read


def test_list_is_newest_first_with_lagos_meta(api):
    for code in ("a", "b", "c"):
        create_starter(api, code)
    listed = api.get(f"{PLANS}?per_page=2&page=2").json_body
    assert [plan["code"] for plan in listed["plans"]] == ["a"]
    assert listed["meta"] == {"current_page": 2, "next_page": None, "prev_page": 1, "total_pages": 2, "total_count": 3}
    assert [plan["code"] for plan in api.get(PLANS).json_body["plans"]] == ["c", "b", "a"]


def test_unknown_code_is_not_found(api, other_api):
    create_starter(api)
    for method in ("GET", "PUT", "DELETE"):
        body = starter() if method == "PUT" else None
        assert api.request(method, f"{PLANS}/nope", body).json_body == PLAN_NOT_FOUND, method
        assert other_api.request(method, f"{PLANS}/starter", body).json_body == PLAN_NOT_FOUND, method


# ---------------------------------------------------------------------------------------------- update


def test_update_keeps_listed_charges_by_id_and_removes_the_others(api, metrics):
    plan = create_starter(api, charges=[charge("sum", code="kept"), charge("count", code="dropped")])
    kept, _ = plan["charges"]
    response = api.put(f"{PLANS}/starter", {"plan": {"name": "Renamed", "charges": [
        {"id": kept["lago_id"], "billable_metric_id": metrics["sum"]["lago_id"], "charge_model": "graduated",
         "properties": GRADUATED, "code": "kept"},
        charge("max", code="new")]}})
    assert response.status_code == 200, response.body
    updated = response.json_body["plan"]
    assert updated["name"] == "Renamed"
    first, second = updated["charges"]
    assert (first["lago_id"], first["created_at"]) == (kept["lago_id"], kept["created_at"])
    assert (first["charge_model"], first["properties"]) == ("graduated", GRADUATED)
    assert second["lago_id"] not in {charge["lago_id"] for charge in plan["charges"]}
    assert second["billable_metric_code"] == "max"
    assert api.get(f"{PLANS}/starter").json_body == {"plan": updated}
    assert (plans_count(api, "sum"), plans_count(api, "count"), plans_count(api, "max")) == (1, 0, 1)
    assert api.delete(f"{METRICS}/count").status_code == 200


def test_an_unknown_charge_id_makes_a_new_charge(api, metrics):
    create_starter(api, charges=[charge("sum")])
    updated = api.put(f"{PLANS}/starter", {"plan": {"charges": [charge("sum", id="not-a-charge")]}}).json_body["plan"]
    assert updated["charges"][0]["lago_id"] != "not-a-charge"


def test_update_without_charges_keeps_them_and_empty_charges_remove_them(api, metrics):
    plan = create_starter(api, charges=[charge("sum")])
    assert api.put(f"{PLANS}/starter", {"plan": {"amount_cents": 2000}}).json_body["plan"]["charges"] == plan["charges"]
    assert api.put(f"{PLANS}/starter", {"plan": {"charges": None}}).json_body["plan"]["charges"] == plan["charges"]
    assert api.put(f"{PLANS}/starter", {"plan": {"charges": []}}).json_body["plan"]["charges"] == []
    assert plans_count(api, "sum") == 0


def test_update_refusals_change_nothing(api, metrics):
    plan = create_starter(api, charges=[charge("sum")])
    assert api.put(f"{PLANS}/starter", {"plan": {"interval": None}}).json_body == invalid(
        {"interval": ["value_is_mandatory"]})
    assert api.put(f"{PLANS}/starter", {"plan": {"name": "X", "charges": [charge("max", pay_in_advance=True)]}}
                   ).json_body == invalid({"charges.0.pay_in_advance": ["invalid_aggregation_type_or_charge_model"]})
    assert api.get(f"{PLANS}/starter").json_body == {"plan": plan}


def test_rename_moves_the_code(api):
    plan = create_starter(api)
    create_starter(api, "taken")
    assert api.put(f"{PLANS}/starter", {"plan": {"code": "taken"}}).json_body == invalid({"code": ["value_already_exist"]})
    assert api.put(f"{PLANS}/starter", {"plan": {"code": "basic"}}).json_body["plan"]["lago_id"] == plan["lago_id"]
    assert api.get(f"{PLANS}/starter").json_body == PLAN_NOT_FOUND
    assert api.get(f"{PLANS}/basic").json_body["plan"]["lago_id"] == plan["lago_id"]


@pytest.mark.parametrize("field, value", [("interval", "yearly"), ("amount_currency", "USD"), ("pay_in_advance", True),
                                          ("trial_period", 3), ("code", "other")])
def test_a_subscribed_plan_keeps_what_its_subscriptions_are_billed_by(api, dynamodb, tenant, field, value):
    plan = create_starter(api)
    set_active_subscriptions(dynamodb, tenant, plan["lago_id"], 1)
    assert api.put(f"{PLANS}/starter", {"plan": {field: value}}).json_body == invalid({field: ["value_is_immutable"]})
    same = api.put(f"{PLANS}/starter", {"plan": {"name": "New name", "amount_cents": 5, field: plan[field]}})
    assert same.status_code == 200, same.body
    assert same.json_body["plan"]["active_subscriptions_count"] == 1


# ---------------------------------------------------------------------------------------------- delete


def test_delete_returns_the_plan_releases_its_metrics_and_frees_its_code(api, metrics):
    plan = create_starter(api, charges=[charge("sum"), charge("sum", "package")])
    assert plans_count(api, "sum") == 1
    response = api.delete(f"{PLANS}/starter")
    assert response.status_code == 200
    assert response.json_body == {"plan": plan}
    assert api.get(f"{PLANS}/starter").json_body == PLAN_NOT_FOUND
    assert total_count(api) == 0
    assert plans_count(api, "sum") == 0
    assert create_starter(api)["lago_id"] != plan["lago_id"]


def test_a_subscribed_plan_cannot_be_deleted(api, dynamodb, tenant):
    plan = create_starter(api)
    set_active_subscriptions(dynamodb, tenant, plan["lago_id"], 2)
    assert api.delete(f"{PLANS}/starter").json_body == {"status": 405, "error": "Method Not Allowed",
                                                         "code": "plan_has_active_subscriptions"}
    assert api.get(f"{PLANS}/starter").status_code == 200


# ------------------------------------------------------------------------- the subscriptions' interface


def test_subscription_count_update_is_conditioned_on_the_plan_version(api, tenant):
    create_starter(api)
    store = repositories().plans

    def count(plan, delta):
        unit = repositories().unit_of_work()
        store.stage_subscription_count(unit, plan, delta)
        unit.commit()

    plan = store.find_by_code(tenant.organization_id, "starter")
    assert plan.yearly_amount_cents() == 12_000
    count(plan, 1)
    assert store.get(tenant.organization_id, plan.id).active_subscriptions_count == 1
    api.put(f"{PLANS}/starter", {"plan": {"name": "Changed"}})  # a new version
    with pytest.raises(StaleWrite):
        count(plan, 1)
    current = store.get(tenant.organization_id, plan.id)
    with pytest.raises(StaleWrite):
        count(current, -2)
    count(current, -1)
    assert store.get(tenant.organization_id, plan.id).active_subscriptions_count == 0

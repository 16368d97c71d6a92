"""Metrics, plans, customers and subscriptions through Lago's official Python client against the local
stack: create, find, list, update, destroy; and the customer that cannot be deleted while subscribed."""
from __future__ import annotations

import pytest
from lago_catalog import GRADUATED_RANGES, unique
from lago_python_client.exceptions import LagoApiError
from lago_python_client.models import (
    BillableMetric,
    BillableMetricFilter,
    BillableMetricFilters,
    Charge,
    ChargeFilter,
    ChargeFilters,
    Charges,
    Customer,
    Plan,
    Subscription,
)

pytestmark = pytest.mark.e2e


def lago_error(call) -> LagoApiError:
    with pytest.raises(LagoApiError) as raised:
        call()
    return raised.value




def test_metric_plan_customer_subscription_lifecycle(client):
    # Two metrics: one priced by a graduated charge, one with a filtered standard charge.
    calls = client.billable_metrics.create(BillableMetric(
        name="API calls", code=unique("api_calls"), aggregation_type="sum_agg", field_name="count",
        recurring=False))
    storage = client.billable_metrics.create(BillableMetric(
        name="Storage", code=unique("storage"), aggregation_type="max_agg", field_name="gb",
        filters=BillableMetricFilters(__root__=[BillableMetricFilter(key="region", values=["eu", "us"])])))
    assert calls.filters.__root__ == [] and storage.filters.__root__[0].values == ["eu", "us"]
    assert client.billable_metrics.find(calls.code).lago_id == calls.lago_id
    listed = client.billable_metrics.find_all({"page": 1, "per_page": 1})
    assert len(listed["billable_metrics"]) == 1 and listed["meta"]["total_count"] >= 2
    assert listed["meta"]["total_pages"] >= 2 and listed["meta"]["next_page"] == 2
    renamed = client.billable_metrics.update(BillableMetric(name="API requests"), calls.code)
    assert (renamed.name, renamed.aggregation_type) == ("API requests", "sum_agg")

    plan_code = unique("startup")
    plan = client.plans.create(Plan(
        name="Startup", code=plan_code, interval="monthly", amount_cents=1000, amount_currency="EUR",
        pay_in_advance=False, trial_period=0.0,
        charges=Charges(__root__=[
            Charge(billable_metric_id=calls.lago_id, charge_model="graduated", pay_in_advance=False,
                   invoiceable=True, properties={"graduated_ranges": GRADUATED_RANGES}),
            Charge(billable_metric_id=storage.lago_id, charge_model="standard", properties={"amount": "1"},
                   filters=ChargeFilters(__root__=[ChargeFilter(
                       invoice_display_name="EU storage", properties={"amount": "2"}, values={"region": ["eu"]})])),
        ])))
    graduated, filtered = plan.charges.__root__
    assert (graduated.lago_billable_metric_id, graduated.billable_metric_code) == (calls.lago_id, calls.code)
    assert graduated.properties["graduated_ranges"][1]["per_unit_amount"] == "0.005"
    assert filtered.filters.__root__[0].values == {"region": ["eu"]}
    assert client.plans.find(plan_code).lago_id == plan.lago_id
    assert client.plans.find_all({"page": 1, "per_page": 20})["meta"]["total_count"] >= 1
    assert client.plans.update(Plan(name="Startup 2026"), plan_code).name == "Startup 2026"

    customer_id = unique("cust")
    client.customers.create(Customer(external_id=customer_id, name="Acme", currency="EUR"))
    subscription_id = unique("sub")
    subscription = client.subscriptions.create(Subscription(
        external_customer_id=customer_id, plan_code=plan_code, external_id=subscription_id,
        billing_time="calendar"))
    assert subscription.status == "active" and subscription.plan_code == plan_code
    assert client.subscriptions.find(subscription_id).lago_id == subscription.lago_id
    by_customer = client.subscriptions.find_all({"external_customer_id": customer_id})
    assert [found.external_id for found in by_customer["subscriptions"]] == [subscription_id]
    assert by_customer["meta"]["total_count"] == 1
    assert client.subscriptions.update(Subscription(name="Main"), subscription_id).name == "Main"

    # While subscribed, the customer cannot be deleted, nor can the plan or a metric it uses.
    refused = lago_error(lambda: client.customers.destroy(customer_id))
    assert (refused.status_code, refused.response["code"]) == (405, "customer_has_active_subscription")
    assert lago_error(lambda: client.plans.destroy(plan_code)).status_code == 405
    assert lago_error(lambda: client.billable_metrics.destroy(calls.code)).status_code == 405

    terminated = client.subscriptions.destroy(subscription_id)
    assert terminated.status == "terminated" and terminated.terminated_at
    assert client.customers.destroy(customer_id).external_id == customer_id

    # Once no plan uses them, plan then metrics go.
    assert client.plans.destroy(plan_code).code == plan_code
    assert client.billable_metrics.destroy(calls.code).code == calls.code
    assert client.billable_metrics.destroy(storage.code).code == storage.code
    missing = lago_error(lambda: client.billable_metrics.find(calls.code))
    assert (missing.status_code, missing.response["code"]) == (404, "billable_metric_not_found")

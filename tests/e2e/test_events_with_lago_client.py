"""Events through Lago's official Python client against the local stack: create (the client's explicit
nulls), batch_create, find, a replay that returns the stored event, and a conflicting repeat."""
from __future__ import annotations

import pytest
from lago_catalog import unique
from lago_python_client.exceptions import LagoApiError
from lago_python_client.models import BatchEvent, BillableMetric, Charge, Charges, Customer, Event, Plan, Subscription

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def subscription(client):
    metric = client.billable_metrics.create(BillableMetric(
        name="Bytes", code=unique("bytes"), aggregation_type="sum_agg", field_name="size", recurring=False))
    customer = client.customers.create(Customer(external_id=unique("cust"), name="Events Inc"))
    plan = client.plans.create(Plan(
        name="Events", code=unique("plan"), interval="monthly", amount_cents=0, amount_currency="EUR",
        pay_in_advance=False, charges=Charges(__root__=[Charge(
            billable_metric_id=metric.lago_id, charge_model="standard", properties={"amount": "0.01"})])))
    created = client.subscriptions.create(Subscription(
        external_customer_id=customer.external_id, plan_code=plan.code, external_id=unique("sub")))
    return metric.code, created.external_id, created.lago_id


def test_create_find_replay_and_conflict(client, subscription):
    code, external_id, lago_subscription_id = subscription
    sent = Event(transaction_id=unique("tx"), external_subscription_id=external_id, code=code,
                 timestamp=1651240791, properties={"size": 35})
    created = client.events.create(sent)
    # The client returns None when the body lacks `event`; this service always returns it.
    assert created is not None
    assert (created.code, created.lago_subscription_id, created.timestamp) == (
        code, lago_subscription_id, "2022-04-29T13:59:51.000Z")
    assert created.properties == {"size": 35}
    found = client.events.find(sent.transaction_id)
    assert found.lago_id == created.lago_id
    assert client.events.create(sent).lago_id == created.lago_id  # a replay: the stored event, 200
    with pytest.raises(LagoApiError) as conflict:
        client.events.create(Event(transaction_id=sent.transaction_id, external_subscription_id=external_id,
                                   code=code, properties={"size": 36}))
    assert conflict.value.status_code == 422


def test_explicit_nulls_and_batch(client, http, subscription):
    code, external_id, _ = subscription
    single = client.events.create(Event(transaction_id=unique("tx"), external_subscription_id=external_id, code=code))
    assert single.properties == {} and single.timestamp.endswith("Z")
    transaction_ids = [unique("batch") for _ in range(3)]
    assert client.events.batch_create(BatchEvent(events=[
        Event(transaction_id=transaction_id, external_subscription_id=external_id, code=code,
              properties={"size": index}) for index, transaction_id in enumerate(transaction_ids)])) is None
    for index, transaction_id in enumerate(transaction_ids):
        assert client.events.find(transaction_id).properties == {"size": index}
    listed = http.get("/api/v1/events", params={"external_subscription_id": external_id}).json()
    assert listed["meta"]["total_count"] >= 4

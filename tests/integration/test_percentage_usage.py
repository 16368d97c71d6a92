"""Percentage charges with free allowances and per-transaction bounds through the HTTP API: events delivered out of
order by the stream handler, current usage after each delivery, the invoice at the period end equal to the last
current usage, and current usage reading no event (the aggregator keeps what pricing needs)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import create_customer, create_metric, create_plan, subscribe
from usage_fixtures import event_item, store_and_deliver

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import EVENTS
from chalicelib.usage.rebuild import UsageRebuild
from chalicelib.wiring import run_biller

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
USAGE = "/api/v1/customers/cust/current_usage"


@pytest.fixture(autouse=True)
def clocks(api_clock, monkeypatch):
    api_clock.set(datetime(2026, 11, 1, 12, tzinfo=UTC))
    monkeypatch.setattr("chalicelib.api.current_usage.utc_now", lambda: NOW)


def percentage_plan(api, properties: dict) -> dict:
    """`payments` (sum of amount) priced by a percentage charge; `cust` subscribed as `sub` from 1 November 2026."""
    metric = create_metric(api, "payments", "sum_agg", "amount")
    create_customer(api)
    plan = create_plan(api, charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "percentage",
                                      "properties": properties}])
    subscribe(api, subscription_at="2026-11-01T00:00:00Z")
    return plan


def payment(organization_id: str, day: int, amount) -> dict:
    return event_item(organization_id, f"pay-{day}", epoch_ms(datetime(2026, 11, day, 9, tzinfo=UTC)), "payments",
                      {"amount": amount})


def send(dynamodb, *items: dict) -> None:
    """One stream batch of these events."""
    store_and_deliver(dynamodb, list(items))


def usage_cents(api) -> tuple[int, str]:
    response = api.get(USAGE)
    assert response.status_code == 200, response.body
    charge = response.json_body["customer_usage"]["charges_usage"][0]
    return charge["amount_cents"], charge["units"]


def tables_read(api) -> list[tuple[str, str]]:
    """The (operation, table) of each DynamoDB request one current-usage request makes."""
    requests = []

    def record(model, params, **_):
        requests.append((model.name, params.get("TableName", "")))

    events = repositories().client.meta.events
    events.register("before-parameter-build.dynamodb", record)
    try:
        assert api.get(USAGE).status_code == 200
    finally:
        events.unregister("before-parameter-build.dynamodb", record)
    return requests


def november_charge_fee(organization_id: str) -> int:
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    (november,) = repositories().invoices.list_page(organization_id, 1, 100)
    (charge_fee,) = [fee for fee in november.fees if fee.fee_type == "charge"]
    return charge_fee.amount_cents


def test_the_first_three_events_free_in_current_usage_as_on_the_invoice(api, dynamodb, tenant):
    """The issue's case: rate 1.3 %, 2 EUR a transaction, the first 3 events free. By time: 50 (2 Nov), 100 (3 Nov),
    250 (4 Nov), 400 (5 Nov), delivered 400, 50, 250, 100 in four batches.
    - 400 alone: its total 400 is free -> 0. With 50: totals 50, 450 free -> 0. With 250: 50, 300, 700 -> 0.
    - All four: the first 3 events total 400: (800 - 400) x 1.3 % = 5.20, and the 4th pays 2 -> 7.20 EUR."""
    org = tenant.organization_id
    percentage_plan(api, {"rate": "1.3", "fixed_amount": "2.0", "free_units_per_events": 3})
    seen = []
    for day, amount in ((5, 400), (2, 50), (4, 250), (3, 100)):
        send(dynamodb, payment(org, day, amount))
        seen.append(usage_cents(api))
    assert seen == [(0, "400.0"), (0, "450.0"), (0, "700.0"), (520 + 200, "800.0")]
    assert november_charge_fee(org) == 720
    # What the aggregator kept is what a recomputation from the stored events gives.
    assert UsageRebuild(repositories()).rebuild(org, "sub").differences == []


def test_per_transaction_bounds_in_current_usage_as_on_the_invoice(api, dynamodb, tenant):
    """rate 2 %, 0.50 a transaction, the first 100 of value free, each transaction between 1 and 5 EUR. By time: 60
    (free, 40 left), 70 (pays on 30: 0.60 + 0.50 = 1.10), 30 (1.10), 500 (10.50, capped at 5), 10 (0.70, raised to 1).
    500 and 10 first: 500 pays on 400 (8.50, capped at 5), 10 pays 1 -> 6 EUR; then all five: 8.20 EUR."""
    org = tenant.organization_id
    percentage_plan(api, {"rate": "2", "fixed_amount": "0.5", "free_units_per_total_aggregation": "100",
                          "per_transaction_min_amount": "1", "per_transaction_max_amount": "5"})
    send(dynamodb, payment(org, 20, 500), payment(org, 25, 10))
    assert usage_cents(api) == (500 + 100, "510.0")
    send(dynamodb, payment(org, 10, 30), payment(org, 3, 60))
    send(dynamodb, payment(org, 7, 70))
    assert usage_cents(api) == (110 + 110 + 500 + 100, "670.0")
    assert november_charge_fee(org) == 820


def test_current_usage_reads_no_event_however_many_there_are(api, dynamodb, tenant):
    """The first 3 events free, rate 1 %: 3 events of 100 are free; each later one of 100 pays 1 EUR. The same
    requests with 4 events as with 40, and none of them reads the events table."""
    org = tenant.organization_id
    percentage_plan(api, {"rate": "1", "free_units_per_events": 3})
    send(dynamodb, *(payment(org, day, 100) for day in (2, 3, 4, 5)))
    assert usage_cents(api) == (100, "400.0")
    few = tables_read(api)
    send(dynamodb, *(event_item(org, f"more-{n}", epoch_ms(datetime(2026, 11, 6, tzinfo=UTC)) + n, "payments",
                                {"amount": 100}) for n in range(36)))
    assert usage_cents(api) == (3700, "4000.0")
    assert tables_read(api) == few
    assert EVENTS.name not in {table for _, table in few}


def test_a_charge_edited_mid_period_is_priced_from_the_events_with_its_new_properties(api, dynamodb, tenant):
    """The bounds case above, then the plan's charge edited to rate 4 %: what the aggregator kept was for 2 %, so
    pricing reads the period's events (one Query of the events table): 70 pays on 30 (1.20 + 0.50 = 1.70), 30 pays
    1.70, 500 pays 5, 10 pays 0.90 raised to 1 -> 9.40 EUR; an event after the edit (200 on 26 Nov: 8.50, capped at
    5) is priced the same way, and the invoice agrees."""
    org = tenant.organization_id
    properties = {"rate": "2", "fixed_amount": "0.5", "free_units_per_total_aggregation": "100",
                  "per_transaction_min_amount": "1", "per_transaction_max_amount": "5"}
    plan = percentage_plan(api, properties)
    send(dynamodb, *(payment(org, day, amount) for day, amount in ((3, 60), (7, 70), (10, 30), (20, 500), (25, 10))))
    assert usage_cents(api)[0] == 820
    charge = plan["charges"][0]
    response = api.put("/api/v1/plans/startup", {"plan": {"charges": [{
        "id": charge["lago_id"], "billable_metric_id": charge["lago_billable_metric_id"], "charge_model": "percentage",
        "properties": {**properties, "rate": "4"}}]}})
    assert response.status_code == 200, response.body
    assert usage_cents(api)[0] == 170 + 170 + 500 + 100
    assert ("Query", EVENTS.name) in tables_read(api)
    send(dynamodb, payment(org, 26, 200))
    assert usage_cents(api)[0] == 940 + 500
    assert november_charge_fee(org) == 1440


def test_each_pricing_group_has_its_own_free_events(api, dynamodb, tenant):
    """rate 1 %, the first event free, grouped by country: fr 100 (free) and 50 -> 0.50; us 200 (free) and 300 ->
    3.00; 3.50 EUR, where one allowance over all four (100 free) would be (650 - 100) x 1 % = 5.50."""
    org = tenant.organization_id
    percentage_plan(api, {"rate": "1", "free_units_per_events": 1, "pricing_group_keys": ["country"]})
    send(dynamodb, *(event_item(org, f"pay-{day}", epoch_ms(datetime(2026, 11, day, tzinfo=UTC)), "payments",
                                {"amount": amount, "country": country})
                     for day, country, amount in ((5, "us", 300), (3, "fr", 50), (2, "fr", 100), (4, "us", 200))))
    charge = api.get(USAGE).json_body["customer_usage"]["charges_usage"][0]
    assert charge["amount_cents"] == 50 + 300
    assert sorted((group["grouped_by"]["country"], group["amount_cents"]) for group in charge["grouped_usage"]) == [
        ("fr", 50), ("us", 300)]
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    (november,) = repositories().invoices.list_page(org, 1, 100)
    assert sorted(fee.amount_cents for fee in november.fees if fee.fee_type == "charge") == [50, 300]

"""Issue 15, cases 1 to 3: every number an aggregation or a price takes in is checked where it enters, so what is
accepted can always be aggregated and priced. The limit (docs/pricing.md, "Limits"): 15 digits before the decimal
point and 15 after. At its edge: the smallest refused is 422 naming the field, the largest accepted is aggregated,
shown in current usage and invoiced to the cent (amounts worked out by hand below)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from builders import create_clock, create_metric, create_plan, subscribe_now
from test_test_clocks import advance, apply_stored_events, customer_on, invoices_of

from chalicelib.store.tables import EVENTS

LARGEST = "999999999999999.999999999999999"  # 15 nines, the point, 15 nines: 10^15 - 10^-15
REFUSED = {
    "60 nines as a string (case 1)": "9" * 60,
    "38 digits as a JSON number (case 3)": Decimal("9" * 38),
    "10^15": "1000000000000000",
    "16 decimals": "0.0000000000000001",
}


@pytest.fixture
def metered(api):
    """Sum metric `volume` on `amount`; a customer on a clock at 15 January 2026 subscribed to `priced`, whose
    standard charge costs the largest accepted amount per unit (and no base fee)."""
    metric = create_metric(api, "volume", "sum_agg", "amount")
    create_plan(api, "priced", amount_cents=0, charges=[{"billable_metric_id": metric["lago_id"],
                                                         "charge_model": "standard",
                                                         "properties": {"amount": LARGEST}}])
    clock = create_clock(api, "2026-01-15T00:00:00Z")
    customer_on(api, clock, "big")
    subscribe_now(api, external_customer_id="big", external_id="big-sub", plan_code="priced")
    return clock


def send(api, transaction_id: str, amount):
    """The event with `amount` as a JSON string, or, a Decimal, as a JSON number written out digit by digit."""
    value = str(amount) if isinstance(amount, Decimal) else json.dumps(amount)
    return api.request("POST", "/api/v1/events", raw=(
        f'{{"event": {{"transaction_id": "{transaction_id}", "external_subscription_id": "big-sub", '
        f'"code": "volume", "properties": {{"amount": {value}}}}}}}').encode())


@pytest.mark.parametrize("amount", list(REFUSED.values()), ids=list(REFUSED))
def test_an_event_value_beyond_the_limit_is_refused_and_not_stored(api, metered, dynamodb, amount):
    response = send(api, "too-big", amount)
    assert response.status_code == 422, response.body
    assert response.json_body["error_details"] == {"amount": ["value_is_out_of_range"]}
    assert dynamodb.scan(TableName=EVENTS.name)["Items"] == []


@pytest.mark.parametrize("aggregation_type", ["max_agg", "latest_agg", "weighted_sum_agg"])
def test_every_numeric_aggregation_refuses_a_value_beyond_the_limit(api, aggregation_type):
    metric = create_metric(api, "other", aggregation_type, "amount")
    create_plan(api, "other-plan", charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                             "properties": {"amount": "1"}}])
    create_clock_and_subscribe(api)
    response = api.post("/api/v1/events", {"event": {"transaction_id": "t", "external_subscription_id": "other-sub",
                                                     "code": "other", "properties": {"amount": "9" * 16}}})
    assert response.json_body["error_details"] == {"amount": ["value_is_out_of_range"]}


def test_the_largest_value_at_the_largest_price_is_shown_and_invoiced_to_the_cent(api, metered):
    assert send(api, "largest-text", LARGEST).status_code == 200
    assert send(api, "largest-number", Decimal(LARGEST)).status_code == 200
    apply_stored_events()
    # Two events of L = 10^15 - 10^-15 = (10^30 - 1) / 10^15: 2L units, each at L EUR: 2L^2 = 2(10^30 - 1)^2 / 10^30
    # EUR = 2(10^30 - 1)^2 / 10^28 cents = 2 x 10^32 - 400 + 2 x 10^-28 cents -> 2 x 10^32 - 400, in integers:
    whole_cents, rest = divmod(2 * (10 ** 30 - 1) ** 2, 10 ** 28)
    expected = whole_cents + (2 * rest >= 10 ** 28)
    assert expected == 2 * 10 ** 32 - 400
    usage = api.get("/api/v1/customers/big/current_usage?external_subscription_id=big-sub").json_body
    assert (usage["customer_usage"]["amount_cents"], usage["customer_usage"]["charges_usage"][0]["units"]) == (
        expected, "1999999999999999.999999999999998")  # 2L, every digit
    # With 20 % VAT: (2 x 10^32 - 400) x 20 / 100 = 4 x 10^31 - 80 cents of taxes, exactly.
    assert api.post("/api/v1/customers", {"customer": {"external_id": "big", "vat_rate": 20}}).status_code == 200
    taxes = 4 * 10 ** 31 - 80
    usage = api.get("/api/v1/customers/big/current_usage?external_subscription_id=big-sub").json_body
    assert (usage["customer_usage"]["taxes_amount_cents"], usage["customer_usage"]["total_amount_cents"]) == (
        taxes, expected + taxes)
    assert advance(api, metered, "2026-02-01T01:00:00Z").json_body["test_clock"]["status"] == "ready"
    (invoice,) = invoices_of(api, "big")
    assert (invoice["fees_amount_cents"], invoice["taxes_amount_cents"], invoice["total_amount_cents"]) == (
        expected, taxes, expected + taxes)


@pytest.mark.parametrize(("properties", "field", "code"), [
    ({"amount": "1e400"}, "amount", "invalid_amount"),  # case 2
    ({"amount": "1000000000000000"}, "amount", "invalid_amount"),
    ({"amount": "0.0000000000000001"}, "amount", "invalid_amount"),
])
def test_a_charge_amount_beyond_the_limit_is_refused(api, properties, field, code):
    metric = create_metric(api, "volume", "sum_agg", "amount")
    response = api.post("/api/v1/plans", {"plan": {
        "name": "p", "code": "p", "interval": "monthly", "amount_cents": 0, "amount_currency": "EUR",
        "pay_in_advance": False, "charges": [{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                              "properties": properties}]}})
    assert response.status_code == 422, response.body
    assert response.json_body["error_details"] == {f"charges.0.properties.{field}": [code]}
    assert api.get("/api/v1/plans/p").status_code == 404


def _one_event_cents(numerator_factor: int, denominator: int) -> int:
    """Cents of L x factor / denominator EUR, L = (10^30 - 1) / 10^15, rounded half-up, in integers."""
    whole, rest = divmod((10 ** 30 - 1) * numerator_factor * 100, 10 ** 15 * denominator)
    return whole + (2 * rest >= 10 ** 15 * denominator)


@pytest.mark.parametrize(("aggregation_type", "expected"), [
    # One event of L at 1 EUR a unit: L EUR = 10^17 - 10^-13 cents -> 10^17.
    ("max_agg", _one_event_cents(1, 1)),
    ("latest_agg", _one_event_cents(1, 1)),
    # Weighted over the month: L from 15 January 00:00 to the month's end, 17 of 31 days: L x 17/31 EUR
    # = 54838709677419354.84 cents -> 54838709677419355.
    ("weighted_sum_agg", _one_event_cents(17, 31)),
])
def test_the_largest_value_is_aggregated_and_priced_by_every_numeric_aggregation(api, aggregation_type, expected):
    assert (_one_event_cents(1, 1), _one_event_cents(17, 31)) == (10 ** 17, 54838709677419355)
    metric = create_metric(api, "other", aggregation_type, "amount")
    create_plan(api, "other-plan", amount_cents=0, charges=[{"billable_metric_id": metric["lago_id"],
                                                             "charge_model": "standard",
                                                             "properties": {"amount": "1"}}])
    create_clock_and_subscribe(api)
    response = api.post("/api/v1/events", {"event": {"transaction_id": "t", "external_subscription_id": "other-sub",
                                                     "code": "other", "properties": {"amount": LARGEST}}})
    assert response.status_code == 200, response.body
    apply_stored_events()
    usage = api.get("/api/v1/customers/other-customer/current_usage?external_subscription_id=other-sub").json_body
    assert usage["customer_usage"]["amount_cents"] == expected


def create_clock_and_subscribe(api) -> None:
    """A customer on a clock at 15 January 2026, subscribed to `other-plan` from then."""
    clock = create_clock(api, "2026-01-15T00:00:00Z")
    customer_on(api, clock, "other-customer")
    subscribe_now(api, external_customer_id="other-customer", external_id="other-sub", plan_code="other-plan")

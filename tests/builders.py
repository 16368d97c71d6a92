"""The one home of the records a test builds through the HTTP API (conftest.py's `api`): metrics, plans, customers,
subscriptions, test clocks and events, each POSTed with Lago's body and returned as the API shows it.

Defaults are the usual catalog of the tests: customer `cust` subscribed as `sub` to plan `startup` (1000 cents a
month in arrears). A field given as `...` is left out of the body; `None` is sent as null unless said otherwise."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

METRICS = "/api/v1/billable_metrics"
PLANS = "/api/v1/plans"
CUSTOMERS = "/api/v1/customers"
SUBSCRIPTIONS = "/api/v1/subscriptions"
EVENTS = "/api/v1/events"
CLOCKS = "/api/v1/test_clocks"
SUBSCRIBED_AT = "2026-11-17T10:00:00Z"


class Api(Protocol):
    """What the builders need of conftest.py's `Api`: a POST of a JSON body."""

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any: ...


def given(body: dict) -> dict:
    """The body without the fields a test left out (given as `...`)."""
    return {name: value for name, value in body.items() if value is not ...}


def created(response: Any, root: str) -> dict:
    """The record an answer created; the test fails with the answer on anything but 200."""
    assert response.status_code == 200, response.body
    return response.json_body[root]


def create(api: Api, path: str, root: str, body: dict) -> dict:
    """POSTs `{root: body}` and returns the created record."""
    return created(api.post(path, {root: given(body)}), root)


def create_metric(api: Api, code: str, aggregation_type: str = "count_agg", field_name: str | None = None,
                  **fields) -> dict:
    """A metric named after its code; without a field name the body has none."""
    body = {"name": code, "code": code, "aggregation_type": aggregation_type, **fields}
    if field_name:
        body["field_name"] = field_name
    return create(api, METRICS, "billable_metric", body)


def standard_charge(metric: dict, amount: str = "1", **fields) -> dict:
    """A charge of `amount` EUR a unit on the metric."""
    return {"billable_metric_id": metric["lago_id"], "charge_model": "standard", "properties": {"amount": amount},
            **fields}


def plan_body(code: str = "startup", **fields) -> dict:
    """A monthly plan in arrears of 1000 cents, named after its code, with the charges given in `fields`."""
    return given({"name": f"Plan {code}", "code": code, "interval": "monthly", "amount_cents": 1000,
                  "amount_currency": "EUR", "pay_in_advance": False, **fields})


def create_plan(api: Api, code: str = "startup", **fields) -> dict:
    return create(api, PLANS, "plan", plan_body(code, **fields))


def create_customer(api: Api, external_id: str = "cust", **fields) -> dict:
    return create(api, CUSTOMERS, "customer", {"external_id": external_id, "name": f"Customer {external_id}",
                                               **fields})


def subscription_body(**fields) -> dict:
    """Customer `cust` on plan `startup` as subscription `sub` from 17 November 2026, unless `fields` say otherwise."""
    return given({"external_customer_id": "cust", "plan_code": "startup", "external_id": "sub",
                  "subscription_at": SUBSCRIBED_AT, **fields})


def subscribe(api: Api, **fields) -> dict:
    return create(api, SUBSCRIPTIONS, "subscription", subscription_body(**fields))


def subscribe_new_customer(api: Api, **fields) -> dict:
    """Customer `cust` and plan `startup` created, then subscribed as `subscribe` does with `fields`."""
    create_customer(api)
    create_plan(api)
    return subscribe(api, **fields)


def subscribe_now(api: Api, **fields) -> dict:
    """A subscription from the customer's "now" (its test clock's time, if it has one) unless `fields` date it."""
    return subscribe(api, **{"subscription_at": ..., **fields})


def create_clock(api: Api, frozen_time: str, name: str = "simulation") -> dict:
    return create(api, CLOCKS, "test_clock", {"name": name, "frozen_time": frozen_time})


def send_event(api: Api, transaction_id: str, code: str, external_subscription_id: str = "sub",
               timestamp: datetime | None = None, properties: dict | None = None) -> dict:
    """An event of the subscription, at `timestamp` (whole seconds) or, without one, when the API receives it."""
    body: dict = {"transaction_id": transaction_id, "external_subscription_id": external_subscription_id,
                  "code": code}
    if timestamp is not None:
        body["timestamp"] = int(timestamp.timestamp())
    if properties is not None:
        body["properties"] = properties
    return create(api, EVENTS, "event", body)

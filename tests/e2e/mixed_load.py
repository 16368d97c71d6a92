"""Mixed client load on the local stack, shared by `make load` and `make soak`: a stack of their own, a catalog (a count metric, a plan at
1 cent a call), one client's mixed requests, and how many of its events the stack counted."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from local_stack import RunningStack, running_stack

REQUESTS_PER_CLIENT = 50
EVENTS_PER_BATCH = 10


@pytest.fixture(scope="module", name="stack")
def stack_of_its_own() -> Iterator[RunningStack]:
    """A stack of its own, not the test process's: its stop after the load is what `make load` and `make soak`
    measure."""
    with running_stack() as running:
        yield running


@pytest.fixture(scope="module", name="api_key")
def bootstrap_key(stack: RunningStack) -> str:
    """The bootstrap organization's key, the one the mixed clients use."""
    return stack.api_key


def create_catalog(http) -> None:
    """A count metric and a plan charging 1 cent a call."""
    assert http.post("/api/v1/billable_metrics", json={"billable_metric": {
        "name": "Load", "code": "load_calls", "aggregation_type": "count_agg"}}).status_code == 200
    assert http.post("/api/v1/plans", json={"plan": {
        "name": "Load", "code": "load", "interval": "monthly", "amount_cents": 0, "amount_currency": "EUR",
        "pay_in_advance": False, "charges": [{"billable_metric_code": "load_calls", "charge_model": "standard",
                                              "properties": {"amount": "0.01"}}]}}).status_code == 200


def client_of(stack) -> httpx.Client:
    return httpx.Client(base_url=stack.api_url, timeout=60, headers={
        "Authorization": f"Bearer {stack.api_key}", "Content-Type": "application/json"})


def mixed_requests(stack, name: str) -> tuple[Counter, int]:
    """One client's 50 requests in turn for customer `name`: a customer upsert, its subscription (idempotent after
    the first), a batch of 10 events, its current usage and the customer list. (status counts, events accepted)."""
    statuses, accepted = Counter(), 0
    customer, subscription = name, f"{name}-sub"
    with client_of(stack) as client:
        for index in range(REQUESTS_PER_CLIENT):
            step = index % 5
            if step == 0:
                response = client.post("/api/v1/customers", json={"customer": {
                    "external_id": customer, "name": f"Load {name} {index}"}})
            elif step == 1:
                response = client.post("/api/v1/subscriptions", json={"subscription": {
                    "external_customer_id": customer, "plan_code": "load", "external_id": subscription}})
            elif step == 2:
                response = client.post("/api/v1/events/batch", json={"events": [
                    {"transaction_id": f"{subscription}-{index}-{event}", "external_subscription_id": subscription,
                     "code": "load_calls"} for event in range(EVENTS_PER_BATCH)]})
                accepted += EVENTS_PER_BATCH if response.status_code == 200 else 0
            elif step == 3:
                response = client.get(f"/api/v1/customers/{customer}/current_usage",
                                      params={"external_subscription_id": subscription})
            else:
                response = client.get("/api/v1/customers", params={"per_page": 5})
            statuses[response.status_code] += 1
    return statuses, accepted


def counted(stack, name: str) -> int:
    """The events the stack counted for customer `name`'s subscription (its current usage)."""
    with client_of(stack) as client:
        usage = client.get(f"/api/v1/customers/{name}/current_usage",
                           params={"external_subscription_id": f"{name}-sub"}).json()
    return sum(charge["events_count"] for charge in usage["customer_usage"]["charges_usage"])

"""Issue 15, case 7: the local stack under parallel clients answers only what the API documents (no 5xx, no
traceback in its log) and counts every accepted event once; after 10,000 events it still stops within 5 s of
SIGINT with both ports freed (the module's `stack` fixture checks the stop, the log and the ports).

About 2.5 minutes on 2 cores, so `make load` runs it, not `make test` (marker `load`)."""
from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

# The module's own stack and its bootstrap key (fixtures named `stack` and `api_key`).
from mixed_load import (  # noqa: F401
    EVENTS_PER_BATCH,
    REQUESTS_PER_CLIENT,
    bootstrap_key,
    counted,
    create_catalog,
    mixed_requests,
    stack_of_its_own,
)

pytestmark = [pytest.mark.e2e, pytest.mark.load]

THREADS = 16


@pytest.fixture(scope="module")
def catalog(http):
    create_catalog(http)


def test_sixteen_clients_at_once_get_no_5xx_and_every_accepted_event_is_counted(stack, catalog):
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda thread: mixed_requests(stack, f"load-{thread}"), range(THREADS)))
    statuses = sum((client_statuses for client_statuses, _ in results), Counter())
    assert sum(statuses.values()) == THREADS * REQUESTS_PER_CLIENT
    assert not [status for status in statuses if status >= 500], statuses
    deadline = time.monotonic() + 60
    expected = [accepted for _, accepted in results]
    assert expected == [REQUESTS_PER_CLIENT // 5 * EVENTS_PER_BATCH] * THREADS  # every batch was accepted
    while [counted(stack, f"load-{thread}") for thread in range(THREADS)] != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [counted(stack, f"load-{thread}") for thread in range(THREADS)] == expected
    assert "Traceback" not in stack.output()


def test_ten_thousand_events_then_the_stack_still_stops_within_5_s(stack, catalog, http):
    """The stop itself is measured by the module's `stack` fixture, after this test (printed with -s)."""
    assert http.post("/api/v1/customers", json={"customer": {"external_id": "bulk", "name": "Bulk"}}).status_code == 200
    assert http.post("/api/v1/subscriptions", json={"subscription": {
        "external_customer_id": "bulk", "plan_code": "load", "external_id": "bulk-sub"}}).status_code == 200
    for batch in range(100):
        response = http.post("/api/v1/events/batch", json={"events": [
            {"transaction_id": f"bulk-{batch}-{event}", "external_subscription_id": "bulk-sub", "code": "load_calls"}
            for event in range(100)]})
        assert response.status_code == 200, response.text

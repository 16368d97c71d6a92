"""Ingestion when DynamoDB fails part-way, and two identical requests racing: a write failing half-way
through a batch answers a retryable 503, and the same request again completes it with exactly one item per
event; the loser of a race on one transaction_id gets the winner's event back."""
from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest
from botocore.exceptions import ClientError
from interleaving import competing
from test_events import BATCH, create_catalog, event, post, stored_items

from chalicelib.store.repositories import repositories

SERVICE_UNAVAILABLE = {"status": 503, "error": "Service Unavailable", "code": "service_unavailable"}


@pytest.fixture
def setup(api):
    return create_catalog(api)


def failing_put_item(nth: int):
    """A botocore hook making the `nth` PutItem (from 1, counted across the batch's threads) fail."""
    counter, lock = itertools.count(1), threading.Lock()

    def hook(**_):
        with lock:
            call = next(counter)
        if call == nth:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "PutItem")
        return None

    return hook


def test_a_write_failing_half_way_is_a_503_and_the_retry_completes_without_duplicates(api, setup, dynamodb):
    batch = {"events": [event(transaction_id=f"b-{i}", timestamp=1651240791 + i) for i in range(30)]}
    client_events = repositories().client.meta.events
    hook = failing_put_item(15)
    client_events.register("before-call.dynamodb.PutItem", hook)
    try:
        failed = api.post(BATCH, batch)
    finally:
        client_events.unregister("before-call.dynamodb.PutItem", hook)
    assert (failed.status_code, failed.json_body) == (503, SERVICE_UNAVAILABLE)
    assert len(stored_items(dynamodb)) == 29  # every other write of the batch was done

    retried = api.post(BATCH, batch)
    assert retried.status_code == 200, retried.body
    items = stored_items(dynamodb)
    assert Counter(item["transaction_id"]["S"] for item in items) == {f"b-{i}": 1 for i in range(30)}
    # The events written by the failed request are the ones shown (same lago_id as stored).
    shown = {item["transaction_id"]: item["lago_id"] for item in retried.json_body["events"]}
    assert shown == {item["transaction_id"]["S"]: item["lago_id"]["S"] for item in items}


def test_a_single_event_whose_write_fails_is_a_503_and_nothing_is_stored(api, setup, dynamodb):
    client_events = repositories().client.meta.events
    hook = failing_put_item(1)
    client_events.register("before-call.dynamodb.PutItem", hook)
    try:
        failed = post(api)
    finally:
        client_events.unregister("before-call.dynamodb.PutItem", hook)
    assert (failed.status_code, failed.json_body) == (503, SERVICE_UNAVAILABLE)
    assert stored_items(dynamodb) == []
    assert post(api).status_code == 200


def test_two_identical_requests_racing_store_one_event_and_both_get_it(api, setup, dynamodb):
    with competing("PutItem", lambda: post(api)) as rival:
        mine = post(api)
    assert rival[0].status_code == 200 and mine.status_code == 200
    assert mine.json_body == rival[0].json_body
    assert len(stored_items(dynamodb)) == 1


def test_a_different_event_winning_the_race_makes_the_loser_value_already_exist(api, setup, dynamodb):
    with competing("PutItem", lambda: post(api, properties={"a": 1})) as rival:
        mine = post(api, properties={"a": 2})
    assert rival[0].status_code == 200
    assert mine.status_code == 422
    assert mine.json_body["error_details"] == {"transaction_id": ["value_already_exist"]}
    assert len(stored_items(dynamodb)) == 1

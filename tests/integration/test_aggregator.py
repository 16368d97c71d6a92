"""The stream aggregator against moto: hand-worked aggregates of count, sum, max and latest per filter bucket and
default bucket, events across a period boundary (to the millisecond), events before the start or after the
termination not billed, a redelivered batch applied once, the writes per batch bounded by the distinct
aggregates touched, and a unique-count value written by two shards at once or whose answer was lost counted once. The exactly-once property runs on the fakes: tests/unit/test_aggregator_exactly_once.py."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from botocore.exceptions import EndpointConnectionError
from interleaving import competing, on_transaction
from usage_fixtures import (
    EU,
    FEBRUARY,
    JANUARY_START,
    STARTED,
    US,
    aggregates,
    deliver,
    event_item,
    setup_usage,
    stream_record,
)

from chalicelib.domain.aggregate_keys import bucket_key
from chalicelib.domain.aggregations.latest import Latest
from chalicelib.domain.aggregations.max import Maximum
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.unique_count import ActiveValues
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.subscriptions import terminated_subscription
from chalicelib.store.repositories import repositories


@pytest.fixture
def usage(api, tenant):
    return setup_usage(api)


def test_bucket_key_is_stable_and_canonical():
    assert bucket_key(None) == "default"
    assert bucket_key({"region": ["us", "eu"], "tier": ["a"]}) == bucket_key({"tier": ["a"], "region": ["eu", "us"]})
    assert bucket_key({"region": ["eu"]}) != bucket_key({"region": ["us"]})


def test_hand_worked_aggregates_per_bucket_and_period(tenant, usage):
    org, sub, charges = tenant.organization_id, usage["subscription"]["lago_id"], usage["charges"]
    t = epoch_ms(STARTED)
    items = [
        event_item(org, "a", t, "calls", {"region": "eu"}),
        event_item(org, "b", t + 1, "calls", {"region": "us"}),
        event_item(org, "c", t + 2, "calls", {}),
        event_item(org, "d", FEBRUARY - 1, "calls", {"region": "eu"}),   # last millisecond of January's period
        event_item(org, "e", FEBRUARY, "calls", {"region": "eu"}),       # first of February's
        event_item(org, "f", t + 5, "bytes", {"region": "eu", "size": 10}),
        event_item(org, "g", t + 6, "bytes", {"region": "eu", "size": "2.5"}),
        event_item(org, "h", t + 7, "bytes", {"size": -3}),
        event_item(org, "i", t + 8, "bytes", {"size": "1e3"}),            # not numeric: left out
        event_item(org, "j", t + 9, "peak", {"size": 4}),
        event_item(org, "k", t + 10, "peak", {"size": 9}),
        event_item(org, "l", t + 11, "peak", {"size": 7}),
        event_item(org, "m", t + 12, "last", {"region": "us", "size": 5}),
        event_item(org, "n", t + 12, "last", {"region": "us", "size": 6}),  # same ms: greater transaction_id wins
        event_item(org, "o", t + 3, "last", {"region": "us", "size": 8}),
        event_item(org, "p", t - 1, "calls", {}),                          # before the start: not billed
    ]
    assert deliver([stream_record(item) for item in items[:7]]) == {"batchItemFailures": []}
    assert deliver([stream_record(item) for item in items[7:]]) == {"batchItemFailures": []}

    january = aggregates(org, sub, JANUARY_START)
    assert {key: stored.state for key, stored in january.items()} == {
        (charges["calls"], EU): 2, (charges["calls"], US): 1, (charges["calls"], "default"): 1,
        (charges["bytes"], EU): Totals(Decimal("12.5"), 2), (charges["bytes"], "default"): Totals(Decimal(-3), 1),
        (charges["peak"], "default"): Maximum(Decimal(9), 3),
        (charges["last"], US): Latest(Decimal(6), t + 12, "n", 3)}
    assert january[(charges["calls"], EU)].events_count == 2
    assert january[(charges["calls"], EU)].window_start_ms == t
    assert january[(charges["calls"], EU)].period_end_ms == FEBRUARY
    february = aggregates(org, sub, FEBRUARY)
    assert {key: stored.state for key, stored in february.items()} == {(charges["calls"], EU): 1}


def test_a_redelivered_batch_is_applied_once(tenant, usage):
    org, sub, charges = tenant.organization_id, usage["subscription"]["lago_id"], usage["charges"]
    t = epoch_ms(STARTED)
    records = [stream_record(event_item(org, "a", t, "calls")),
               stream_record(event_item(org, "b", t + 1, "bytes", {"size": 4})),
               stream_record(event_item(org, "c", t + 2, "peak", {"size": 3})),
               stream_record(event_item(org, "d", t + 3, "seen", {"size": 1}))]
    later = [stream_record(event_item(org, "e", t + 4, "peak", {"size": 5})),
             stream_record(event_item(org, "f", t + 5, "bytes", {"size": 1}))]
    assert deliver(records) == {"batchItemFailures": []}
    assert deliver(records) == {"batchItemFailures": []}  # the whole batch again
    assert deliver(records[2:] + later) == {"batchItemFailures": []}  # from a failed record on, with newer ones
    january = aggregates(org, sub, JANUARY_START)
    assert {key: stored.state for key, stored in january.items()} == {
        (charges["calls"], "default"): 1, (charges["bytes"], "default"): Totals(Decimal(5), 2),
        (charges["peak"], "default"): Maximum(Decimal(5), 2),
        (charges["seen"], "default"): ActiveValues(1, frozenset({FEBRUARY}))}
    assert repositories().usage.applied_events(org, sub, JANUARY_START) == 6
    assert [len(values) for values in repositories().usage.stored_values(org, sub, JANUARY_START).values()] == [1]


def test_events_after_termination_are_not_billed(tenant, usage):
    org, charges = tenant.organization_id, usage["charges"]
    store = repositories().subscriptions
    subscription = store.get(org, usage["subscription"]["lago_id"])
    terminated_at = STARTED + timedelta(days=3)
    plan = repositories().plans.get(org, subscription.plan_id)
    unit = repositories().unit_of_work()
    repositories().plans.stage_subscription_count(unit, plan, -1)
    store.stage_replace(unit, subscription, terminated_subscription(subscription, terminated_at))
    unit.commit()
    end = epoch_ms(terminated_at)
    deliver([stream_record(event_item(org, "in", end + 999)),     # within the termination second: billed
             stream_record(event_item(org, "out", end + 1000))])  # after it: not
    assert {key: stored.state for key, stored in aggregates(org, subscription.id, JANUARY_START).items()} == {
        (charges["calls"], "default"): 1}


def test_writes_per_batch_are_bounded_by_the_aggregates_touched(tenant, usage, dynamodb):
    org, sub = tenant.organization_id, usage["subscription"]["lago_id"]
    t = epoch_ms(STARTED)
    items = [event_item(org, f"tx-{n}", t + n * 1000, code, {"region": region, "size": n})
             for n in range(60) for code, region in [(("calls", "bytes", "peak")[n % 3], ("eu", "us", "xx")[n % 5 % 3])]]
    touched = {(item["code"], item["properties"]["region"]) for item in items}
    calls = []

    def count_writes(**_):
        calls.append(1)

    events = repositories().client.meta.events
    events.register("before-call.dynamodb.UpdateItem", count_writes)
    try:
        assert deliver([stream_record(item) for item in items]) == {"batchItemFailures": []}
    finally:
        events.unregister("before-call.dynamodb.UpdateItem", count_writes)
    # Plus the period's applied-events counter (every event is in January): one more aggregate.
    assert len(calls) <= len(touched) + 1 == 10
    assert sum(stored.events_count for stored in aggregates(org, sub, JANUARY_START).values()) == 60


def test_two_shards_on_one_value_and_a_lost_answer_count_it_once(tenant, usage):
    """Shard 1 adds value 1 at t + 1; just before its transaction, shard 2 removes it at t + 2 (a deliberate
    interleaving): shard 1's write is refused, read again and applied. Then an add at t + 3 whose transaction is
    applied but its answer lost: the retry, and a redelivery, find it counted and write nothing."""
    org, sub, charges = tenant.organization_id, usage["subscription"]["lago_id"], usage["charges"]
    t = epoch_ms(STARTED)
    added = [stream_record(event_item(org, "s1", t + 1, "seen", {"size": 1}))]
    removed = [stream_record(event_item(org, "s2", t + 2, "seen", {"size": 1, "operation_type": "remove"}))]
    with competing("TransactWriteItems", lambda: deliver(removed, shard="shardId-2")) as rival:
        assert deliver(added) == {"batchItemFailures": []}
    assert rival == [{"batchItemFailures": []}]
    summary = (charges["seen"], "default")
    assert aggregates(org, sub, JANUARY_START)[summary].state == ActiveValues(1 - 1, frozenset({FEBRUARY}))

    again = [stream_record(event_item(org, "s3", t + 3, "seen", {"size": 1}))]

    def lost_answer() -> None:
        raise EndpointConnectionError(endpoint_url="https://dynamodb")
    with on_transaction(1, lost_answer, when="after"):
        # Written, its answer lost: retried value by value at once, the value is found counted.
        assert deliver(again) == {"batchItemFailures": []}
    assert deliver(again) == {"batchItemFailures": []}  # and redelivered: nothing moves
    assert aggregates(org, sub, JANUARY_START)[summary].state == ActiveValues(1 - 1 + 1, frozenset({FEBRUARY}))
    (values,) = repositories().usage.stored_values(org, sub, JANUARY_START).values()
    assert values["1"].counted == 1 and len(values["1"].operations) == 3

"""Exactly once: random events of count, sum, max, latest and unique count (timestamps on the period boundary to the millisecond included), two synthetic
shards, random batchings, duplicate deliveries and a crash between any two writes of the handler, compared with
an independent naive computation over the distinct stored events; with the watermark check patched out, a
redelivery double-counts."""
from __future__ import annotations

from decimal import Decimal
from itertools import count, zip_longest

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from usage_fixtures import (
    FEBRUARY,
    JANUARY_START,
    REGIONS,
    STARTED,
    aggregates,
    deliver,
    event_item,
    setup_usage,
    stream_record,
)

import chalicelib.store.usage as usage_store
from chalicelib.domain.aggregate_keys import APPLIED_EVENTS_CHARGE, bucket_key
from chalicelib.domain.aggregations.latest import Latest
from chalicelib.domain.aggregations.max import Maximum
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.unique_count import Operation
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import USAGE

START = epoch_ms(STARTED)
TIMESTAMPS = st.sampled_from([START - 1, START, START + 1, FEBRUARY - 1, FEBRUARY, FEBRUARY + 1, START + 86_400_000])
EVENT = st.tuples(TIMESTAMPS, st.sampled_from(["calls", "bytes", "peak", "last", "seen"]),
                  st.sampled_from(["eu", "us", None]), st.integers(-3, 9), st.integers(0, 1))
_examples = count()


class Crash(BaseException):
    """The Lambda process dying between two writes (not an error the handler could catch)."""


def naive(events: list[tuple[str, int, str, str | None, int]], charges: dict) -> dict:
    """Expected aggregates by (period start, charge, bucket), computed without the pure aggregation module."""
    grouped: dict = {}
    for transaction_id, timestamp, code, region, size in events:
        if timestamp < START:
            continue
        period = JANUARY_START if timestamp < FEBRUARY else FEBRUARY
        bucket = bucket_key(REGIONS[region]) if region else "default"
        grouped.setdefault((period, charges[code], bucket, code), []).append((timestamp, transaction_id, size))
    expected = {}
    for period in {period for period, *_ in grouped}:  # the applied-events counter: every event of the window
        expected[(period, APPLIED_EVENTS_CHARGE, "default")] = sum(
            len(rows) for (of_period, *_), rows in grouped.items() if of_period == period)
    for (period, charge, bucket, code), rows in grouped.items():
        sizes = [size for _, _, size in rows]
        if code == "seen":  # per value, its operations: a negative size removes the value abs(size)
            state = {}
            for timestamp, transaction_id, size in rows:
                state.setdefault(str(abs(size)), set()).add(Operation(timestamp, transaction_id, size >= 0))
            state = {value: frozenset(operations) for value, operations in state.items()}
        elif code == "calls":
            state = len(rows)
        elif code == "bytes":
            state = Totals(Decimal(sum(sizes)), len(rows))
        elif code == "peak":
            state = Maximum(Decimal(max(sizes)), len(rows))
        else:
            timestamp, transaction_id, size = max(rows)
            state = Latest(Decimal(size), timestamp, transaction_id, len(rows))
        expected[(period, charge, bucket)] = state
    return expected


def stored(organization_id: str, subscription_id: str) -> dict:
    found = {(period, charge, bucket): aggregate.state
             for period in (JANUARY_START, FEBRUARY)
             for (charge, bucket), aggregate in aggregates(organization_id, subscription_id, period).items()}
    for period in (JANUARY_START, FEBRUARY):
        if applied := repositories().usage.applied_events(organization_id, subscription_id, period):
            found[(period, APPLIED_EVENTS_CHARGE, "default")] = applied
    for key, histories in repositories().usage.value_histories(organization_id, subscription_id).items():
        found[(key.period_start_ms, key.charge_id, key.bucket)] = histories
    return found


def replay(shard_batches: list[tuple[str, list[dict]]], crash_after: int | None, duplicate: int | None) -> None:
    """Deliver each (shard, batch) in order as Lambda would: a crash after `crash_after` UpdateItems fails the
    invocation (the batch is redelivered whole), reported failures are redelivered from the first one, and batch
    `duplicate` is delivered a second time."""
    writes = {"n": 0}

    def crash(**_):
        writes["n"] += 1
        if crash_after is not None and writes["n"] == crash_after + 1:
            raise Crash()

    events = repositories().client.meta.events
    events.register("before-call.dynamodb.UpdateItem", crash)
    try:
        for index, (shard, batch) in enumerate(shard_batches):
            pending = batch
            for _ in range(10):
                try:
                    failures = deliver(pending, shard)["batchItemFailures"]
                except Crash:
                    continue
                if not failures:
                    break
                first = min(int(failure["itemIdentifier"]) for failure in failures)
                pending = [record for record in pending if int(record["dynamodb"]["SequenceNumber"]) >= first]
            else:
                raise AssertionError("batch never applied")
            if index == duplicate:
                try:
                    deliver(batch, shard)
                except Crash:
                    pass  # a crashed duplicate is just one more delivery that may have written part of its groups
    finally:
        events.unregister("before-call.dynamodb.UpdateItem", crash)


def shard_batches_of(organization_id: str, drawn: list[tuple], cuts: list[int]) -> tuple[list, list]:
    example = next(_examples)
    distinct, per_shard = [], {0: [], 1: []}
    for number, (timestamp, code, region, size, shard) in enumerate(drawn):
        transaction_id = f"ex{example}-tx{number}"
        properties = {"size": size, **({"region": region} if region else {})}
        if code == "seen":
            properties.update(size=abs(size), operation_type="add" if size >= 0 else "remove")
        distinct.append((transaction_id, timestamp, code, region, size))
        per_shard[shard].append(stream_record(event_item(organization_id, transaction_id, timestamp, code, properties)))
    batches = []
    for shard, records in per_shard.items():
        bounds = sorted({0, len(records), *(cut % (len(records) + 1) for cut in cuts)})
        batches.append([(f"shardId-{shard}", records[a:b]) for a, b in zip(bounds, bounds[1:]) if b > a])
    # Shards are read independently: interleave their batches, each shard's in order.
    deliveries = [batch for pair in zip_longest(*batches) for batch in pair if batch]
    return distinct, deliveries


class _Forgetful(str):
    """A watermark attribute name that is new at every write and never read back: the check patched out."""

    _names = count()

    def __add__(self, shard):
        return f"forgotten{next(self._names)}#{shard}"


def clear_usage(dynamodb) -> None:
    for item in dynamodb.scan(TableName=USAGE.name)["Items"]:
        dynamodb.delete_item(TableName=USAGE.name, Key={"pk": item["pk"], "sk": item["sk"]})


@pytest.fixture
def usage(api, tenant):
    return setup_usage(api)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(EVENT, min_size=1, max_size=14), cuts=st.lists(st.integers(0, 20), max_size=3),
       crash_after=st.none() | st.integers(0, 8), duplicate=st.none() | st.integers(0, 5))
def test_aggregates_equal_the_naive_result_whatever_the_delivery(dynamodb, tenant, usage, drawn, cuts, crash_after,
                                                                 duplicate):
    clear_usage(dynamodb)
    distinct, deliveries = shard_batches_of(tenant.organization_id, drawn, cuts)
    replay(deliveries, crash_after, duplicate)
    assert stored(tenant.organization_id, usage["subscription"]["lago_id"]) == naive(distinct, usage["charges"])


def test_without_the_watermark_a_redelivery_double_counts(dynamodb, tenant, usage, monkeypatch):
    distinct, deliveries = shard_batches_of(
        tenant.organization_id, [(START, "calls", "eu", 1, 0), (START + 1, "bytes", None, 5, 0)], [])
    monkeypatch.setattr(usage_store, "WATERMARK_PREFIX", _Forgetful("never-read#"))
    replay(deliveries, crash_after=1, duplicate=0)
    assert stored(tenant.organization_id, usage["subscription"]["lago_id"]) != naive(distinct, usage["charges"])

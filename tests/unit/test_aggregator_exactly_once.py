"""Exactly once, on the in-memory stores (tests/fakes/world.py, their watermarks pinned to DynamoDB's by
tests/integration/test_data_plane_contracts.py): random events of count, sum, max, latest and unique count
(timestamps on the period boundary to the millisecond included), two synthetic shards, random batchings, duplicate
deliveries and a crash between any two writes of the aggregator, compared with an independent naive computation
over the distinct events; with the watermark check patched out, a redelivery double-counts."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from itertools import count, zip_longest
from typing import Any

import model_builders as models
from fakes.control_plane import FixedClock
from fakes.world import InMemoryRepositories
from hypothesis import given, settings
from hypothesis import strategies as st
from lambda_delivery import Crash, delivered

from chalicelib.domain.aggregate_keys import APPLIED_EVENTS_CHARGE, bucket_key
from chalicelib.domain.aggregations.latest import Latest
from chalicelib.domain.aggregations.max import Maximum
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.unique_count import Operation
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.customers import Customer
from chalicelib.domain.organizations import Organization
from chalicelib.usage.aggregator import Aggregator, StreamRecord

STARTED = datetime(2026, 1, 15, 10, tzinfo=UTC)
START = epoch_ms(STARTED)
JANUARY_START = epoch_ms(datetime(2026, 1, 1, tzinfo=UTC))
FEBRUARY = epoch_ms(datetime(2026, 2, 1, tzinfo=UTC))
NOW = datetime(2026, 2, 10, tzinfo=UTC)
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/billing-events/stream/2026-01-01T00:00:00.000"
REGIONS = {"eu": {"region": ["eu"]}, "us": {"region": ["us"]}}
# Each metric's code, aggregation and field; each charged 1 a unit, 2 in each region's filter.
METRICS = (("calls", "count_agg", None), ("bytes", "sum_agg", "size"), ("peak", "max_agg", "size"),
           ("last", "latest_agg", "size"), ("seen", "unique_count_agg", "size"))
CHARGES = {code: f"charge-{code}" for code, _, _ in METRICS}
TIMESTAMPS = st.sampled_from([START - 1, START, START + 1, FEBRUARY - 1, FEBRUARY, FEBRUARY + 1, START + 86_400_000])
EVENT = st.tuples(TIMESTAMPS, st.sampled_from([code for code, _, _ in METRICS]), st.sampled_from(["eu", "us", None]),
                  st.integers(-3, 9), st.integers(0, 1))
_sequence = count(10**21)


def a_world() -> InMemoryRepositories:
    """Customer `cus` subscribed as `ext` from 15 January 2026 to a plan charging each metric, filtered by region."""
    world = InMemoryRepositories(FixedClock(NOW))
    world.organizations.create(Organization(id="org", name="Org", created_at=NOW, updated_at=NOW,
                                            document_number_prefix="ORG"), "key")
    for code, aggregation, field in METRICS:
        world.billable_metrics.create(models.metric(code, {"region": ["eu", "us"]}, aggregation, field))
    charges = [models.charge(CHARGES[code], code, "1", [{"values": values, "properties": {"amount": "2"}}
                                                        for values in REGIONS.values()])
               for code, _, _ in METRICS]
    world.plans.create(models.plan(*charges), [])
    world.customers.create("org", lambda sequential_id: Customer(
        id="cus", organization_id="org", external_id="cus", name="Customer", sequential_id=sequential_id,
        slug="ORG-1", created_at=NOW, updated_at=NOW))
    subscription = models.started_subscription(STARTED)
    world.subscriptions.records[("org", subscription.id)] = subscription
    return world


def naive(events: list[tuple[str, int, str, str | None, int]]) -> dict:
    """Expected aggregates by (period start, charge, bucket), computed without the pure aggregation module."""
    grouped: dict = {}
    for transaction_id, timestamp, code, region, size in events:
        if timestamp < START:
            continue
        period = JANUARY_START if timestamp < FEBRUARY else FEBRUARY
        bucket = bucket_key(REGIONS[region]) if region else "default"
        grouped.setdefault((period, CHARGES[code], bucket, code), []).append((timestamp, transaction_id, size))
    expected: dict = {}
    for period in {period for period, *_ in grouped}:  # the applied-events counter: every event of the window
        expected[(period, APPLIED_EVENTS_CHARGE, "default")] = sum(
            len(rows) for (of_period, *_), rows in grouped.items() if of_period == period)
    for (period, charge, bucket, code), rows in grouped.items():
        sizes = [size for _, _, size in rows]
        state: Any
        if code == "seen":  # per value, its operations: a negative size removes the value abs(size)
            operations: dict[str, set[Operation]] = {}
            for timestamp, transaction_id, size in rows:
                operations.setdefault(str(abs(size)), set()).add(Operation(timestamp, transaction_id, size >= 0))
            state = {value: frozenset(of_value) for value, of_value in operations.items()}
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


def stored(world: InMemoryRepositories) -> dict:
    usage = world.usage
    found = {(period, charge, bucket): aggregate.state
             for period in (JANUARY_START, FEBRUARY)
             for (charge, bucket, _), aggregate in usage.period_aggregates("org", "sub", period).items()}
    for period in (JANUARY_START, FEBRUARY):
        if applied := usage.applied_events("org", "sub", period):
            found[(period, APPLIED_EVENTS_CHARGE, "default")] = applied
    for key, histories in usage.value_histories("org", "sub").items():
        found[(key.period_start_ms, key.charge_id, key.bucket)] = histories
    return found


def before_each_write(world: InMemoryRepositories, action: Callable[[], None]) -> None:
    """Run `action` before every write the aggregator makes (each an UpdateItem on DynamoDB)."""
    for store, name in ((world.usage, "apply"), (world.usage, "add_operations"), (world.events, "mark_unbillable"),
                        (world.dead_letters, "count_failure"), (world.dead_letters, "bury")):
        write = getattr(store, name)

        def guarded(*args: Any, _write: Callable[..., None] = write, **kwargs: Any) -> Any:
            action()
            return _write(*args, **kwargs)
        setattr(store, name, guarded)


def deliver(world: InMemoryRepositories, records: list[StreamRecord]) -> set[str]:
    """One invocation of the stream handler: what it reports not applied."""
    return Aggregator(world, NOW).apply_batch(records).not_applied


def replay(world: InMemoryRepositories, shard_batches: list[list[StreamRecord]], crash_after: int | None,
           duplicate: int | None) -> None:
    """Deliver each batch in order as Lambda would: a crash after `crash_after` writes fails the invocation (the
    batch is redelivered whole), reported failures are redelivered from the first one, and batch `duplicate` is
    delivered a second time."""
    writes = count(1)

    def crash() -> None:
        if crash_after is not None and next(writes) == crash_after + 1:
            raise Crash()

    before_each_write(world, crash)
    for index, batch in enumerate(shard_batches):
        delivered(partial(deliver, world), batch)
        if index == duplicate:
            try:
                deliver(world, batch)
            except Crash:
                pass  # a crashed duplicate is just one more delivery that may have written part of its groups


def shard_batches_of(drawn: list[tuple], cuts: list[int]) -> tuple[list, list[list[StreamRecord]]]:
    distinct, per_shard = [], {0: [], 1: []}
    for number, (timestamp, code, region, size, shard) in enumerate(drawn):
        transaction_id = f"tx{number}"
        properties: dict[str, Any] = {"size": size, **({"region": region} if region else {})}
        if code == "seen":
            properties.update(size=abs(size), operation_type="add" if size >= 0 else "remove")
        distinct.append((transaction_id, timestamp, code, region, size))
        image = {"organization_id": "org", "external_subscription_id": "ext", "transaction_id": transaction_id,
                 "code": code, "timestamp_ms": timestamp, "properties": properties,
                 "received_at": "2026-01-20T00:00:00.000Z"}
        per_shard[shard].append(StreamRecord(str(next(_sequence)), f"shardId-{shard}", image, STREAM_ARN))
    batches = []
    for records in per_shard.values():
        bounds = sorted({0, len(records), *(cut % (len(records) + 1) for cut in cuts)})
        batches.append([records[a:b] for a, b in zip(bounds, bounds[1:]) if b > a])
    # Shards are read independently: interleave their batches, each shard's in order.
    return distinct, [batch for pair in zip_longest(*batches) for batch in pair if batch]


@settings(max_examples=200)
@given(drawn=st.lists(EVENT, min_size=1, max_size=14), cuts=st.lists(st.integers(0, 20), max_size=3),
       crash_after=st.none() | st.integers(0, 8), duplicate=st.none() | st.integers(0, 5))
def test_aggregates_equal_the_naive_result_whatever_the_delivery(drawn, cuts, crash_after, duplicate):
    world = a_world()
    distinct, deliveries = shard_batches_of(drawn, cuts)
    replay(world, deliveries, crash_after, duplicate)
    assert stored(world) == naive(distinct)


def test_without_the_watermark_a_redelivery_double_counts():
    world = a_world()
    distinct, deliveries = shard_batches_of([(START, "calls", "eu", 1, 0), (START + 1, "bytes", None, 5, 0)], [])
    apply = world.usage.apply

    def forgetful(key: Any, *args: Any, **kwargs: Any) -> None:
        """The watermark written under a name never read back: the check patched out."""
        apply(key, *args, **kwargs)
        world.usage.aggregates[key].watermarks.clear()
    world.usage.apply = forgetful  # type: ignore[method-assign]
    replay(world, deliveries, crash_after=1, duplicate=0)
    assert stored(world) != naive(distinct)

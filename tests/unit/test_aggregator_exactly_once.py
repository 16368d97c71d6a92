"""Exactly once, on the in-memory stores (tests/fakes/world.py, their watermarks pinned to DynamoDB's by
tests/integration/test_data_plane_contracts.py): random events of count, sum, max, latest and unique count
(timestamps on the period boundary to the millisecond included), two synthetic shards, random batchings, duplicate
deliveries, a crash between any two writes of the aggregator and the other shard's next batch applied between a
unique-count value's read and its write, compared with an independent naive computation over the distinct events
(a unique count's values and its bucket's summary); with the watermark check patched out, a redelivery
double-counts."""
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
from chalicelib.domain.aggregations.unique_count import ActiveValues, Operation, histories_of
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.customers import Customer
from chalicelib.domain.organizations import Organization
from chalicelib.usage.aggregator import Aggregator, StreamRecord

STARTED = datetime(2026, 1, 15, 10, tzinfo=UTC)
START = epoch_ms(STARTED)
JANUARY_START = epoch_ms(datetime(2026, 1, 1, tzinfo=UTC))
FEBRUARY = epoch_ms(datetime(2026, 2, 1, tzinfo=UTC))
MARCH = epoch_ms(datetime(2026, 3, 1, tzinfo=UTC))
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
            # The summary: the values whose last row (timestamp, then transaction id) is an add; the period's end.
            last_rows = [max(row for row in rows if str(abs(row[2])) == value) for value in operations]
            expected[("summary", period, charge, bucket)] = ActiveValues(
                sum(1 for _, _, size in last_rows if size >= 0), frozenset({FEBRUARY if period == JANUARY_START
                                                                            else MARCH}))
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
    found: dict = {}
    for period in (JANUARY_START, FEBRUARY):
        for (charge, bucket, _), aggregate in usage.period_aggregates("org", "sub", period).items():
            summary = isinstance(aggregate.state, ActiveValues)
            found[("summary", period, charge, bucket) if summary else (period, charge, bucket)] = aggregate.state
        if applied := usage.applied_events("org", "sub", period):
            found[(period, APPLIED_EVENTS_CHARGE, "default")] = applied
    for key, values in usage.stored_values("org", "sub").items():
        found[(key.period_start_ms, key.charge_id, key.bucket)] = histories_of(values)
    return found


def before_each_write(world: InMemoryRepositories, action: Callable[[], None]) -> None:
    """Run `action` before every write the aggregator makes (each an UpdateItem on DynamoDB)."""
    for store, name in ((world.usage, "apply"), (world.usage, "write_values"), (world.events, "mark_unbillable"),
                        (world.dead_letters, "count_failure"), (world.dead_letters, "bury")):
        write = getattr(store, name)

        def guarded(*args: Any, _write: Callable[..., None] = write, **kwargs: Any) -> Any:
            action()
            return _write(*args, **kwargs)
        setattr(store, name, guarded)


def deliver(world: InMemoryRepositories, records: list[StreamRecord]) -> set[str]:
    """One invocation of the stream handler: what it reports not applied."""
    return Aggregator(world, NOW).apply_batch(records).not_applied


def after_value_reads(world: InMemoryRepositories, action: Callable[[], None]) -> None:
    """Run `action` after every read of unique-count values, before the aggregator writes what it read."""
    read = world.usage.counted_values

    def stale(*args: Any, **kwargs: Any) -> Any:
        found = read(*args, **kwargs)
        action()
        return found
    world.usage.counted_values = stale  # type: ignore[method-assign]


def replay(world: InMemoryRepositories, shard_batches: list[list[StreamRecord]], crash_after: int | None,
           duplicate: int | None, interleave_at: int | None = None) -> None:
    """Deliver each batch in order as Lambda would: a crash after `crash_after` writes fails the invocation (the
    batch is redelivered whole), reported failures are redelivered from the first one, batch `duplicate` is
    delivered a second time, and right after the `interleave_at`-th read of unique-count values the other shard's
    next batch is applied whole (its concurrent invocation)."""
    writes, reads = count(1), count(1)
    pending = list(shard_batches)
    state: dict[str, Any] = {"shard": None, "busy": False}

    def crash() -> None:
        if crash_after is not None and next(writes) == crash_after + 1:
            raise Crash()

    def compete() -> None:
        if state["busy"] or interleave_at is None or next(reads) != interleave_at:
            return
        other = next((batch for batch in pending if batch[0].shard != state["shard"]), None)
        if other is not None:
            pending.remove(other)
            state["busy"] = True
            delivered(partial(deliver, world), other)
            state["busy"] = False

    before_each_write(world, crash)
    after_value_reads(world, compete)
    for index, batch in enumerate(shard_batches):
        if batch not in pending:
            continue  # applied by the other shard's invocation, concurrently
        pending.remove(batch)
        state["shard"] = batch[0].shard
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
       crash_after=st.none() | st.integers(0, 8), duplicate=st.none() | st.integers(0, 5),
       interleave_at=st.none() | st.integers(1, 6))
def test_aggregates_equal_the_naive_result_whatever_the_delivery(drawn, cuts, crash_after, duplicate, interleave_at):
    world = a_world()
    distinct, deliveries = shard_batches_of(drawn, cuts)
    replay(world, deliveries, crash_after, duplicate, interleave_at)
    assert stored(world) == naive(distinct)


# Unique-count events only, on three values of one bucket: the two shards meet on a value often.
SEEN_EVENT = st.tuples(TIMESTAMPS, st.just("seen"), st.just(None), st.integers(-2, 2), st.integers(0, 1))


@settings(max_examples=200)
@given(drawn=st.lists(SEEN_EVENT, min_size=2, max_size=10), cuts=st.lists(st.integers(0, 20), max_size=3),
       crash_after=st.none() | st.integers(0, 8), duplicate=st.none() | st.integers(0, 5),
       interleave_at=st.integers(1, 6))
def test_unique_counts_equal_the_naive_result_whatever_two_shards_interleave_on_a_value(drawn, cuts, crash_after,
                                                                                       duplicate, interleave_at):
    world = a_world()
    distinct, deliveries = shard_batches_of(drawn, cuts)
    replay(world, deliveries, crash_after, duplicate, interleave_at)
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


def test_a_value_moved_by_the_other_shard_between_its_read_and_its_write_is_counted_once():
    """Values 1, 2, 3 added (shard 0); a remove of 2 at +40 ms (shard 1) reads value 2, then, before it writes,
    shard 0's next batch adds 2 again at +35 ms (before the remove, arriving last): the remove's write is refused,
    read again and applied. Value 2's last operation is the remove: 3 added - 1 removed = 2 active."""
    # Reads: 1 is shard 0's first batch (values 1, 2, 3 at once), 2 shard 1's.
    world = a_world()
    drawn = [(START + 10, "seen", None, 1, 0), (START + 20, "seen", None, 2, 0), (START + 30, "seen", None, 3, 0),
             (START + 40, "seen", None, -2, 1), (START + 35, "seen", None, 2, 0)]
    distinct, deliveries = shard_batches_of(drawn, [3])
    assert [len(batch) for batch in deliveries] == [3, 1, 1]  # shard 0's first batch, shard 1's, shard 0's second
    replay(world, deliveries, crash_after=None, duplicate=None, interleave_at=2)
    (key, values), = world.usage.stored_values("org", "sub").items()
    assert values["2"].operations == {Operation(START + 20, "tx1", True), Operation(START + 35, "tx4", True),
                                      Operation(START + 40, "tx3", False)}
    assert [values[value].counted for value in ("1", "2", "3")] == [1, 0, 1]
    assert world.usage.period_aggregates("org", "sub", JANUARY_START)[(CHARGES["seen"], "default", ())].state == \
        ActiveValues(3 - 1, frozenset({FEBRUARY}))
    assert stored(world) == naive(distinct)

"""A unique count priced from its bucket's summary (one item, whatever the number of values), on the in-memory stores
(tests/fakes/world.py): the stream aggregator moves the summary as values are added and removed in any arrival
order, and the read falls back to the values where the summary cannot answer the window (a subscription terminated
mid-period, a recurring count read for an earlier period, a prorated charge); a value whose write fails on its own
holds back only its records."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import model_builders as models
from fakes.control_plane import FixedClock
from fakes.world import InMemoryRepositories

from chalicelib.domain.aggregations.registry import aggregation_for
from chalicelib.domain.aggregations.unique_count import ActiveValues
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.billing_context import charges_window, subscription_terms
from chalicelib.domain.customers import Customer
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription
from chalicelib.usage.aggregator import Aggregator, StreamRecord
from chalicelib.usage.period_usage import stored_usage

NOW = datetime(2026, 4, 20, tzinfo=UTC)
STARTED = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)
MARCH, APRIL, MAY = (datetime(2026, month, 1, tzinfo=UTC) for month in (3, 4, 5))
KEY = ("c-users", None, ())


def a_world(recurring: bool = False, prorated: bool = False) -> tuple[InMemoryRepositories, Plan]:
    """Customer `cus` subscribed as `ext` from 15 March 2026 to a plan charging the unique users at 1 EUR."""
    world = InMemoryRepositories(FixedClock(NOW))
    world.organizations.create(Organization(id="org", name="Org", created_at=NOW, updated_at=NOW,
                                            document_number_prefix="ORG"), "key")
    world.customers.live[("org", "cus")] = Customer(id="cus", organization_id="org", external_id="cus", name="C",
                                                    sequential_id=1, slug="C-1", created_at=NOW, updated_at=NOW)
    world.billable_metrics.create(models.metric("users", None, "unique_count_agg", "user", recurring=recurring))
    plan = models.plan(models.charge("c-users", "users", "1", prorated=prorated))
    world.plans.create(plan, [])
    subscribed(world, models.started_subscription(STARTED))
    return world, plan


def subscribed(world: InMemoryRepositories, subscription: Subscription) -> None:
    world.subscriptions.records[("org", subscription.id)] = subscription


def apply(world: InMemoryRepositories, *operations: tuple[str, datetime, str]) -> None:
    """One batch of events (transaction id, timestamp, "+user" to add a user, "-user" to remove it), applied."""
    records = [StreamRecord(str(10**21 + int(transaction_id[2:])), "shard-1", {
        "organization_id": "org", "external_subscription_id": "ext", "transaction_id": transaction_id, "code": "users",
        "timestamp_ms": epoch_ms(moment), "received_at": "2026-04-20T00:00:00Z",
        "properties": {"user": user[1:], "operation_type": "add" if user[0] == "+" else "remove"}})
        for transaction_id, moment, user in operations]
    assert Aggregator(world, NOW).apply_batch(records).not_applied == set()


def priced_units(world: InMemoryRepositories, plan: Plan, at: datetime,
                 subscription: Subscription | None = None) -> tuple[Decimal, Any, int]:
    """The units of the users charge for the period containing `at`, the state they were priced from, and how many
    times the values were read."""
    subscription = subscription or world.subscriptions.records[("org", "sub")]
    reads = []
    read = world.usage.stored_values

    def counted_read(*args: Any, **kwargs: Any) -> Any:
        reads.append(args)
        return read(*args, **kwargs)
    world.usage.stored_values = counted_read  # type: ignore[method-assign]
    terms = subscription_terms(subscription, plan, "UTC")
    period = terms.charges_periods.period_at(at)
    metrics = world.billable_metrics.get_many("org", {"users"})
    usage = stored_usage(world, subscription, plan, metrics, terms, period)
    world.usage.stored_values = read  # type: ignore[method-assign]
    metric = metrics["users"]
    aggregation = aggregation_for("unique_count_agg", "user", recurring=metric.recurring,
                                  prorated=plan.charges[0].prorated)
    window = charges_window(terms, period)
    state = usage.states.get(KEY, aggregation.empty)  # a unique count opens each window with nothing
    return aggregation.result(state, window).units, state, len(reads)


def test_a_value_added_again_before_its_remove_arriving_last_stays_removed_in_the_summary():
    world, plan = a_world()
    day = timedelta(days=1)
    apply(world, ("tx1", STARTED, "+a"), ("tx2", STARTED + day, "+b"), ("tx3", STARTED + 2 * day, "+c"))
    assert priced_units(world, plan, STARTED) == (Decimal(3), ActiveValues(3, frozenset({epoch_ms(APRIL)})), 0)
    apply(world, ("tx5", STARTED + 5 * day, "-b"))
    apply(world, ("tx4", STARTED + 4 * day, "+b"))  # timestamped before the remove, arriving after it
    apply(world, ("tx4", STARTED + 4 * day, "+b"), ("tx5", STARTED + 5 * day, "-b"))  # both again: nothing moves
    assert priced_units(world, plan, STARTED) == (Decimal(3 - 1), ActiveValues(2, frozenset({epoch_ms(APRIL)})), 0)
    apply(world, ("tx6", STARTED + 6 * day, "+b"))
    assert priced_units(world, plan, STARTED)[0] == Decimal(3 - 1 + 1)
    assert priced_units(world, plan, APRIL)[:2] == (Decimal(0), {})  # April: no value, no summary


def test_a_subscription_terminated_mid_period_reads_its_values():
    world, plan = a_world()
    apply(world, ("tx1", datetime(2026, 3, 16, tzinfo=UTC), "+a"), ("tx2", datetime(2026, 3, 18, tzinfo=UTC), "+b"))
    terminated = models.started_subscription(STARTED, terminated_at=datetime(2026, 3, 17, tzinfo=UTC))
    units, state, reads = priced_units(world, plan, STARTED, terminated)
    # The summary counts b, added after the window's end: the values are read, and only a counts.
    assert (units, set(state), reads) == (Decimal(1), {"a", "b"}, 1)


def test_a_recurring_count_answers_its_current_period_and_reads_its_values_for_an_earlier_one():
    world, plan = a_world(recurring=True)
    apply(world, ("tx1", STARTED - timedelta(days=20), "+a"),  # before the start: billed from the first period on
          ("tx2", datetime(2026, 3, 20, tzinfo=UTC), "+b"), ("tx3", datetime(2026, 4, 2, tzinfo=UTC), "-a"))
    summary = ActiveValues(2 - 1, frozenset({epoch_ms(STARTED), epoch_ms(APRIL), epoch_ms(MAY)}))
    assert priced_units(world, plan, APRIL) == (Decimal(1), summary, 0)
    units, state, reads = priced_units(world, plan, STARTED)  # March: a was removed only in April
    assert (units, set(state), reads) == (Decimal(2), {"a", "b"}, 1)


def test_a_prorated_count_reads_its_values():
    world, plan = a_world(recurring=True, prorated=True)
    apply(world, ("tx1", datetime(2026, 4, 1, tzinfo=UTC), "+a"), ("tx2", datetime(2026, 4, 16, tzinfo=UTC), "-a"))
    units, state, reads = priced_units(world, plan, APRIL)
    # a active 1 to 16 April, both days included: 16 days of 30.
    assert (units, set(state), reads) == (Decimal("0.53334"), {"a"}, 1)  # 16 / 30 rounded up at 5 decimals


def test_a_value_failing_on_its_own_holds_back_only_its_records():
    world, plan = a_world()
    write = world.usage.write_values

    def refusing(key: Any, writes: Any) -> None:
        if "bad" in writes:
            raise RuntimeError("item too large")
        write(key, writes)
    world.usage.write_values = refusing  # type: ignore[method-assign]
    records = [StreamRecord(str(10**21 + number), "shard-1", {
        "organization_id": "org", "external_subscription_id": "ext", "transaction_id": f"tx{number}",
        "code": "users", "timestamp_ms": epoch_ms(STARTED) + number, "received_at": "2026-04-20T00:00:00Z",
        "properties": {"user": user}}) for number, user in enumerate(["a", "b", "bad"])]
    # The bucket's write fails, then each value alone: a and b are written, bad's record is redelivered.
    assert Aggregator(world, NOW).apply_batch(records).not_applied == {str(10**21 + 2)}
    assert priced_units(world, plan, STARTED)[:2] == (Decimal(2), ActiveValues(2, frozenset({epoch_ms(APRIL)})))

"""One contract for each data-plane port faked in tests/fakes (usage.py, billing.py, world.py), run against the fake
and against its adapter (DynamoDB on moto, SQS on moto, DescribeStream's pages): what the aggregator, rebuild-usage
and the biller rely on answers and refuses alike, so that a property run on the fakes (the aggregator's exactly-once,
tests/unit/test_aggregator_exactly_once.py) holds on DynamoDB."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import model_builders as models
import pytest
from fakes.billing import InMemoryWorkQueue
from fakes.control_plane import FixedClock, SequentialIds
from fakes.usage import InMemoryShardLineage
from fakes.world import InMemoryRepositories

from chalicelib.billing.work_queue import SqsWorkQueue, create_billing_queue
from chalicelib.domain.aggregate_keys import (
    AggregateKey,
    StoredAggregate,
    WatermarkConflict,
    applied_events_key,
    padded_sequence,
)
from chalicelib.domain.aggregations.latest import Latest
from chalicelib.domain.aggregations.max import Maximum
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.unique_count import ActiveValues, CountedValue, Operation, ValueWrite
from chalicelib.domain.backdating import UnbilledHistory
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.events import Event, iso_ms
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.subscriptions import Subscription
from chalicelib.domain.test_clocks import TestClock
from chalicelib.store.repositories import repositories
from chalicelib.store.stream_lineage import ShardLineage
from chalicelib.usage.ports import Revised
from chalicelib.usage.routing import StoredEvent

NOW = datetime(2026, 11, 5, 10, tzinfo=UTC)
ORG = "org-1"
SUB = "sub-lago"
PERIOD = 1_000_000
KEY = AggregateKey(ORG, SUB, PERIOD, "charge-1", "default")
WINDOW = {"window_start_ms": PERIOD + 10, "period_end_ms": PERIOD + 1_000}


@dataclass
class Stores:
    """The repositories under test, and the ids of the records a test makes."""

    repositories: Any
    ids: SequentialIds


@pytest.fixture(params=["in_memory", "dynamodb"])
def stores(request) -> Stores:
    if request.param == "in_memory":
        return Stores(InMemoryRepositories(FixedClock(NOW)), SequentialIds())
    request.getfixturevalue("dynamodb")
    return Stores(repositories(), SequentialIds())


def applied(stores: Stores, state: Any, first: int, last: int, shard: str = "shard-1", key: AggregateKey = KEY,
            **options: Any) -> None:
    stores.repositories.usage.apply(key, state, shard=shard, first_sequence=str(first), last_sequence=str(last),
                                    **WINDOW, **options)


# ------------------------------------------------------------------------------------------------ usage


def test_an_additive_state_is_added_and_advances_its_shard_watermark(stores):
    usage = stores.repositories.usage
    applied(stores, 2, 1, 3)
    applied(stores, 3, 4, 5)
    applied(stores, Totals(Decimal("2.5"), 2), 1, 2, key=AggregateKey(ORG, SUB, PERIOD, "charge-2", "default"))
    applied(stores, Totals(Decimal(1), 1), 3, 3, key=AggregateKey(ORG, SUB, PERIOD, "charge-2", "default"))
    assert usage.get_aggregate(KEY) == usage.all_aggregates(ORG, SUB)[KEY]
    item = usage.get_aggregate(KEY)
    assert (item.state, item.watermarks, item.revision) == (5, {"shard-1": padded_sequence(5)}, 2)
    assert usage.period_aggregates(ORG, SUB, PERIOD) == {
        ("charge-1", "default", ()): StoredAggregate(5, 5, PERIOD + 10, PERIOD + 1_000),
        ("charge-2", "default", ()): StoredAggregate(Totals(Decimal("3.5"), 3), 3, PERIOD + 10, PERIOD + 1_000)}
    assert usage.period_aggregates(ORG, SUB, PERIOD + 1) == {}
    assert usage.get_aggregate(AggregateKey(ORG, SUB, PERIOD, "charge-3", "default")) is None


def test_a_redelivered_sequence_is_refused_and_changes_nothing(stores):
    usage = stores.repositories.usage
    applied(stores, 3, 10, 12)
    for first in (10, 12, 5):
        with pytest.raises(WatermarkConflict):
            applied(stores, 1, first, 13)
    assert usage.get_aggregate(KEY).state == 3
    applied(stores, 1, 13, 13)
    applied(stores, 4, 1, 4, shard="shard-2")  # each shard has its own watermark
    item = usage.get_aggregate(KEY)
    assert (item.state, item.watermarks) == (8, {"shard-1": padded_sequence(13), "shard-2": padded_sequence(4)})


def test_a_maximum_is_set_from_the_item_as_read(stores):
    usage = stores.repositories.usage
    with pytest.raises(ValueError):
        applied(stores, Maximum(Decimal(4), 1), 1, 1)
    applied(stores, Maximum(Decimal(4), 1), 1, 1, read=None, read_done=True)
    with pytest.raises(WatermarkConflict):  # read as absent, but written since
        applied(stores, Maximum(Decimal(9), 2), 2, 2, read=None, read_done=True)
    read = usage.get_aggregate(KEY)
    applied(stores, Maximum(Decimal(7), 2), 2, 2, read=read, read_done=True)
    with pytest.raises(WatermarkConflict):  # its revision moved since `read`
        applied(stores, Maximum(Decimal(9), 3), 3, 3, read=read, read_done=True)
    with pytest.raises(WatermarkConflict):  # read as present but gone
        applied(stores, Maximum(Decimal(9), 1), 1, 1, key=AggregateKey(ORG, SUB, PERIOD, "other", "default"),
                read=read, read_done=True)
    item = usage.get_aggregate(KEY)
    assert (item.state, item.revision) == (Maximum(Decimal(7), 2), 2)
    latest = Latest(Decimal(6), PERIOD + 12, "tx-n", 3)
    applied(stores, latest, 3, 3, read=item, read_done=True)
    assert usage.get_aggregate(KEY).state == latest


def test_the_settled_shards_watermarks_are_removed(stores):
    applied(stores, 1, 5, 5, shard="parent")
    applied(stores, 1, 7, 7, shard="other")
    applied(stores, 1, 1, 1, shard="child", settled_shards=("grandparent", "parent", "child"))
    assert stores.repositories.usage.get_aggregate(KEY).watermarks == {
        "other": padded_sequence(7), "child": padded_sequence(1)}


def test_the_applied_events_counter_is_read_apart_from_the_aggregates(stores):
    usage = stores.repositories.usage
    counter = applied_events_key(ORG, SUB, PERIOD)
    assert usage.applied_events(ORG, SUB, PERIOD) == 0
    applied(stores, 4, 1, 4, key=counter)
    applied(stores, 1, 1, 1)
    assert usage.applied_events(ORG, SUB, PERIOD) == 4
    assert list(usage.period_aggregates(ORG, SUB, PERIOD)) == [("charge-1", "default", ())]
    assert set(usage.all_aggregates(ORG, SUB)) == {counter, KEY}
    assert usage.all_aggregates(ORG, "another-subscription") == {}


def test_unique_count_values_move_their_bucket_summary_in_the_same_write(stores):
    usage = stores.repositories.usage
    add, remove, later = Operation(PERIOD + 1, "tx-1", True), Operation(PERIOD + 2, "tx-2", False), \
        Operation(PERIOD + 3, "tx-3", True)
    ends = frozenset({PERIOD + 1_000})
    absent = Revised(CountedValue(), 0)
    assert usage.counted_values(KEY, ["a", "b#%"]) == {"a": absent, "b#%": absent}
    added = CountedValue(frozenset({add}), ends, 1)
    usage.write_values(KEY, {"a": ValueWrite(added, 0, ActiveValues(1, ends))})
    with pytest.raises(StaleWrite):  # "a" absent when read, written since: its transaction writes nothing
        usage.write_values(KEY, {"a": ValueWrite(CountedValue(frozenset({remove}), ends, 0), 0, ActiveValues(-1)),
                                 "b#%": ValueWrite(CountedValue(frozenset({later}), ends, 1), 0, ActiveValues(1))})
    assert usage.counted_values(KEY, ["a", "b#%"]) == {"a": Revised(added, 1), "b#%": absent}
    removed = CountedValue(frozenset({add, remove}), ends, 0)
    usage.write_values(KEY, {"a": ValueWrite(removed, 1, ActiveValues(-1)),
                             "b#%": ValueWrite(CountedValue(frozenset({later}), ends, 1), 0, ActiveValues(1))})
    # A value that counts no differently is written alone: the summary keeps its revision.
    usage.write_values(KEY, {"b#%": ValueWrite(CountedValue(frozenset({add, later}), ends, 1), 1, ActiveValues())})
    with pytest.raises(StaleWrite):  # read at revision 1, at 2 now
        usage.write_values(KEY, {"b#%": ValueWrite(CountedValue(frozenset({later}), ends, 1), 1, ActiveValues())})
    other_period = AggregateKey(ORG, SUB, 0, "charge-1", "default")
    usage.write_values(other_period, {"a": ValueWrite(CountedValue(frozenset({later}), frozenset({7}), 1), 0,
                                                      ActiveValues(1, frozenset({7})))})
    assert usage.stored_values(ORG, SUB, PERIOD) == {KEY: {"a": removed, "b#%": CountedValue(
        frozenset({add, later}), ends, 1)}}
    assert set(usage.stored_values(ORG, SUB)) == {KEY, other_period}
    assert usage.period_aggregates(ORG, SUB, PERIOD) == {
        ("charge-1", "default", ()): StoredAggregate(ActiveValues(1 - 1 + 1, ends), 1)}
    assert usage.all_aggregates(ORG, SUB)[other_period].state == ActiveValues(1, frozenset({7}))
    assert usage.all_aggregates(ORG, SUB)[KEY].revision == 2  # two transactions moved it
    usage.replace_value(KEY, "a", CountedValue(frozenset({later}), ends, 1))
    usage.replace_value(KEY, "b#%", CountedValue())
    usage.replace_summary(KEY, ActiveValues(1, ends))
    assert usage.stored_values(ORG, SUB, PERIOD) == {KEY: {"a": CountedValue(frozenset({later}), ends, 1)}}
    assert usage.period_aggregates(ORG, SUB, PERIOD)[("charge-1", "default", ())].state == ActiveValues(1, ends)


def test_more_values_than_one_transaction_holds_move_the_summary_once_each(stores):
    usage = stores.repositories.usage
    ends = frozenset({PERIOD + 1_000})
    values = [f"user-{n}" for n in range(150)]  # two transactions (99 + 51), two BatchGetItems (100 + 50)
    usage.write_values(KEY, {value: ValueWrite(CountedValue(frozenset({Operation(PERIOD + n, value, True)}), ends, 1),
                                               0, ActiveValues(1, ends)) for n, value in enumerate(values)})
    assert {value: found.revision for value, found in usage.counted_values(KEY, values).items()} == dict.fromkeys(
        values, 1)
    assert usage.period_aggregates(ORG, SUB, PERIOD)[("charge-1", "default", ())].state == ActiveValues(150, ends)


def test_a_rebuilt_aggregate_replaces_the_one_read_and_keeps_its_watermarks(stores):
    usage = stores.repositories.usage
    usage.replace_aggregate(KEY, 9, **WINDOW, kept=None, watermarks={"shard-1": padded_sequence(3)})
    kept = usage.get_aggregate(KEY)
    assert (kept.state, kept.watermarks, kept.revision) == (9, {"shard-1": padded_sequence(3)}, 1)
    with pytest.raises(StaleWrite):  # missing when read, present now
        usage.replace_aggregate(KEY, 1, **WINDOW, kept=None)
    applied(stores, 1, 4, 4)  # the aggregator wrote since `kept` was read
    with pytest.raises(StaleWrite):
        usage.replace_aggregate(KEY, 2, **WINDOW, kept=kept)
    current = usage.get_aggregate(KEY)
    usage.replace_aggregate(KEY, Totals(), window_start_ms=PERIOD, period_end_ms=PERIOD + 5, kept=current,
                            watermarks={"ignored": "1"})
    rebuilt = usage.get_aggregate(KEY)
    assert (rebuilt.state, rebuilt.watermarks, rebuilt.revision) == (
        Totals(), {"shard-1": padded_sequence(4)}, current.revision + 1)
    assert usage.period_aggregates(ORG, SUB, PERIOD)[("charge-1", "default", ())] == StoredAggregate(
        Totals(), 0, PERIOD, PERIOD + 5)


# ----------------------------------------------------------------------------------------------- events


def an_event(stores: Stores, transaction_id: str, timestamp_ms: int, code: str = "calls",
             external_subscription_id: str = "sub-1") -> Event:
    return Event(lago_id=stores.ids.new_id(), organization_id=ORG, transaction_id=transaction_id,
                 external_subscription_id=external_subscription_id, lago_customer_id="cust-lago", code=code,
                 timestamp_ms=timestamp_ms, timestamp_given=True, properties={"size": 2, "region": None},
                 received_at=iso_ms(timestamp_ms))


def test_events_are_read_in_time_order_within_a_window_and_marked_unbillable(stores):
    events = stores.repositories.events
    stored = [an_event(stores, "tx-b", 3_000), an_event(stores, "tx-a", 3_000), an_event(stores, "tx-c", 1_000),
              an_event(stores, "tx-d", 5_000, "storage"), an_event(stores, "tx-e", 4_000, external_subscription_id="x")]
    events.insert(stored)
    assert [event.transaction_id for event in events.in_window(ORG, "sub-1", 1_000, 3_000)] == ["tx-c", "tx-a", "tx-b"]
    assert [event.transaction_id for event in events.in_window(ORG, "sub-1", 1_001, 5_000)] == ["tx-a", "tx-b", "tx-d"]
    events.mark_unbillable(ORG, "tx-a", "sub-1", 3_000, "period_finalized")
    events.mark_unbillable(ORG, "tx-a", "sub-1", 3_000, "period_finalized")  # idempotent
    events.mark_unbillable(ORG, "tx-gone", "sub-1", 3_000, "period_finalized")  # nothing to mark
    assert events.count(ORG, "sub-1", None, None, None) == 4
    assert events.count(ORG, "sub-1", "calls", 1_000, 2_999) == 1
    assert events.count(ORG, "sub-1", None, 3_000, None, billable=True) == 2
    assert events.count(ORG, "sub-1", None, None, None, billable=False) == 1
    assert events.find(ORG, "tx-a").unbillable_reason == "period_finalized"
    images = list(events.stored_images(ORG, "sub-1"))
    assert [StoredEvent.of(image) for image in images] == [
        StoredEvent.of(event.model_dump()) for event in (stored[2], stored[1], stored[0], stored[3])]
    assert [(image["received_at"], image.get("unbillable_reason")) for image in images] == [
        (iso_ms(1_000), None), (iso_ms(3_000), "period_finalized"), (iso_ms(3_000), None), (iso_ms(5_000), None)]


def test_events_marked_unbillable_are_listed_apart_newest_first_with_their_reason(stores):
    """`GET /events?billable=false|true` (docs/billing-over-time.md): on DynamoDB the unbillable ones are read from
    their own sparse index."""
    events = stores.repositories.events
    events.insert([an_event(stores, f"tx-{n}", 1_000 * n) for n in range(1, 6)]
                  + [an_event(stores, "tx-x", 2_500, external_subscription_id="x")])
    for transaction_id, external_subscription_id, timestamp_ms, reason in (
            ("tx-1", "sub-1", 1_000, "before_subscription_start"), ("tx-4", "sub-1", 4_000, "period_finalized"),
            ("tx-5", "sub-1", 5_000, "after_subscription_end"), ("tx-x", "x", 2_500, "after_subscription_end")):
        events.mark_unbillable(ORG, transaction_id, external_subscription_id, timestamp_ms, reason)

    def listed(page: int, per_page: int, billable: bool, code: str | None = None) -> list[tuple[str, str | None]]:
        return [(event.transaction_id, event.unbillable_reason)
                for event in events.list_page(ORG, "sub-1", code, None, None, page, per_page, billable)]

    assert listed(1, 10, False) == [("tx-5", "after_subscription_end"), ("tx-4", "period_finalized"),
                                    ("tx-1", "before_subscription_start")]
    assert (listed(1, 2, False), listed(2, 2, False)) == (
        [("tx-5", "after_subscription_end"), ("tx-4", "period_finalized")], [("tx-1", "before_subscription_start")])
    assert listed(1, 10, True) == [("tx-3", None), ("tx-2", None)]
    assert listed(1, 10, False, code="storage") == []
    assert [event.transaction_id for event in events.list_page(ORG, "sub-1", None, 2_000, 4_000, 1, 10, False)] == [
        "tx-4"]


# ----------------------------------------------------------------------------------------- dead letters


def image_of(transaction_id: str, external_subscription_id: str = "sub-1") -> dict[str, Any]:
    return {"organization_id": ORG, "external_subscription_id": external_subscription_id,
            "transaction_id": transaction_id, "code": "calls", "timestamp_ms": 1_000, "received_at": iso_ms(1_000)}


def test_failures_are_counted_and_an_event_set_aside_until_forgotten(stores):
    dead_letters = stores.repositories.dead_letters
    assert [dead_letters.count_failure(image_of("tx-1"), reason) for reason in ("KeyError", "ValueError")] == [1, 2]
    assert dead_letters.dead_events(ORG) == []  # counted, not yet set aside
    dead_letters.bury(image_of("tx-1"), "ValueError", ("part-a",), NOW)
    dead_letters.count_failure(image_of("tx-2", "sub-0"), "KeyError")
    dead_letters.bury(image_of("tx-2", "sub-0"), "KeyError", None, NOW)
    dead_letters.bury(image_of("tx-1"), "ValueError", ("part-a",), NOW + timedelta(hours=1))  # a redelivery
    found = dead_letters.dead_events(ORG)
    assert [(dead.external_subscription_id, dead.transaction_id, dead.reason, dead.attempts, dead.parts,
             dead.dead_lettered_at) for dead in found] == [
        ("sub-0", "tx-2", "KeyError", 1, None, NOW), ("sub-1", "tx-1", "ValueError", 2, ("part-a",), NOW)]
    assert found[1].image == image_of("tx-1")
    assert [dead.transaction_id for dead in dead_letters.dead_events(ORG, "sub-1")] == ["tx-1"]
    assert dead_letters.dead_events("another-org") == []
    dead_letters.forget(found[1])
    assert [dead.transaction_id for dead in dead_letters.dead_events(ORG)] == ["tx-2"]
    assert dead_letters.count_failure(image_of("tx-1"), "KeyError") == 1


# ------------------------------------------------------------------------------------- billing failures


def test_a_customer_failures_are_counted_from_the_first_until_forgotten(stores):
    failures = stores.repositories.billing_failures
    failures.record(ORG, "cust-b", "Contention", NOW)
    failures.record(ORG, "cust-b", "StaleWrite", NOW + timedelta(hours=1))
    failures.record(ORG, "cust-a", "KeyError", NOW)
    failures.record("another-org", "cust-c", "KeyError", NOW)
    found = failures.of_organization(ORG)
    assert [(failure.customer_id, failure.attempts, failure.reason, failure.first_failed_at, failure.last_failed_at)
            for failure in found] == [("cust-a", 1, "KeyError", NOW, NOW),
                                      ("cust-b", 2, "StaleWrite", NOW, NOW + timedelta(hours=1))]
    failures.forget(found[0])
    assert [failure.customer_id for failure in failures.of_organization(ORG)] == ["cust-b"]


# ------------------------------------------------------------------------- the biller's due index, drafts


def a_customer(stores: Stores, external_id: str) -> Customer:
    def build(sequential_id: int) -> Customer:
        return Customer(id=stores.ids.new_id(), organization_id=ORG, external_id=external_id, name=external_id,
                        sequential_id=sequential_id, slug=f"ORG-{sequential_id:03d}", created_at=NOW, updated_at=NOW)
    return stores.repositories.customers.create(ORG, build)


def subscribed(stores: Stores, customer: Customer, external_id: str, **fields: Any) -> Subscription:
    plans = stores.repositories.plans
    plan = plans.find_by_code(ORG, "plan")
    subscription = models.subscription(id=stores.ids.new_id(), organization_id=ORG, external_id=external_id,
                                       customer_id=customer.id, plan_id=plan.id, **fields)
    unit = stores.repositories.unit_of_work()
    plans.stage_subscription_count(unit, plan, 1)
    stores.repositories.subscriptions.stage_create(unit, subscription, customer, "EUR")
    unit.commit()
    return subscription


def a_draft(stores: Stores, customer: Customer, finalize_at: datetime, test_clock_id: str | None = None) -> Invoice:
    invoice = Invoice(id=stores.ids.new_id(), organization_id=ORG, customer_id=customer.id, sequential_id=None,
                      number="ORG-DRAFT", issuing_date=date(2026, 11, 1), status="draft", payment_status="pending",
                      finalize_at=finalize_at, test_clock_id=test_clock_id, currency="EUR", fees=[],
                      billing_periods=[], created_at=NOW, updated_at=NOW, fees_amount_cents=0,
                      coupons_amount_cents=0, credit_notes_amount_cents=0, progressive_billing_credit_amount_cents=0,
                      prepaid_credit_amount_cents=0, sub_total_excluding_taxes_amount_cents=0, taxes_amount_cents=0,
                      sub_total_including_taxes_amount_cents=0, total_amount_cents=0, total_due_amount_cents=0)
    unit = stores.repositories.unit_of_work()
    stores.repositories.invoices.stage_issue(unit, invoice)
    unit.commit()
    return invoice


@pytest.fixture
def customers(stores) -> tuple[Customer, Customer]:
    stores.repositories.plans.create(models.plan(id=stores.ids.new_id(), organization_id=ORG), [])
    return a_customer(stores, "acme"), a_customer(stores, "globex")


def test_the_due_index_lists_subscriptions_and_drafts_due_by_an_instant(stores, customers):
    acme, globex = customers
    december = datetime(2026, 12, 1, tzinfo=UTC)
    active = subscribed(stores, acme, "sub-a", status="active", subscription_at=NOW, started_at=NOW,
                        current_billing_period_end=december, unbilled_history=UnbilledHistory(
                            period_start=NOW - timedelta(days=35), period_end=NOW - timedelta(days=5), until=NOW))
    pending = subscribed(stores, globex, "sub-p", status="pending", subscription_at=NOW + timedelta(days=2))
    subscribed(stores, globex, "sub-c", status="pending", subscription_at=NOW, test_clock_id="clock")
    draft = a_draft(stores, acme, NOW + timedelta(days=3))
    a_draft(stores, globex, NOW, test_clock_id="clock")
    subscriptions = stores.repositories.subscriptions
    assert subscriptions.due(NOW + timedelta(days=1)) == []
    # Partition by partition (a hash of the id: `pending`'s is 0, `active`'s 2, `draft`'s 5), each in time order.
    assert subscriptions.due(NOW + timedelta(days=3)) == [(ORG, globex.id, pending.id), (ORG, acme.id, draft.id)]
    assert subscriptions.due(december) == [(ORG, globex.id, pending.id), (ORG, acme.id, active.id),
                                           (ORG, acme.id, draft.id)]
    assert subscriptions.backfill_due(NOW - timedelta(days=6)) == []
    assert subscriptions.backfill_due(NOW) == [(ORG, acme.id, active.id)]


def test_a_draft_refresh_moves_its_marker_on_the_due_index(stores, customers):
    acme, _ = customers
    invoices, subscriptions = stores.repositories.invoices, stores.repositories.subscriptions
    assert invoices.request_refresh(ORG, acme.id, "no-such-draft", NOW) is False
    draft = a_draft(stores, acme, NOW + timedelta(days=3))
    assert [(each.invoice, each.refresh_requests) for each in invoices.drafts_of(ORG, acme.id)] == [(draft, 0)]
    assert invoices.request_refresh(ORG, acme.id, draft.id, NOW + timedelta(hours=1)) is True
    assert invoices.request_refresh(ORG, acme.id, draft.id, NOW + timedelta(hours=2)) is True
    assert [(each.invoice, each.refresh_requests) for each in invoices.drafts_of(ORG, acme.id)] == [(draft, 2)]
    assert subscriptions.due(NOW + timedelta(hours=1)) == []
    assert subscriptions.due(NOW + timedelta(hours=2)) == [(ORG, acme.id, draft.id)]


# ------------------------------------------------------------------------------------------- work queue


@pytest.fixture
def work_queue(stores, monkeypatch) -> tuple[Any, Callable[[], list[str]]]:
    """The queue, and the bodies of the messages it holds."""
    if isinstance(stores.repositories, InMemoryRepositories):
        fake = InMemoryWorkQueue()
        return fake, lambda: [body for body, _ in fake.messages]
    client = boto3.client("sqs")
    url = create_billing_queue(client)
    monkeypatch.setenv("BILLING_QUEUE_URL", url)

    def held() -> list[str]:
        return [message["Body"] for message in
                client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    return SqsWorkQueue(), held


def test_the_work_queue_holds_one_message_per_customer_and_a_clock_continuation(stores, work_queue):
    queue, held = work_queue
    assert queue.is_configured()
    assert queue.enqueue([(ORG, "cust-a"), (ORG, "cust-b")], NOW) == 2
    queue.queue_continuation(TestClock(id="clock-1", organization_id=ORG, name="Clock", frozen_time=NOW,
                                       created_at=NOW), 0)
    assert sorted((json.loads(body) for body in held()), key=json.dumps) == sorted([
        {"organization_id": ORG, "customer_id": "cust-a", "now": NOW.isoformat()},
        {"organization_id": ORG, "customer_id": "cust-b", "now": NOW.isoformat()},
        {"organization_id": ORG, "test_clock_id": "clock-1"}], key=json.dumps)


# ------------------------------------------------------------------------------------------ shard lineage


class _DescribingClient:
    """DescribeStream over the given shards, two to a page."""

    def __init__(self, parents: dict[str, str | None]):
        self.shards = [{"ShardId": shard, **({"ParentShardId": parent} if parent else {})}
                       for shard, parent in parents.items()]

    def describe_stream(self, StreamArn: str, ExclusiveStartShardId: str | None = None) -> dict:  # noqa: N803
        start = 0 if ExclusiveStartShardId is None else int(ExclusiveStartShardId)
        description: dict[str, Any] = {"Shards": self.shards[start:start + 2]}
        if start + 2 < len(self.shards):
            description["LastEvaluatedShardId"] = str(start + 2)
        return {"StreamDescription": description}


@pytest.mark.parametrize("side", ["in_memory", "describe_stream"])
def test_a_shard_ancestors_are_its_parents_as_far_as_described(side):
    parents = {"grandparent": None, "parent": "grandparent", "child": "parent", "loop-a": "loop-b",
               "loop-b": "loop-a"}
    lineage = InMemoryShardLineage({"arn": parents}) if side == "in_memory" \
        else ShardLineage(_DescribingClient(parents))
    assert lineage.ancestors("arn", "child") == ("parent", "grandparent")
    assert lineage.ancestors("arn", "grandparent") == ()
    assert lineage.ancestors("arn", "unknown") == ()
    assert lineage.ancestors("arn", "loop-a") == ("loop-b", "loop-a")

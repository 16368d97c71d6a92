"""The fault-injection suite's own parts (reliability/): the injector really crashes after the Nth write (which is
stored), really throttles the Nth call and cancels the Nth transaction, each once; the tallies count losses,
duplicates and number gaps worked out by hand; a scenario with nothing to fault fails loudly."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.store.dynamo import TransactionCancelled, transact
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import USAGE
from reliability.counting import events_tally, invoices_tally, webhooks_tally
from reliability.faults import Crash, Fault, Injector
from reliability.scenario import NoFaultInjected, Scenario, explore


def put(client, sort_key: str) -> None:
    client.put_item(TableName=USAGE.name, Item={"pk": {"S": "p"}, "sk": {"S": sort_key}})


def stored(client) -> list[str]:
    return sorted(item["sk"]["S"] for item in client.scan(TableName=USAGE.name)["Items"])


def test_a_crash_comes_right_after_the_nth_write_which_is_stored(dynamodb):
    client = repositories().client
    with Injector(client, Fault("crash_after_write", 2)) as injector:
        put(client, "a")
        client.get_item(TableName=USAGE.name, Key={"pk": {"S": "p"}, "sk": {"S": "a"}})  # a read is not counted
        with pytest.raises(Crash):
            put(client, "b")
        put(client, "c")  # once only
    assert injector.fired
    assert stored(client) == ["a", "b", "c"]


def test_the_nth_call_is_throttled_once_and_writes_nothing(dynamodb):
    client = repositories().client
    with Injector(client, Fault("throughput_exceeded", 2)) as injector:
        put(client, "a")
        with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
            put(client, "b")
        put(client, "c")
    assert injector.fired
    assert stored(client) == ["a", "c"]


def test_the_nth_transaction_is_cancelled_by_a_conflict(dynamodb):
    client = repositories().client
    action = [{"Put": {"TableName": USAGE.name, "Item": {"pk": {"S": "p"}, "sk": {"S": "t"}}}},
              {"Put": {"TableName": USAGE.name, "Item": {"pk": {"S": "p"}, "sk": {"S": "u"}}}}]
    with Injector(client, Fault("transaction_conflict", 1)) as injector:
        with pytest.raises(TransactionCancelled) as cancelled:
            transact(client, action)
        put(client, "a")  # not a transaction: not counted, not refused
    assert injector.fired and cancelled.value.contended and cancelled.value.failed == set()
    assert stored(client) == ["a"]
    transact(client, action)
    assert stored(client) == ["a", "t", "u"]


def test_a_turn_that_never_comes_fires_nothing(dynamodb):
    client = repositories().client
    with Injector(client, Fault("crash_after_write", 3)) as injector:
        put(client, "a")
        put(client, "b")
    assert not injector.fired


def test_event_tallies_by_hand():
    accepted = [1, 2, 4]  # events worth 2**n
    assert (events_tally(accepted, 3, Decimal(7)).events_lost, events_tally(accepted, 3, Decimal(7)).events_duplicated
            ) == (0, 0)
    one_lost = events_tally(accepted, 2, Decimal(5))
    assert (one_lost.events_lost, one_lost.events_duplicated) == (1, 0)
    one_twice = events_tally(accepted, 4, Decimal(9))
    assert (one_twice.events_lost, one_twice.events_duplicated) == (0, 1)
    # 2 lost and 1 counted twice: the count is right, the units (1 + 1 + 4 = 6) are not.
    swapped = events_tally(accepted, 3, Decimal(6))
    assert (swapped.events_lost, swapped.events_duplicated) == (1, 1)
    assert swapped.failures == ["1 events lost", "1 events duplicated"]


def invoice(customer: str, number: int, subscription: str, period: str) -> dict:
    return {"status": "finalized", "sequential_id": number, "customer": {"external_id": customer}, "fees": [],
            "billing_periods": [{"lago_subscription_id": subscription, "invoicing_reason": "subscription_periodic",
                                 "subscription_from_datetime": period, "charges_from_datetime": period}]}


def test_invoice_tallies_by_hand():
    clean = invoices_tally([invoice("a", 1, "s1", "jan"), invoice("a", 2, "s1", "feb"), invoice("b", 1, "s2", "jan"),
                            {**invoice("b", 7, "s2", "feb"), "status": "draft"}], expected=3)
    assert (clean.invoices_issued, clean.invoices_duplicated, clean.invoice_number_gaps, clean.failures) == (
        3, 0, 0, [])
    # January billed twice under numbers 1 and 3: one duplicate, number 2 missing.
    broken = invoices_tally([invoice("a", 1, "s1", "jan"), invoice("a", 3, "s1", "jan")], expected=2)
    assert (broken.invoices_duplicated, broken.invoice_number_gaps) == (1, 1)
    # Number 1 twice: a repeat.
    assert invoices_tally([invoice("a", 1, "s1", "jan"), invoice("a", 1, "s1", "feb")], 2).invoice_number_gaps == 1
    assert invoices_tally([invoice("a", 1, "s1", "jan")], expected=2).failures == ["1 invoices missing"]


def test_webhook_tallies_by_hand():
    tally = webhooks_tally({"w1", "w2", "w3"}, [("w1", b"x"), ("w1", b"x"), ("w2", b"y"), ("w2", b"z")])
    assert (tally.webhooks_delivered, tally.webhooks_resent, tally.webhooks_altered) == (2, 2, 1)
    assert tally.failures == ["1 webhooks altered", "1 webhooks not delivered"]


def test_a_scenario_with_nothing_to_fault_fails_loudly(aws_environment):
    idle = Scenario("idle", "none", "writes nothing", "crash_after_write", prepare=lambda world: None,
                    act=lambda world: None, judge=lambda world: events_tally([], 0, Decimal(0)))
    with pytest.raises(NoFaultInjected):
        explore(idle)

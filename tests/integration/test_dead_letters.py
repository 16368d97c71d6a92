"""A record that keeps failing never holds up the stream: it is applied record by record to find it, the records
of its shard around it are applied, it is set aside after POISON_ATTEMPTS deliveries with its reason and what of it
is missing, counted in a metric, listed and replayed by the operator (exactly once), and until then the
subscription's current usage answers that usage is pending. Transient failures are only redelivered."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError
from usage_fixtures import JANUARY_START, STARTED, aggregates, deliver, event_item, setup_usage, stored_records

from chalicelib.cli import main
from chalicelib.domain.aggregate_keys import APPLIED_EVENTS_CHARGE
from chalicelib.domain.aggregations.sum import SumAggregation
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.dead_events import POISON_ATTEMPTS
from chalicelib.store.keys import dead_event_sk, organization_pk
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import CONTROL
from chalicelib.store.usage import UsageRepository
from chalicelib.usage.dead_letters import DeadEvents
from chalicelib.usage.routing import Router

AT = epoch_ms(STARTED) + 3_600_000  # an hour into the subscription, in January's period
CURRENT_USAGE = "/api/v1/customers/cust/current_usage?external_subscription_id=sub"


@pytest.fixture
def usage(api):
    return setup_usage(api)


def _failed(records: list[dict]) -> list[str]:
    """The sequence numbers a delivery reports as failed (all of them when Powertools raises for a batch that failed
    entirely: Lambda then retries the whole batch)."""
    try:
        result = deliver(records)
    except BatchProcessingError:
        return [record["dynamodb"]["SequenceNumber"] for record in records]
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def _deliver_until_applied(records: list[dict], rounds: int = 10) -> list[list[str]]:
    """Deliver as Lambda does: again from the first reported failure, until nothing fails; the failures of each
    delivery."""
    history = []
    for _ in range(rounds):
        failed = _failed(records)
        history.append(failed)
        if not failed:
            return history
        first = next(index for index, record in enumerate(records) if record["dynamodb"]["SequenceNumber"] in failed)
        records = records[first:]
    raise AssertionError(f"still failing after {rounds} deliveries: {history}")


def _state(tenant, usage, code: str):
    found = aggregates(tenant.organization_id, usage["subscription"]["lago_id"], JANUARY_START)
    return found[(usage["charges"][code], "default")].state


def _applied_events(tenant, usage) -> int:
    return repositories().usage.applied_events(tenant.organization_id, usage["subscription"]["lago_id"], JANUARY_START)


def test_a_poison_record_is_set_aside_and_the_records_around_it_are_applied(tenant, usage, dynamodb, api, capsys):
    # A corrupted item (a value no sum can hold: 60 digits, ingestion refuses it) between two good ones of the same
    # aggregate, and one of another metric after it.
    items = [event_item(tenant.organization_id, "good-1", AT, "bytes", {"size": 5}),
             event_item(tenant.organization_id, "poison", AT + 1, "bytes", {"size": "9" * 60}),
             event_item(tenant.organization_id, "good-2", AT + 2, "bytes", {"size": 7}),
             event_item(tenant.organization_id, "good-3", AT + 3, "calls")]
    records = stored_records(dynamodb, items)
    poison, good_2, good_3 = (record["dynamodb"]["SequenceNumber"] for record in records[1:])

    history = _deliver_until_applied(records)

    # Delivered 3 times with the poison first failed (the records after it held back), the third sets it aside and
    # reports only what follows it; the fourth applies them.
    assert history == [[poison, good_2, good_3], [poison, good_2, good_3], [good_2, good_3], []]
    assert POISON_ATTEMPTS == 3
    assert _state(tenant, usage, "bytes").total == Decimal(5 + 7)
    assert _state(tenant, usage, "calls") == 1
    assert _applied_events(tenant, usage) == 3  # the poison is not counted: its period waits for it
    [dead] = repositories().dead_letters.dead_events(tenant.organization_id)
    assert (dead.transaction_id, dead.attempts) == ("poison", 3)
    assert dead.reason.startswith("Inexact")
    bytes_part = json.dumps([usage["subscription"]["lago_id"], JANUARY_START, usage["charges"]["bytes"], "default"])
    assert dead.parts == (bytes_part,)
    metric = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "DeadLetteredEvents" in line]
    assert [entry["DeadLetteredEvents"] for entry in metric] == [[1.0]]

    answer = api.get(CURRENT_USAGE)
    assert answer.status_code == 503
    assert answer.json_body == {"status": 503, "error": "Service Unavailable", "code": "usage_pending"}

    # The operator's commands: the list names it and why; a replay of a value no sum can hold fails again.
    assert main(["dead-events", "--organization-id", tenant.organization_id]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("sub  poison  attempts=3  dead_lettered_at=") and "missed=1 parts" in listed[0]
    assert listed[0].endswith("reason=Inexact: [<class 'decimal.Inexact'>]") and listed[1] == "1 dead-lettered events"
    assert main(["replay-dead-events", "--organization-id", tenant.organization_id]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 replayed, 1 failed again"
    assert repositories().dead_letters.dead_events(tenant.organization_id)[0].attempts == 4


def test_a_replay_after_the_fix_applies_the_missing_part_once(tenant, usage, dynamodb, api, monkeypatch):
    # A bug in the sum aggregation for one event (fixed by a deploy, i.e. the patch removed) after a count of it
    # was applied: the replay applies the sum and the applied-events count, never the count of calls again.
    items = [event_item(tenant.organization_id, "buggy", AT, "bytes", {"size": 4}),
             event_item(tenant.organization_id, "calls-1", AT + 1, "calls")]
    records = stored_records(dynamodb, items)
    real = SumAggregation.value_contribution

    def bug(self, value, event, window):
        if event.transaction_id == "buggy":
            raise KeyError("charge_id")
        return real(self, value, event, window)

    monkeypatch.setattr(SumAggregation, "value_contribution", bug)
    _deliver_until_applied(records)
    [dead] = repositories().dead_letters.dead_events(tenant.organization_id, "sub")
    assert dead.reason == "KeyError: 'charge_id'"
    assert _applied_events(tenant, usage) == 1
    still = DeadEvents(repositories()).replay(tenant.organization_id, STARTED)
    assert [outcome.error for outcome in still] == ["KeyError: 'charge_id'"]  # not fixed yet: it stays, counted
    assert repositories().dead_letters.dead_events(tenant.organization_id)[0].attempts == 4

    monkeypatch.setattr(SumAggregation, "value_contribution", real)
    outcomes = DeadEvents(repositories()).replay(tenant.organization_id, STARTED)
    again = DeadEvents(repositories()).replay(tenant.organization_id, STARTED)

    assert [outcome.error for outcome in outcomes] == [None] and again == []
    assert _state(tenant, usage, "bytes").total == Decimal(4)
    assert _state(tenant, usage, "calls") == 1
    assert _applied_events(tenant, usage) == 2
    assert repositories().dead_letters.dead_events(tenant.organization_id) == []
    assert api.get(CURRENT_USAGE).status_code == 200


def test_a_replay_interrupted_after_a_part_resumes_without_counting_it_twice(tenant, usage, dynamodb, monkeypatch):
    # Routing failed (a corrupted item): nothing of it was applied. The replay crashes after its first write, the
    # next one finishes: the sum holds the value once and the counter counts it once.
    items = [event_item(tenant.organization_id, "late-fix", AT, "bytes", {"size": 6})]
    [record] = stored_records(dynamodb, items)
    record["dynamodb"]["NewImage"]["timestamp_ms"] = {"S": "not a number"}
    _deliver_until_applied([record])
    [dead] = repositories().dead_letters.dead_events(tenant.organization_id)
    assert dead.parts is None and dead.reason.startswith("ValueError")
    # The operator corrects the item it holds (what a fix of the writer that corrupted it would produce).
    dynamodb.update_item(**_corrected(tenant.organization_id, dead))

    writes, real_apply = [], UsageRepository.apply

    def crash_after_first_write(self, *args, **kwargs):
        real_apply(self, *args, **kwargs)
        writes.append(args[0])
        if len(writes) == 1:
            raise ConnectionError("the process died")

    monkeypatch.setattr(UsageRepository, "apply", crash_after_first_write)
    first = DeadEvents(repositories()).replay(tenant.organization_id, STARTED)
    second = DeadEvents(repositories()).replay(tenant.organization_id, STARTED)

    assert first[0].error == "ConnectionError: the process died" and second[0].error is None
    assert _state(tenant, usage, "bytes").total == Decimal(6)
    assert _applied_events(tenant, usage) == 1


def _corrected(organization_id: str, dead) -> dict:
    return {"TableName": CONTROL.name,
            "Key": {"pk": {"S": organization_pk(organization_id)},
                    "sk": {"S": dead_event_sk(dead.external_subscription_id, dead.transaction_id)}},
            "UpdateExpression": "SET image.timestamp_ms = :at", "ExpressionAttributeValues": {":at": {"N": str(AT)}}}


def test_throttling_is_redelivered_without_counting_against_the_event(tenant, usage, dynamodb, monkeypatch):
    items = [event_item(tenant.organization_id, "throttled", AT, "bytes", {"size": 3})]
    records = stored_records(dynamodb, items)
    refusals, real_apply = [], UsageRepository.apply

    def throttled(self, key, *args, **kwargs):
        if key.charge_id != APPLIED_EVENTS_CHARGE and len(refusals) < 2 * POISON_ATTEMPTS:
            refusals.append(key)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "UpdateItem")
        return real_apply(self, key, *args, **kwargs)

    monkeypatch.setattr(UsageRepository, "apply", throttled)
    history = _deliver_until_applied(records)

    assert len(history) == 1 + POISON_ATTEMPTS  # each delivery tries the group, then the record alone
    assert repositories().dead_letters.dead_events(tenant.organization_id) == []
    assert _state(tenant, usage, "bytes").total == Decimal(3)
    assert _applied_events(tenant, usage) == 1


def test_a_record_that_cannot_be_routed_holds_back_the_later_records_of_its_shard(tenant, usage, dynamodb,
                                                                                   monkeypatch):
    # Routing first-tx is throttled once (its aggregates unknown): second-tx, of the same aggregate, must not move
    # that aggregate's watermark past it, or first-tx's redelivery would be dropped as already applied.
    items = [event_item(tenant.organization_id, "first-tx", AT, "bytes", {"size": 1}),
             event_item(tenant.organization_id, "second-tx", AT + 1, "bytes", {"size": 10})]
    records = stored_records(dynamodb, items)
    real_route, refused = Router.route, []

    def throttled_once(self, event):
        if event.usage.transaction_id == "first-tx" and not refused:
            refused.append(event)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "Query")
        return real_route(self, event)

    monkeypatch.setattr(Router, "route", throttled_once)
    history = _deliver_until_applied(records)

    sequences = [record["dynamodb"]["SequenceNumber"] for record in records]
    assert history == [sequences, []]
    assert _state(tenant, usage, "bytes").total == Decimal(1 + 10)
    assert _applied_events(tenant, usage) == 2
    assert repositories().dead_letters.dead_events(tenant.organization_id) == []

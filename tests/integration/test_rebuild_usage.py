"""`rebuild-usage` against moto: aggregates built by the real stream handler recompute to no difference; an
aggregate corrupted, deleted or added behind the handler's back is reported by name and `--apply` repairs it,
keeping the shard watermarks (a redelivery after the repair still counts nothing twice); unique-count values too."""
from __future__ import annotations

from decimal import Decimal

import pytest
from builders import create_metric, create_plan, subscribe
from usage_fixtures import (
    FEBRUARY,
    JANUARY_START,
    STARTED,
    aggregates,
    deliver,
    event_item,
    setup_usage,
    stored_records,
)

from chalicelib.cli import main
from chalicelib.domain.aggregate_keys import bucket_key
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.unique_count import ActiveValues, CountedValue, Operation, ValueWrite
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.dynamo import to_attributes
from chalicelib.store.keys import aggregate_sk, usage_pk
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import USAGE
from chalicelib.usage.rebuild import UsageRebuild


@pytest.fixture
def usage(api, tenant):
    return setup_usage(api)


def ingest(dynamodb, items: list[dict]) -> list[dict]:
    """Store the items as ingestion does and deliver their stream records (twice, as at-least-once may)."""
    records = stored_records(dynamodb, items)
    half = len(records) // 2
    assert deliver(records[:half]) == {"batchItemFailures": []}
    assert deliver(records[half:]) == {"batchItemFailures": []}
    assert deliver(records) == {"batchItemFailures": []}
    return records


def sample_events(org: str) -> list[dict]:
    t = epoch_ms(STARTED)
    return [event_item(org, "a", t, "calls", {"region": "eu"}),
            event_item(org, "b", t + 1, "calls", {}),
            event_item(org, "c", FEBRUARY - 1, "calls", {"region": "us"}),
            event_item(org, "d", FEBRUARY, "calls", {"region": "eu"}),
            event_item(org, "e", t + 2, "bytes", {"region": "eu", "size": 10}),
            event_item(org, "f", t + 3, "bytes", {"region": "eu", "size": "2.5"}),
            event_item(org, "g", t + 4, "bytes", {"size": "not a number"}),
            event_item(org, "h", t + 5, "peak", {"size": 4}),
            event_item(org, "i", t + 6, "peak", {"size": 9}),
            event_item(org, "j", t + 7, "last", {"region": "us", "size": 5}),
            event_item(org, "k", t - 1, "calls", {})]  # before the start: not billed


def cli(capsys, *arguments: str) -> tuple[int, list[str]]:
    code = main(["rebuild-usage", *arguments])
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).splitlines()


def test_aggregates_built_by_the_handler_recompute_identically(dynamodb, tenant, usage, capsys):
    org = tenant.organization_id
    ingest(dynamodb, sample_events(org))
    report = UsageRebuild(repositories()).rebuild(org, "sub")
    assert report.differences == []
    stored = len(aggregates(org, usage["subscription"]["lago_id"], JANUARY_START)) + len(
        aggregates(org, usage["subscription"]["lago_id"], FEBRUARY))
    # Plus each period's applied-events counter (January and February), recomputed like the others.
    assert report.checked == stored + 2 == 9
    code, lines = cli(capsys, "--organization-id", org, "--external-subscription-id", "sub")
    assert (code, lines) == (0, ["9 aggregates checked, 0 differ"])


def test_a_corrupted_aggregate_is_reported_and_repaired(dynamodb, tenant, usage, capsys):
    org, sub, charges = tenant.organization_id, usage["subscription"]["lago_id"], usage["charges"]
    records = ingest(dynamodb, sample_events(org))
    eu = bucket_key({"region": ["eu"]})
    bytes_key = {"pk": usage_pk(org, sub), "sk": aggregate_sk(JANUARY_START, charges["bytes"], eu)}
    before = dynamodb.get_item(TableName=USAGE.name, Key=to_attributes(bytes_key))["Item"]
    watermarks = {name: value for name, value in before.items() if name.startswith("watermark#")}
    assert watermarks
    highest = max(item.watermarks["shardId-1"] for item in repositories().usage.all_aggregates(org, sub).values())
    dynamodb.update_item(TableName=USAGE.name, Key=to_attributes(bytes_key),
                         UpdateExpression="SET #total = :total", ExpressionAttributeNames={"#total": "total"},
                         ExpressionAttributeValues=to_attributes({":total": Decimal("99")}))
    # A lost aggregate (February's) and one that no stored event explains.
    dynamodb.delete_item(TableName=USAGE.name, Key=to_attributes(
        {"pk": usage_pk(org, sub), "sk": aggregate_sk(FEBRUARY, charges["calls"], eu)}))
    stray = {**{name: value for name, value in before.items() if name not in ("pk", "sk")},
             "pk": to_attributes({"v": usage_pk(org, sub)})["v"],
             "sk": to_attributes({"v": aggregate_sk(FEBRUARY, charges["bytes"], eu)})["v"],
             "period_start_ms": to_attributes({"v": FEBRUARY})["v"]}
    dynamodb.put_item(TableName=USAGE.name, Item=stray)

    code, lines = cli(capsys, "--organization-id", org, "--external-subscription-id", "sub")
    assert code == 0
    assert lines[-1] == "10 aggregates checked, 3 differ"
    assert (f"aggregate subscription={sub} period=2026-01-01T00:00:00Z charge={charges['bytes']} bucket={eu}: "
            f"stored={Totals(Decimal('99'), 2)!r} recomputed={Totals(Decimal('12.5'), 2)!r}") in lines
    assert (f"aggregate subscription={sub} period=2026-02-01T00:00:00Z charge={charges['calls']} bucket={eu}: "
            f"stored=None recomputed=1") in lines
    assert (f"aggregate subscription={sub} period=2026-02-01T00:00:00Z charge={charges['bytes']} bucket={eu}: "
            f"stored={Totals(Decimal('12.5'), 2)!r} recomputed={Totals(Decimal('0'), 0)!r}") in lines

    code, lines = cli(capsys, "--organization-id", org, "--external-subscription-id", "sub", "--apply")
    assert code == 0 and lines[-2:] == ["10 aggregates checked, 3 differ", "3 aggregates rewritten"]
    assert cli(capsys, "--organization-id", org, "--external-subscription-id", "sub") == (
        0, ["10 aggregates checked, 0 differ"])
    after = dynamodb.get_item(TableName=USAGE.name, Key=to_attributes(bytes_key))["Item"]
    assert {name: value for name, value in after.items() if name.startswith("watermark#")} == watermarks
    assert int(after["revision"]["N"]) == int(before["revision"]["N"]) + 1
    january = aggregates(org, sub, JANUARY_START)
    assert january[(charges["bytes"], eu)].state == Totals(Decimal("12.5"), 2)
    assert aggregates(org, sub, FEBRUARY)[(charges["calls"], eu)].state == 1
    recreated = dynamodb.get_item(TableName=USAGE.name, Key=to_attributes(
        {"pk": usage_pk(org, sub), "sk": aggregate_sk(FEBRUARY, charges["calls"], eu)}))["Item"]
    # Recreated with the shard's highest watermark on the subscription's aggregates.
    assert {name: value for name, value in recreated.items() if name.startswith("watermark#")} == {
        "watermark#shardId-1": {"S": highest}}
    # The watermarks were kept: redelivering the stream changes nothing.
    assert deliver(records) == {"batchItemFailures": []}
    assert UsageRebuild(repositories()).rebuild(org, "sub").differences == []


def test_unique_count_values_are_compared_and_repaired(api, dynamodb, tenant, usage, capsys):
    org = tenant.organization_id
    metric = create_metric(api, "users", "unique_count_agg", "user_id")
    create_plan(api, code="uniq", charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                            "properties": {"amount": "1"}}])
    subscription = subscribe(api, external_id="sub-u", plan_code="uniq",
                             subscription_at=STARTED.isoformat().replace("+00:00", "Z"))
    t = epoch_ms(STARTED)
    ingest(dynamodb, [event_item(org, f"u{n}", t + n, "users", {"user_id": f"user-{n % 2}"},
                                 external_subscription_id="sub-u") for n in range(4)])
    assert UsageRebuild(repositories()).rebuild(org, "sub-u").differences == []
    usage_store = repositories().usage
    (key,) = usage_store.stored_values(org, subscription["lago_id"])
    assert key.period_start_ms == JANUARY_START  # a metered metric's values are kept per period
    ghost = CountedValue(frozenset({Operation(t + 50, "ghost", True)}), frozenset({FEBRUARY}), 1)
    usage_store.write_values(key, {"user-9": ValueWrite(ghost, 0, ActiveValues(1, frozenset({FEBRUARY})))})

    code, lines = cli(capsys, "--organization-id", org, "--external-subscription-id", "sub-u")
    assert lines == [f"values subscription={subscription['lago_id']} period=2026-01-01T00:00:00Z "
                     f"charge={key.charge_id} bucket=default: "
                     "stored={user-0: 2 operations, counted 1, user-1: 2 operations, counted 1, "
                     "user-9: 1 operations, counted 1} "
                     "recomputed={user-0: 2 operations, counted 1, user-1: 2 operations, counted 1}",
                     f"values subscription={subscription['lago_id']} period=2026-01-01T00:00:00Z "
                     f"charge={key.charge_id} bucket=default: stored=3 active recomputed=2 active",
                     "2 aggregates checked, 2 differ"]
    assert cli(capsys, "--organization-id", org, "--external-subscription-id", "sub-u", "--apply")[1][-1] == (
        "2 aggregates rewritten")
    assert cli(capsys, "--organization-id", org, "--external-subscription-id", "sub-u") == (
        0, ["2 aggregates checked, 0 differ"])
    assert set(usage_store.stored_values(org, subscription["lago_id"])[key]) == {"user-0", "user-1"}
    assert usage_store.period_aggregates(org, subscription["lago_id"], JANUARY_START)[
        (key.charge_id, "default", ())].state == ActiveValues(2, frozenset({FEBRUARY}))


def test_an_unknown_external_id_is_a_clean_error(dynamodb, tenant, capsys):
    assert cli(capsys, "--organization-id", tenant.organization_id, "--external-subscription-id", "nope") == (
        1, ["error: subscription_not_found"])

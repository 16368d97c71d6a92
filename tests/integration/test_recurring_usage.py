"""Recurring and unique-count metrics from the stream handler to current usage: events before the subscription's
start (billed by recurring sums and unique counts from the first period on, never by metered metrics), unique-count
adds and removes across periods, and `rebuild-usage` recomputing the same aggregates (lago-semantics §1.1, §1.2)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from builders import create_customer, create_metric, create_plan, subscribe
from usage_fixtures import STARTED, event_item
from usage_fixtures import store_and_deliver as send

from chalicelib.domain.aggregate_keys import APPLIED_EVENTS_CHARGE
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.repositories import repositories
from chalicelib.usage.rebuild import UsageRebuild

DAY = 86_400_000
START = epoch_ms(STARTED)  # 2026-01-15T10:00Z


def at(when: datetime):
    return lambda: when


def current_usage(api, monkeypatch, now: datetime, external_id: str = "sub") -> dict:
    monkeypatch.setattr("chalicelib.api.current_usage.utc_now", at(now))
    response = api.get(f"/api/v1/customers/cust/current_usage?external_subscription_id={external_id}")
    assert response.status_code == 200, response.body
    return {charge["billable_metric"]["code"]: (charge["units"], charge["events_count"], charge["amount_cents"])
            for charge in response.json_body["customer_usage"]["charges_usage"]}


def recurring(api, code: str) -> None:
    response = api.put(f"/api/v1/billable_metrics/{code}", {"billable_metric": {"recurring": True}})
    assert response.status_code == 200, response.body


@pytest.fixture
def seats(api, tenant):
    """`seats` (sum of n, recurring) and `metered` (sum of n) at 1 EUR a unit; `users` (unique count of user,
    recurring) and `visitors` (unique count of user, metered) at 1 EUR; customer `cust` subscribed as `sub`
    from 2026-01-15T10:00Z, calendar monthly."""
    metrics = {code: create_metric(api, code, aggregation, field) for code, aggregation, field in (
        ("seats", "sum_agg", "n"), ("metered", "sum_agg", "n"), ("users", "unique_count_agg", "user"),
        ("visitors", "unique_count_agg", "user"))}
    recurring(api, "seats")
    recurring(api, "users")
    create_customer(api)
    create_plan(api, amount_cents=0, charges=[
        {"billable_metric_id": metric["lago_id"], "charge_model": "standard", "properties": {"amount": "1"}}
        for metric in metrics.values()])
    return subscribe(api, subscription_at=STARTED.isoformat().replace("+00:00", "Z"))


def test_a_recurring_sum_bills_events_before_the_start_and_a_metered_one_does_not(api, dynamodb, tenant, seats,
                                                                                   monkeypatch):
    org = tenant.organization_id
    # §1.1's spec: 2 events of 2.5 before the start and 4 of 12 inside the period: recurring 5 + 48 = 53, metered 48.
    before = [START - 5 * DAY, START - 1]
    inside = [START, START + DAY, START + 2 * DAY, START + 3 * DAY]
    items = [event_item(org, f"{code}-before-{n}", t, code, {"n": "2.5"})
             for n, t in enumerate(before) for code in ("seats", "metered")]
    items += [event_item(org, f"{code}-in-{n}", t, code, {"n": 12}) for n, t in enumerate(inside)
              for code in ("seats", "metered")]
    send(dynamodb, items)
    usage = current_usage(api, monkeypatch, STARTED + timedelta(days=5))
    assert usage["seats"] == ("53.0", 6, 5300)
    assert usage["metered"] == ("48.0", 4, 4800)
    # February: the recurring total carries (53), the metered sum starts again at 0.
    february = current_usage(api, monkeypatch, datetime(2026, 2, 10, tzinfo=UTC))
    assert february["seats"] == ("53.0", 6, 5300)
    assert february["metered"] == ("0.0", 0, 0)
    assert UsageRebuild(repositories()).rebuild(org, "sub").differences == []


def test_events_for_a_pending_subscription_before_and_after_its_start(api, dynamodb, tenant, seats, api_clock):
    """`later` is created on 20 January, pending until 1 February. An event stamped before its start opens its
    first period (recurring sum); one stamped after its start, stored while it is still pending, is billed in
    February as if it had arrived after the activation."""
    org = tenant.organization_id
    api_clock.set(datetime(2026, 1, 20, tzinfo=UTC))
    assert subscribe(api, external_id="later", subscription_at="2026-02-01T00:00:00Z")["status"] == "pending"
    february = epoch_ms(datetime(2026, 2, 1, tzinfo=UTC))
    send(dynamodb, [event_item(org, "early", START, "seats", {"n": 3}, external_subscription_id="later"),
                    event_item(org, "early-m", START, "metered", {"n": 3}, external_subscription_id="later"),
                    event_item(org, "after", february + DAY, "metered", {"n": 4}, external_subscription_id="later")])
    subscription = repositories().subscriptions.find_current(org, "later")
    charges = {charge.billable_metric_code: charge.id
               for charge in repositories().plans.get(org, subscription.plan_id).charges}
    stored = {(key.period_start_ms, key.charge_id): item.state
              for key, item in repositories().usage.all_aggregates(org, subscription.id).items()}
    assert stored == {(0, charges["seats"]): Totals(Decimal(3), 1),
                      (february, charges["metered"]): Totals(Decimal(4), 1),
                      (february, APPLIED_EVENTS_CHARGE): 1}
    assert UsageRebuild(repositories()).rebuild(org, "later").differences == []


def test_unique_counts_before_the_start_and_across_periods(api, dynamodb, tenant, seats, monkeypatch):
    org = tenant.organization_id
    february = epoch_ms(datetime(2026, 2, 1, tzinfo=UTC))

    def op(tx: str, t: int, code: str, user: str, operation: str = "add") -> dict:
        return event_item(org, tx, t, code, {"user": user, "operation_type": operation})

    items = []
    for code in ("users", "visitors"):
        items += [op(f"{code}-1", START - DAY, code, "ann"),              # before the start
                  op(f"{code}-2", START + DAY, code, "bob"),
                  op(f"{code}-3", START + DAY + 1, code, "bob"),          # a second add of bob: no-op
                  op(f"{code}-4", START + 2 * DAY, code, "cat"),
                  op(f"{code}-5", START + 3 * DAY, code, "cat", "remove"),
                  op(f"{code}-6", february + DAY, code, "dan")]           # February
    send(dynamodb, items[:7])
    send(dynamodb, items[7:])
    # January. Recurring: ann (before the start) and bob; cat was removed: 2. Metered: bob only: 1.
    january = current_usage(api, monkeypatch, STARTED + timedelta(days=5))
    assert (january["users"], january["visitors"]) == (("2.0", 2, 200), ("1.0", 1, 100))
    # February. Recurring: ann, bob and dan: 3. Metered: dan only: 1.
    later = current_usage(api, monkeypatch, datetime(2026, 2, 10, tzinfo=UTC))
    assert (later["users"], later["visitors"]) == (("3.0", 3, 300), ("1.0", 1, 100))
    assert UsageRebuild(repositories()).rebuild(org, "sub").differences == []


def dynamodb_reads(api, path: str) -> list[tuple[str, int]]:
    """Each DynamoDB request one request to the API makes, with the number of items it read (botocore's after-call
    hook on the parsed response)."""
    reads = []

    def record(model, parsed, **_):
        items = len(parsed.get("Items", ())) + ("Item" in parsed) + sum(
            len(found) for found in parsed.get("Responses", {}).values())
        reads.append((model.name, items))

    events = repositories().client.meta.events
    events.register("after-call.dynamodb", record)
    try:
        response = api.get(path)
    finally:
        events.unregister("after-call.dynamodb", record)
    assert response.status_code == 200, response.body
    return reads


def test_unique_count_current_usage_reads_the_same_items_for_10_and_2000_values(api, dynamodb, tenant, seats,
                                                                               monkeypatch):
    org = tenant.organization_id
    february = epoch_ms(datetime(2026, 2, 1, tzinfo=UTC))
    now = datetime(2026, 2, 10, tzinfo=UTC)
    path = "/api/v1/customers/cust/current_usage?external_subscription_id=sub"
    span = epoch_ms(now) - (START + DAY)

    def events(prefix: str, total: int) -> list[dict]:
        """`total` events, each a new user, alternating metrics, spread evenly from 16 January to 10 February."""
        return [event_item(org, f"{prefix}{n}", START + DAY + n * (span // total), ("users", "visitors")[n % 2],
                           {"user": f"{prefix}-{n}"}) for n in range(total)]

    def in_february(total: int) -> int:
        """The visitors (odd events) of `events(_, total)` on or after 1 February."""
        return sum(1 for n in range(1, total, 2) if START + DAY + n * (span // total) >= february)

    send(dynamodb, events("few", 10))
    few = current_usage(api, monkeypatch, now)
    with_few = dynamodb_reads(api, path)
    send(dynamodb, events("many", 1990))
    many = current_usage(api, monkeypatch, now)
    assert dynamodb_reads(api, path) == with_few  # the same requests, each reading the same number of items
    # Users (recurring, even events): every one so far. Visitors (metered, odd events): February's only.
    assert few["users"][1] == 5 and few["visitors"][1] == in_february(10) == 2
    assert many["users"][1] == 5 + 995
    assert many["visitors"][1] == in_february(10) + in_february(1990)
    # The organization (the customer, the subscription, the plan and its metrics come from the warm container's
    # setup cache), its dead-lettered events, the period's aggregates (the metered count's summary among them),
    # every aggregate for the recurring openings (the recurring count's summary among them), and the external id's
    # subscriptions (none earlier here: nothing carried in). No value is read.
    assert sorted(operation for operation, _ in with_few) == sorted(["GetItem"] + ["Query"] * 4)

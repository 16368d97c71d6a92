"""A property over random timelines (docs/billing-over-time.md): subscriptions created now or backdated, events at
random past and present instants sent between hourly biller runs and `bill --backfill` runs at ascending instants,
upgrades and terminations now; then the clock runs past every period and a last backfill bills what is left.

Each event carries a distinct power of two (`v` = 2^i, summed by the metric), so the units of a charge fee name the
very events it bills. Invariants:
- every event is on exactly one finalized invoice, or listed by `GET /events?billable=false` with a reason that the
  timeline confirms (no subscription had started at its instant / the last one had ended / its period's invoice was
  finalized before the event was sent);
- no subscription's charges period, nor its base-fee period, is invoiced twice;
- each charge fee is the usage of its window priced by the test: the units of the subscription's billable events
  stamped in the window, at the plan's price (1 cent a unit on `basic`, 2 on `pro`)."""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import boto3
from chalice.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from in_advance_fixtures import drain, stream_poller
from moto import mock_aws

from chalicelib.billing.replay import BillerReplay, Replay
from chalicelib.control_plane import organization_use_cases
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.local.gateway import ApiGatewayEmulation
from chalicelib.store.repositories import repositories, reset_repositories
from chalicelib.store.tables import create_tables
from chalicelib.wiring import run_biller

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 10, 12, tzinfo=UTC)
EXTERNAL_IDS = ("s1", "s2")
PRICE_CENTS = {"basic": 1, "pro": 2}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ------------------------------------------------------------------------------------------ the timelines

actions = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(EXTERNAL_IDS), st.integers(0, 3), st.integers(1, 28)),
    st.tuples(st.just("event"), st.sampled_from(EXTERNAL_IDS), st.integers(0, 120), st.integers(0, 23)),
    st.tuples(st.just("advance"), st.integers(1, 45)),
    st.tuples(st.just("backfill"),),
    st.tuples(st.just("upgrade"), st.sampled_from(EXTERNAL_IDS)),
    st.tuples(st.just("terminate"), st.sampled_from(EXTERNAL_IDS)),
)


@dataclass
class SentEvent:
    transaction_id: str
    external_id: str
    timestamp: datetime
    sent_at: datetime
    bit: int


@dataclass
class World:
    """The API, the clocks the test moves, and what it sent."""

    http: object
    api_key: str
    monkeypatch: object
    now: datetime = START
    events: list[SentEvent] = field(default_factory=list)
    current: dict[str, str] = field(default_factory=dict)  # external id -> plan code of its active subscription
    created: set[str] = field(default_factory=set)  # every external id a subscription was created with

    def request(self, method: str, path: str, body=None):
        headers = {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}
        response = self.http.request(method, path, headers=headers,
                                     body=json.dumps(body).encode() if body is not None else None)
        assert response.status_code == 200, (method, path, response.body)
        return response.json_body

    def set_clock(self, moment: datetime) -> None:
        self.now = moment
        self.monkeypatch.setattr("chalicelib.api.subscriptions.utc_now", lambda: moment)
        self.monkeypatch.setattr("chalicelib.api.events.utc_now_ms", lambda: moment)


def _catalog(world: World) -> None:
    world.request("POST", "/api/v1/billable_metrics", {"billable_metric": {
        "name": "usage", "code": "usage", "aggregation_type": "sum_agg", "field_name": "v"}})
    metric_id = world.request("GET", "/api/v1/billable_metrics/usage")["billable_metric"]["lago_id"]
    for code, base_fee in (("basic", 100), ("pro", 200)):
        world.request("POST", "/api/v1/plans", {"plan": {
            "name": code, "code": code, "interval": "monthly", "amount_cents": base_fee, "amount_currency": "EUR",
            "pay_in_advance": False, "charges": [{"billable_metric_id": metric_id, "charge_model": "standard",
                                                  "properties": {"amount": str(Decimal(PRICE_CENTS[code]) / 100)}}]}})
    world.request("POST", "/api/v1/customers", {"customer": {"external_id": "acme", "name": "Acme"}})


def _months_back(moment: datetime, months: int, day: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    return datetime(index // 12, index % 12 + 1, day, tzinfo=UTC)


def _play(world: World, action: tuple, stream, bits) -> None:
    kind = action[0]
    if kind == "create":
        _, external_id, months, day = action
        if external_id in world.current:
            return
        subscription_at = min(_months_back(world.now, months, day), world.now)
        _subscribe(world, external_id, subscription_at)
    elif kind == "event":
        _, external_id, days, hour = action
        if external_id not in world.created:
            return  # an unknown subscription's event is refused (404)
        timestamp = world.now - timedelta(days=days, hours=hour, seconds=17)
        event = SentEvent(f"tx-{len(world.events)}", external_id, timestamp, world.now, next(bits))
        world.request("POST", "/api/v1/events", {"event": {
            "transaction_id": event.transaction_id, "external_subscription_id": external_id, "code": "usage",
            "timestamp": epoch_ms(timestamp) // 1000, "properties": {"v": event.bit}}})
        world.events.append(event)
        drain(stream)
    elif kind == "advance":
        world.set_clock(world.now + timedelta(days=action[1]))
        run_biller(world.now)
    elif kind == "backfill":
        BillerReplay(repositories()).run(Replay(at=world.now, backfill=True), current_time=world.now)
    elif kind == "upgrade":
        external_id = action[1]
        if world.current.get(external_id) == "basic":
            world.request("POST", "/api/v1/subscriptions", {"subscription": {
                "external_customer_id": "acme", "plan_code": "pro", "external_id": external_id}})
            world.current[external_id] = "pro"
    elif kind == "terminate":
        external_id = action[1]
        if external_id in world.current:
            world.request("DELETE", f"/api/v1/subscriptions/{external_id}")
            del world.current[external_id]
    world.set_clock(world.now + timedelta(minutes=1))  # every action at its own instant


def _subscribe(world: World, external_id: str, subscription_at: datetime) -> None:
    world.request("POST", "/api/v1/subscriptions", {"subscription": {
        "external_customer_id": "acme", "plan_code": "basic", "external_id": external_id,
        "subscription_at": _iso(subscription_at)}})
    world.current[external_id] = "basic"
    world.created.add(external_id)


# ------------------------------------------------------------------------------------------ what it shows

@dataclass(frozen=True)
class Shown:
    lago_id: str
    external_id: str
    plan_code: str
    started_at: datetime
    terminated_at: datetime | None
    created_at: datetime


def _subscriptions(world: World) -> list[Shown]:
    listed = world.request("GET", "/api/v1/subscriptions?external_customer_id=acme&per_page=100"
                                  "&status[]=active&status[]=terminated")["subscriptions"]
    return [Shown(item["lago_id"], item["external_id"], item["plan_code"], _instant(item["started_at"]),
                  _instant(item["terminated_at"]) if item["terminated_at"] else None, _instant(item["created_at"]))
            for item in listed]


def _active_at(subscriptions: list[Shown], external_id: str, moment: datetime) -> Shown | None:
    """The subscription billing an instant (the latest started; `terminated_at` is the last second billed)."""
    covering = [each for each in subscriptions if each.external_id == external_id and each.started_at <= moment
                and (each.terminated_at is None or moment < each.terminated_at + timedelta(seconds=1))]
    return max(covering, key=lambda each: each.started_at, default=None)


def _invoices(world: World) -> list[dict]:
    listed = world.request("GET", "/api/v1/invoices?external_customer_id=acme&per_page=100")
    assert listed["meta"]["total_count"] <= 100
    return [world.request("GET", f"/api/v1/invoices/{invoice['lago_id']}")["invoice"]
            for invoice in listed["invoices"]]


def _check(world: World) -> None:
    subscriptions = _subscriptions(world)
    by_id = {each.lago_id: each for each in subscriptions}
    invoices = _invoices(world)
    assert all(invoice["status"] == "finalized" for invoice in invoices)
    unbillable = {}
    for external_id in {event.external_id for event in world.events}:
        listed = world.request("GET", f"/api/v1/events?external_subscription_id={external_id}&billable=false"
                                      "&per_page=100")["events"]
        unbillable.update({event["transaction_id"]: event["unbillable_reason"] for event in listed})

    charge_fees, periods_billed, base_fees_billed = [], [], []
    for invoice in invoices:
        for fee in invoice["fees"]:
            subscription_id = fee["lago_subscription_id"]
            if fee["item"]["type"] == "subscription":
                base_fees_billed.append((subscription_id, fee["from_date"]))
            else:
                charge_fees.append(fee)
                periods_billed.append((subscription_id, fee["from_date"]))
    # No period invoiced twice.
    assert len(periods_billed) == len(set(periods_billed)), periods_billed
    assert len(base_fees_billed) == len(set(base_fees_billed)), base_fees_billed

    # Each unbillable event's reason, as the timeline shows it.
    for event in world.events:
        reason = unbillable.get(event.transaction_id)
        subscription = _active_at(subscriptions, event.external_id, event.timestamp)
        # The aggregator judges an event when it applies it, among the subscriptions that exist then: one created
        # later (backdated over it) does not take it in (docs/billing-over-time.md, "Unbillable events").
        existing = [each for each in subscriptions if each.created_at <= event.sent_at]
        if reason == "before_subscription_start":
            assert _active_at(existing, event.external_id, event.timestamp) is None and any(
                each.started_at > event.timestamp for each in existing if each.external_id == event.external_id)
        elif reason == "after_subscription_end":
            assert _active_at(existing, event.external_id, event.timestamp) is None and not any(
                each.started_at > event.timestamp for each in existing if each.external_id == event.external_id)
        elif reason == "period_finalized":  # its period's one invoice was issued before the event was sent
            billing = [invoice for invoice in invoices for period in invoice["billing_periods"]
                       if period["lago_subscription_id"] == subscription.lago_id
                       and _instant(period["charges_from_datetime"]) <= event.timestamp
                       <= _instant(period["charges_to_datetime"])]
            assert len(billing) == 1, (event, billing)
            assert _instant(billing[0]["created_at"]) < event.sent_at
        else:
            assert reason is None
            assert subscription is not None, event  # a billable event has a subscription

    # Every billable event on exactly one charge fee, each fee the usage of its window priced by the test.
    billable = [event for event in world.events if event.transaction_id not in unbillable]
    seen = 0
    for fee in charge_fees:
        subscription = by_id[fee["lago_subscription_id"]]
        start, end = _instant(fee["from_date"]), _instant(fee["to_date"])
        units = int(Decimal(fee["units"]))
        assert units & seen == 0, "an event billed twice"
        seen |= units
        expected = sum(event.bit for event in billable if event.external_id == subscription.external_id
                       and start <= event.timestamp <= end
                       and _active_at(subscriptions, event.external_id, event.timestamp) == subscription)
        assert units == expected, (fee, subscription)
        assert fee["amount_cents"] == expected * PRICE_CENTS[subscription.plan_code]
    assert seen == sum(event.bit for event in billable)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(timeline=st.lists(actions, min_size=4, max_size=16))
# An event sent while its external id had no subscription, then a subscription of that id created backdated over it.
@example(timeline=[("create", "s1", 0, 3), ("advance", 31), ("create", "s1", 0, 10), ("terminate", "s1"),
                   ("upgrade", "s2"), ("backfill",), ("advance", 30), ("advance", 37), ("create", "s2", 3, 19),
                   ("advance", 39), ("event", "s1", 55, 2), ("backfill",), ("upgrade", "s1"), ("create", "s1", 3, 17),
                   ("create", "s1", 1, 4)])
def test_any_timeline_bills_every_event_once_or_lists_it_with_its_reason(aws_environment, monkeypatch, timeline):
    with mock_aws(config={"core": {"mock_credentials": True, "reset_boto3_session": False}}):
        reset_repositories()
        client = boto3.client("dynamodb")
        create_tables(client)
        _, api_key = organization_use_cases().create("Lago Corp")
        from app import app

        with Client(app, stage_name="dev", project_dir=str(ROOT)) as chalice:
            http = chalice.http
            http._local_gateway = ApiGatewayEmulation(app, http._config)
            world = World(http, api_key, monkeypatch)
            world.set_clock(START)
            _catalog(world)
            stream = stream_poller(client)
            bits = (1 << index for index in itertools.count())
            _subscribe(world, "s1", _months_back(START, 2, 15))  # every timeline has one backdated subscription
            for action in timeline:
                _play(world, action, stream, bits)
            world.set_clock(world.now + timedelta(days=70))  # past every period started so far
            run_biller(world.now)
            BillerReplay(repositories()).run(Replay(at=world.now, backfill=True), current_time=world.now)
            _check(world)
        reset_repositories()

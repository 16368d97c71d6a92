"""Random billing timelines (docs/billing-over-time.md) and what any of them must bill: subscriptions created now or
backdated, events at random past and present instants sent between hourly biller runs and `bill --backfill` runs at
ascending instants, upgrades and terminations now; then the clock runs past every period and a last backfill bills
what is left.

Each event carries a distinct power of two (`v` = 2^i, summed by the metric), so the units of a charge fee name the
very events it bills. Invariants (`check`):
- every event is on exactly one finalized invoice, or listed by `GET /events?billable=false` with a reason that the
  timeline confirms (no subscription had started at its instant / the last one had ended / its period's invoice was
  finalized before the event was sent);
- no subscription's charges period, nor its base-fee period, is invoiced twice;
- each charge fee is the usage of its window priced by the test: the units of the subscription's billable events
  stamped in the window, at the plan's price (1 cent a unit on `basic`, 2 on `pro`).

A timeline is played on a `Service` answering as the HTTP API does, in Lago's JSON: the routes' use cases on the
in-memory stores (tests/unit/test_billing_over_time_property.py, the property) or the API itself on moto
(tests/integration/test_billing_over_time_timelines.py, fixed timelines)."""
from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from hypothesis import strategies as st

START = datetime(2026, 3, 10, 12, tzinfo=UTC)
EXTERNAL_IDS = ("s1", "s2")
PRICE_CENTS = {"basic": 1, "pro": 2}
Action = tuple[Any, ...]
Json = dict[str, Any]
EVERY = 100  # a page of a read holding all that a timeline makes

actions = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(EXTERNAL_IDS), st.integers(0, 3), st.integers(1, 28)),
    st.tuples(st.just("event"), st.sampled_from(EXTERNAL_IDS), st.integers(0, 120), st.integers(0, 23)),
    st.tuples(st.just("advance"), st.integers(1, 45)),
    st.tuples(st.just("backfill"),),
    st.tuples(st.just("upgrade"), st.sampled_from(EXTERNAL_IDS)),
    st.tuples(st.just("terminate"), st.sampled_from(EXTERNAL_IDS)),
)
timelines = st.lists(actions, min_size=4, max_size=16)

# An event sent while its external id had no subscription, then a subscription of that id created backdated over it.
BACKDATED_OVER_AN_UNBILLABLE_EVENT: list[Action] = [
    ("create", "s1", 0, 3), ("advance", 31), ("create", "s1", 0, 10), ("terminate", "s1"), ("upgrade", "s2"),
    ("backfill",), ("advance", 30), ("advance", 37), ("create", "s2", 3, 19), ("advance", 39), ("event", "s1", 55, 2),
    ("backfill",), ("upgrade", "s1"), ("create", "s1", 3, 17), ("create", "s1", 1, 4)]
# History with an event billed by a backfill, an upgrade and a termination now, and an event of each unbillable reason:
# before the backdated start, in the period the upgrade's invoice finalized, after the termination.
UPGRADED_THEN_TERMINATED: list[Action] = [
    ("event", "s1", 30, 0), ("event", "s1", 60, 0), ("upgrade", "s1"), ("event", "s1", 0, 1), ("event", "s1", 0, 0),
    ("backfill",), ("advance", 25), ("terminate", "s1"), ("event", "s1", 0, 0)]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Service(Protocol):
    """What a timeline asks, each as the API route named does it (customer `acme`); reads answer in Lago's JSON."""

    def set_clock(self, moment: datetime) -> None:
        """The requests' "now": a subscription change's time, an event's reception."""

    def create_metric(self, payload: Json) -> str:
        """`POST /billable_metrics`: the metric's lago_id."""

    def create_plan(self, payload: Json) -> None:
        """`POST /plans`."""

    def create_customer(self, payload: Json) -> None:
        """`POST /customers`."""

    def create_subscription(self, payload: Json) -> None:
        """`POST /subscriptions`, what it makes due billed at once."""

    def terminate(self, external_id: str) -> None:
        """`DELETE /subscriptions/{external_id}`, its final invoice billed at once."""

    def send_event(self, payload: Json) -> None:
        """`POST /events`, then the events' stream applies it."""

    def run_biller(self, now: datetime) -> Any:
        """The hourly biller's run as of `now`."""

    def backfill(self, now: datetime) -> None:
        """`bill --at <now> --backfill`."""

    def subscriptions(self) -> list[Json]:
        """`GET /subscriptions?external_customer_id=acme&status[]=active&status[]=terminated`, all of them."""

    def invoices(self) -> list[Json]:
        """`acme`'s invoices (`GET /invoices?external_customer_id=acme`), all of them, with their fees."""

    def unbillable_events(self, external_subscription_id: str) -> list[Json]:
        """`GET /events?external_subscription_id=...&billable=false`, all of them."""


# ------------------------------------------------------------------------------------------ the timelines

@dataclass
class SentEvent:
    transaction_id: str
    external_id: str
    timestamp: datetime
    sent_at: datetime
    bit: int


@dataclass
class Timeline:
    """The service, the clock the test moves, and what it sent."""

    service: Service
    now: datetime = START
    events: list[SentEvent] = field(default_factory=list)
    current: dict[str, str] = field(default_factory=dict)  # external id -> plan code of its active subscription
    created: set[str] = field(default_factory=set)  # every external id a subscription was created with
    bits: Iterator[int] = field(default_factory=lambda: (1 << index for index in itertools.count()))

    def set_clock(self, moment: datetime) -> None:
        self.now = moment
        self.service.set_clock(moment)


def _catalog(service: Service) -> None:
    metric_id = service.create_metric({"name": "usage", "code": "usage", "aggregation_type": "sum_agg",
                                       "field_name": "v"})
    for code, base_fee in (("basic", 100), ("pro", 200)):
        service.create_plan({
            "name": code, "code": code, "interval": "monthly", "amount_cents": base_fee, "amount_currency": "EUR",
            "pay_in_advance": False, "charges": [{"billable_metric_id": metric_id, "charge_model": "standard",
                                                  "properties": {"amount": str(Decimal(PRICE_CENTS[code]) / 100)}}]})
    service.create_customer({"external_id": "acme", "name": "Acme"})


def _months_back(moment: datetime, months: int, day: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    return datetime(index // 12, index % 12 + 1, day, tzinfo=UTC)


def _subscribe(timeline: Timeline, external_id: str, subscription_at: datetime) -> None:
    timeline.service.create_subscription({"external_customer_id": "acme", "plan_code": "basic",
                                          "external_id": external_id,
                                          "subscription_at": subscription_at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    timeline.current[external_id] = "basic"
    timeline.created.add(external_id)


def _play(timeline: Timeline, action: Action) -> None:
    service, kind = timeline.service, action[0]
    if kind == "create":
        _, external_id, months, day = action
        if external_id in timeline.current:
            return
        _subscribe(timeline, external_id, min(_months_back(timeline.now, months, day), timeline.now))
    elif kind == "event":
        _, external_id, days, hour = action
        if external_id not in timeline.created:
            return  # an unknown subscription's event is refused (404)
        timestamp = timeline.now - timedelta(days=days, hours=hour, seconds=17)
        event = SentEvent(f"tx-{len(timeline.events)}", external_id, timestamp, timeline.now, next(timeline.bits))
        service.send_event({"transaction_id": event.transaction_id, "external_subscription_id": external_id,
                            "code": "usage", "timestamp": int(timestamp.timestamp()),
                            "properties": {"v": event.bit}})
        timeline.events.append(event)
    elif kind == "advance":
        timeline.set_clock(timeline.now + timedelta(days=action[1]))
        service.run_biller(timeline.now)
    elif kind == "backfill":
        service.backfill(timeline.now)
    elif kind == "upgrade":
        external_id = action[1]
        if timeline.current.get(external_id) == "basic":
            service.create_subscription({"external_customer_id": "acme", "plan_code": "pro",
                                         "external_id": external_id})
            timeline.current[external_id] = "pro"
    elif kind == "terminate":
        external_id = action[1]
        if external_id in timeline.current:
            service.terminate(external_id)
            del timeline.current[external_id]
    timeline.set_clock(timeline.now + timedelta(minutes=1))  # every action at its own instant


def play(service: Service, actions_played: Sequence[Action]) -> Timeline:
    """The catalog and one backdated subscription (every timeline has one), the actions from START, then the clock
    past every period started so far, with the hourly biller's run and a backfill there."""
    timeline = Timeline(service)
    timeline.set_clock(START)
    _catalog(service)
    _subscribe(timeline, "s1", _months_back(START, 2, 15))
    for action in actions_played:
        _play(timeline, action)
    timeline.set_clock(timeline.now + timedelta(days=70))
    service.run_biller(timeline.now)
    service.backfill(timeline.now)
    return timeline


# ------------------------------------------------------------------------------------------ what it shows

@dataclass(frozen=True)
class Shown:
    lago_id: str
    external_id: str
    plan_code: str
    started_at: datetime
    terminated_at: datetime | None
    created_at: datetime


def _subscriptions(service: Service) -> list[Shown]:
    return [Shown(item["lago_id"], item["external_id"], item["plan_code"], _instant(item["started_at"]),
                  _instant(item["terminated_at"]) if item["terminated_at"] else None, _instant(item["created_at"]))
            for item in service.subscriptions()]


def _active_at(subscriptions: list[Shown], external_id: str, moment: datetime) -> Shown | None:
    """The subscription billing an instant (the latest started; `terminated_at` is the last second billed)."""
    covering = [each for each in subscriptions if each.external_id == external_id and each.started_at <= moment
                and (each.terminated_at is None or moment < each.terminated_at + timedelta(seconds=1))]
    return max(covering, key=lambda each: each.started_at, default=None)


def check(timeline: Timeline) -> None:
    """The invariants of the module's docstring, on what the service shows once the timeline is played."""
    service = timeline.service
    subscriptions = _subscriptions(service)
    by_id = {each.lago_id: each for each in subscriptions}
    invoices = service.invoices()
    assert all(invoice["status"] == "finalized" for invoice in invoices)
    unbillable = {}
    for external_id in {event.external_id for event in timeline.events}:
        unbillable.update({event["transaction_id"]: event["unbillable_reason"]
                           for event in service.unbillable_events(external_id)})

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
    for event in timeline.events:
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
            assert subscription is not None, event
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
    billable = [event for event in timeline.events if event.transaction_id not in unbillable]
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

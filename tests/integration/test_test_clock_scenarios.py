"""Test clocks, scenario by scenario (lago-semantics.md): a customer created on a clock lives at the clock's
`frozen_time`, and `POST /test_clocks/{id}/advance` runs, in time order and each at its own instant, what falls due
for it up to the new time. Driven through the HTTP API only, plus the stream aggregator applying the stored events
(no stream poller runs here: `advance` applies them first, as the clock waits for every event of a period it
invoices). No VAT unless said; every amount worked out by hand in the test."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from builders import create_customer, create_metric, create_plan, send_event, subscribe_now
from test_billing_over_time import invoices as customer_invoices
from test_grace_period import invoice_webhooks_of
from usage_fixtures import deliver, stream_record

from chalicelib import cli
from chalicelib.store.dynamo import from_attributes
from chalicelib.store.tables import EVENTS
from chalicelib.wiring import run_biller

CLOCKS = "/api/v1/test_clocks"
SUBSCRIPTIONS = "/api/v1/subscriptions"
NO_VAT = {"vat_rate": 0}


def half_up(value: Decimal) -> int:
    """Whole cents, half up (Lago's rounding; never Python's round)."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def prorated(amount_cents: int, days: int, full_days: int) -> int:
    """`days` of a `full_days` period of a plan costing `amount_cents`, half up."""
    return half_up(Decimal(amount_cents) * days / full_days)


class StoredEvents:
    """The stream aggregator's part: delivers every event the organization stored since the last call, each once
    (a redelivery under a new sequence number would count it twice)."""

    def __init__(self, dynamodb, organization_id: str):
        self._dynamodb = dynamodb
        self._organization_id = organization_id
        self._delivered: set[tuple[str, str]] = set()

    def apply(self) -> int:
        items, start = [], {}
        while True:
            page = self._dynamodb.scan(TableName=EVENTS.name, **start)
            items += [from_attributes(item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
        new = sorted((item for item in items if item.get("organization_id") == self._organization_id
                      and "transaction_id" in item and (item["pk"], item["sk"]) not in self._delivered),
                     key=lambda item: (item["timestamp_ms"], item["transaction_id"]))
        if new:
            assert deliver([stream_record(item) for item in new]) == {"batchItemFailures": []}
            self._delivered.update((item["pk"], item["sk"]) for item in new)
        return len(new)


@pytest.fixture
def stored_events(dynamodb, tenant) -> StoredEvents:
    return StoredEvents(dynamodb, tenant.organization_id)


@pytest.fixture
def clock(api, stored_events):
    """`clock.create(frozen_time)` makes a test clock; `clock.advance(frozen_time)` applies the stored events, then
    advances it and checks it answers ready at that time."""
    return Clock(api, stored_events)


class Clock:
    def __init__(self, api, stored_events: StoredEvents):
        self._api = api
        self._events = stored_events
        self.lago_id: str | None = None

    def create(self, frozen_time: str, name: str = "scenario") -> dict:
        response = self._api.post(CLOCKS, {"test_clock": {"name": name, "frozen_time": frozen_time}})
        assert response.status_code == 200, response.body
        created = response.json_body["test_clock"]
        assert (created["name"], created["frozen_time"], created["status"]) == (name, frozen_time, "ready")
        self.lago_id = created["lago_id"]
        return created

    def advance(self, frozen_time: str) -> dict:
        self._events.apply()
        response = self._api.post(f"{CLOCKS}/{self.lago_id}/advance", {"frozen_time": frozen_time})
        assert response.status_code == 200, response.body
        advanced = response.json_body["test_clock"]
        assert (advanced["lago_id"], advanced["frozen_time"], advanced["status"]) == (
            self.lago_id, frozen_time, "ready")
        return advanced

    def read(self) -> dict:
        response = self._api.get(f"{CLOCKS}/{self.lago_id}")
        assert response.status_code == 200, response.body
        return response.json_body["test_clock"]


def customer_on(api, clock: Clock, external_id: str = "cust", **billing) -> dict:
    customer = create_customer(api, external_id, test_clock_id=clock.lago_id,
                               billing_configuration={**NO_VAT, **billing})
    assert customer["test_clock_id"] == clock.lago_id
    return customer


def subscription(api, external_id: str = "sub", status: str | None = None) -> dict:
    response = api.get(f"{SUBSCRIPTIONS}/{external_id}" + (f"?status={status}" if status else ""))
    assert response.status_code == 200, response.body
    return response.json_body["subscription"]


def invoices(api, customer: str = "cust") -> list[dict]:
    return customer_invoices(api, customer)


def summary(invoice: dict) -> tuple:
    """(issuing date, invoicing reasons, [(fee type, plan or metric code, cents)], total)."""
    return (invoice["issuing_date"], [period["invoicing_reason"] for period in invoice["billing_periods"]],
            [(fee["item"]["type"], fee["item"]["code"], fee["amount_cents"]) for fee in invoice["fees"]],
            invoice["total_amount_cents"])


def calls_plan(api) -> None:
    """Metric `calls` (count) and plan `startup`: monthly, in arrears, 3100 EUR cents, calls at 0.10 EUR."""
    metric = create_metric(api, "calls")
    create_plan(api, "startup", amount_cents=3100, charges=[{
        "billable_metric_id": metric["lago_id"], "charge_model": "standard", "properties": {"amount": "0.10"}}])


def big_and_small(api, pay_in_advance: bool = False) -> None:
    """Plans `big` (3100 a month) and `small` (1000 a month), no charge: small is a downgrade from big."""
    create_plan(api, "big", amount_cents=3100, pay_in_advance=pay_in_advance)
    create_plan(api, "small", amount_cents=1000, pay_in_advance=pay_in_advance)


# ------------------------------------------------------------------------------------------------- scenarios


def start_mid_january(api, clock: Clock) -> None:
    """Scenario 1 up to its advance: the clock at 15 January 2024 10:00, `cust` subscribed to `startup` at the
    clock's time, 10 calls sent without a timestamp."""
    clock.create("2024-01-15T10:00:00Z")
    calls_plan(api)
    customer_on(api, clock)
    started = subscribe_now(api, plan_code="startup")
    assert (started["status"], started["started_at"], started["subscription_at"]) == (
        "active", "2024-01-15T10:00:00Z", "2024-01-15T10:00:00Z")
    for n in range(10):
        send_event(api, f"call-{n}", "calls")


def test_an_arrears_month_started_mid_period_is_invoiced_at_its_end_on_the_clock(api, clock, stored_events):
    start_mid_january(api, clock)
    # An event without timestamp is stamped with the clock's time, not the wall clock's.
    event = api.get("/api/v1/events/call-0").json_body["event"]
    assert event["timestamp"] == "2024-01-15T10:00:00.000Z"
    stored_events.apply()
    usage = api.get("/api/v1/customers/cust/current_usage?external_subscription_id=sub").json_body["customer_usage"]
    # The current period on the clock: from the start instant to 31 January; 10 calls x 0.10 EUR = 1.00 EUR.
    assert (usage["from_datetime"], usage["to_datetime"], usage["issuing_date"]) == (
        "2024-01-15T10:00:00Z", "2024-01-31T23:59:59Z", "2024-01-31")
    (calls,) = usage["charges_usage"]
    assert (Decimal(calls["units"]), calls["events_count"], calls["amount_cents"]) == (10, 10, 10 * 10)
    assert (usage["amount_cents"], usage["total_amount_cents"]) == (100, 100)
    assert invoices(api) == []

    clock.advance("2024-02-01T01:00:00Z")
    (january,) = invoices(api)
    # 15..31 January = 17 of 31 days of 3100 = 1700; 10 calls x 10 cents = 100.
    base_fee = prorated(3100, 17, 31)
    assert base_fee == 1700
    assert summary(january) == ("2024-02-01", ["subscription_periodic"],
                                [("subscription", "startup", base_fee), ("charge", "calls", 10 * 10)], 1700 + 100)
    assert (january["status"], january["fees_amount_cents"], january["taxes_amount_cents"]) == (
        "finalized", 1800, 0)
    period = january["billing_periods"][0]
    assert (period["charges_from_datetime"], period["charges_to_datetime"]) == (
        "2024-01-15T10:00:00Z", "2024-01-31T23:59:59Z")
    assert (clock.read()["frozen_time"], clock.read()["status"]) == ("2024-02-01T01:00:00Z", "ready")


def test_a_downgrade_waits_for_the_period_end_then_bills_the_new_plan(api, clock):
    clock.create("2024-03-01T00:00:00Z")
    big_and_small(api)
    customer_on(api, clock)
    old = subscribe_now(api, plan_code="big")
    assert (old["plan_code"], old["started_at"]) == ("big", "2024-03-01T00:00:00Z")
    clock.advance("2024-03-10T00:00:00Z")
    scheduled = subscribe_now(api, plan_code="small")
    # A downgrade: nothing changes before 1 April; the subscription shows what is coming.
    assert (scheduled["lago_id"], scheduled["plan_code"], scheduled["status"]) == (old["lago_id"], "big", "active")
    assert (scheduled["next_plan_code"], scheduled["downgrade_plan_date"]) == ("small", "2024-04-01")
    assert invoices(api) == []

    clock.advance("2024-04-02T00:00:00Z")
    (march,) = invoices(api)
    # March on big in full: 31 of 31 days of 3100. The old plan's last invoice is dated its last day (terminated at
    # 23:59:59 on 31 March), as the hourly biller dates it (test_plan_changes.py).
    assert summary(march) == ("2024-03-31", ["subscription_terminating"], [("subscription", "big", 3100)], 3100)
    period = march["billing_periods"][0]
    assert (period["subscription_from_datetime"], period["subscription_to_datetime"]) == (
        "2024-03-01T00:00:00Z", "2024-03-31T23:59:59Z")
    current = subscription(api)
    assert (current["plan_code"], current["status"], current["previous_plan_code"], current["started_at"]) == (
        "small", "active", "big", "2024-04-01T00:00:00Z")
    ended = subscription(api, status="terminated")
    assert (ended["lago_id"], ended["terminated_at"]) == (old["lago_id"], "2024-03-31T23:59:59Z")

    clock.advance("2024-05-01T01:00:00Z")
    march, april = invoices(api)
    # April on small from its first day: 30 of 30 days of 1000.
    assert summary(april) == ("2024-05-01", ["subscription_periodic"], [("subscription", "small", 1000)], 1000)


def test_an_upgrade_mid_period_bills_the_old_plan_at_once_and_the_new_one_at_the_period_end(api, clock):
    clock.create("2024-03-01T00:00:00Z")
    big_and_small(api)
    customer_on(api, clock)
    old = subscribe_now(api, plan_code="small")
    clock.advance("2024-03-16T00:00:00Z")
    assert invoices(api) == []
    new = subscribe_now(api, plan_code="big")
    # An upgrade takes effect at once, at the clock's time.
    assert (new["plan_code"], new["status"], new["started_at"]) == ("big", "active", "2024-03-16T00:00:00Z")
    assert new["lago_id"] != old["lago_id"]
    ended = subscription(api, status="terminated")
    assert (ended["lago_id"], ended["terminated_at"]) == (old["lago_id"], "2024-03-16T00:00:00Z")
    # The old plan's final invoice, at once: to the day before the upgrade day (§5.2, §5.3), 1..15 March = 15 of 31
    # days of 1000 = 483.87 -> 484.
    assert prorated(1000, 15, 31) == 484
    (final,) = invoices(api)
    assert summary(final) == ("2024-03-16", ["subscription_terminating"], [("subscription", "small", 484)], 484)

    clock.advance("2024-04-01T01:00:00Z")
    final, march = invoices(api)
    # The new plan from the upgrade day: 16..31 March = 16 of 31 days of 3100 = 1600 (cumulatively: 3100 -
    # round(3100 x 15 / 31) = 3100 - 1500, the same).
    assert prorated(3100, 16, 31) == 3100 - prorated(3100, 15, 31) == 1600
    assert summary(march) == ("2024-04-01", ["subscription_periodic"], [("subscription", "big", 1600)], 1600)
    assert (final["sequential_id"], march["sequential_id"]) == (1, 2)


def test_a_pay_in_advance_trial_bills_nothing_at_start_then_its_remainder_when_it_ends(api, clock):
    clock.create("2024-01-01T00:00:00Z")
    create_plan(api, "trial", amount_cents=3100, pay_in_advance=True, trial_period=10)
    customer_on(api, clock)
    started = subscribe_now(api, plan_code="trial")
    assert (started["status"], started["started_at"]) == ("active", "2024-01-01T00:00:00Z")
    # §5.2: a pay-in-advance plan in its trial issues no starting invoice.
    assert invoices(api) == []

    clock.advance("2024-01-11T01:00:00Z")
    # The trial ends 1 January + 10 days = 11 January 00:00; Lago's free-trial biller then bills the plan in advance
    # from that day (Subscriptions::FreeTrialBillingService, reason subscription_starting): 11..31 January = 21 of
    # 31 days of 3100 = 2100.
    assert prorated(3100, 21, 31) == 2100
    (trial_end,) = invoices(api)
    assert summary(trial_end) == ("2024-01-11", ["subscription_starting"], [("subscription", "trial", 2100)], 2100)

    clock.advance("2024-02-01T01:00:00Z")
    trial_end, february = invoices(api)
    # February in advance, in full (the trial is over): 3100; January's charges window bills nothing (no charge).
    assert summary(february) == ("2024-02-01", ["subscription_periodic"], [("subscription", "trial", 3100)], 3100)


def test_terminating_a_plan_paid_in_advance_credits_its_unused_days_on_the_clock(api, clock):
    clock.create("2024-01-01T00:00:00Z")
    create_plan(api, "advance", amount_cents=3100, pay_in_advance=True)
    customer_on(api, clock)
    subscribe_now(api, plan_code="advance")
    (starting,) = invoices(api)
    # At once: January in advance, 31 of 31 days of 3100.
    assert summary(starting) == ("2024-01-01", ["subscription_starting"], [("subscription", "advance", 3100)], 3100)

    clock.advance("2024-01-21T00:00:00Z")
    response = api.delete(f"{SUBSCRIPTIONS}/sub")
    assert response.status_code == 200, response.body
    assert response.json_body["subscription"]["terminated_at"] == "2024-01-21T00:00:00Z"
    starting, final = invoices(api)
    # The final invoice: the base fee was paid in advance, no charge: nothing to bill.
    assert summary(final) == ("2024-01-21", ["subscription_terminating"], [], 0)
    # Lago's CreateFromTermination: unused = end of period (31 January) - termination day (21st, used) = 10 days,
    # 22..31 January, of 31 days of 3100 = 1000, no VAT; the final invoice (0) consumes none of it.
    unused = half_up(Decimal(3100) / 31 * (31 - 21))
    assert unused == 1000
    notes = api.get("/api/v1/credit_notes?external_customer_id=cust").json_body["credit_notes"]
    assert [(note["lago_invoice_id"], note["reason"], note["issuing_date"], note["credit_status"])
            for note in notes] == [(starting["lago_id"], "order_cancellation", "2024-01-21", "available")]
    (note,) = notes
    assert (note["sub_total_excluding_taxes_amount_cents"], note["taxes_amount_cents"], note["total_amount_cents"],
            note["credit_amount_cents"], note["balance_amount_cents"]) == (1000, 0, 1000, 1000, 1000)
    assert [item["amount_cents"] for item in note["items"]] == [1000]

    clock.advance("2024-02-01T01:00:00Z")
    assert len(invoices(api)) == 2  # terminated: February is not billed


def test_a_draft_takes_in_late_events_of_its_period_and_is_finalized_when_its_grace_period_ends(api, clock):
    clock.create("2024-01-01T00:00:00Z")
    calls_plan(api)
    customer = customer_on(api, clock, invoice_grace_period=3)
    subscribe_now(api, plan_code="startup")
    clock.advance("2024-01-10T12:00:00Z")
    for n in range(4):
        send_event(api, f"call-{n}", "calls")
    clock.advance("2024-02-01T01:00:00Z")
    (draft,) = invoices(api)
    # January in full (started on the 1st: 31 of 31 days of 3100) + 4 calls x 10 cents; a draft until
    # 1 February + 3 days.
    assert (draft["status"], draft["sequential_id"], draft["number"].endswith("-DRAFT")) == ("draft", None, True)
    assert summary(draft) == ("2024-02-04", ["subscription_periodic"],
                              [("subscription", "startup", 3100), ("charge", "calls", 4 * 10)], 3100 + 40)

    # 1 February 01:00 (clock): an event of 20 January arrives; the draft's period takes it in.
    send_event(api, "late", "calls", timestamp=datetime(2024, 1, 20, tzinfo=UTC))
    event = api.get("/api/v1/events/late").json_body["event"]
    assert (event["timestamp"], event["unbillable_reason"]) == ("2024-01-20T00:00:00.000Z", None)
    clock.advance("2024-02-03T12:00:00Z")
    (still,) = invoices(api)
    assert (still["lago_id"], still["status"]) == (draft["lago_id"], "draft")

    clock.advance("2024-02-04T01:00:00Z")
    (final,) = invoices(api)
    # Finalized when its issuing date begins: numbered first of the customer, 5 calls x 10 cents now.
    assert (final["lago_id"], final["status"], final["number"], final["sequential_id"]) == (
        draft["lago_id"], "finalized", f"{customer['slug']}-001", 1)
    assert summary(final) == ("2024-02-04", ["subscription_periodic"],
                              [("subscription", "startup", 3100), ("charge", "calls", 5 * 10)], 3100 + 50)
    assert api.get("/api/v1/events/late").json_body["event"]["unbillable_reason"] is None


def test_a_subscription_backdated_on_a_clock_bills_its_current_period_not_its_history(api, clock):
    clock.create("2024-03-10T00:00:00Z")
    create_plan(api, "startup", amount_cents=3100)
    customer_on(api, clock)
    customer_on(api, clock, "older")
    march = subscribe_now(api, plan_code="startup", subscription_at="2024-03-01T00:00:00Z")
    february = subscribe_now(api, plan_code="startup", external_id="sub-older", external_customer_id="older",
                         subscription_at="2024-02-15T00:00:00Z")
    assert (march["status"], march["started_at"]) == ("active", "2024-03-01T00:00:00Z")
    assert (february["status"], february["started_at"]) == ("active", "2024-02-15T00:00:00Z")
    # The migration rule: a past subscription_at bills nothing at its creation.
    assert invoices(api) == invoices(api, "older") == []

    clock.advance("2024-04-01T01:00:00Z")
    # March in full for both (31 of 31 days of 3100): one from the 1st, the other started before March; the
    # older one's 15..29 February is history, billed by the system it came from.
    (cust_march,) = invoices(api)
    assert summary(cust_march) == ("2024-04-01", ["subscription_periodic"], [("subscription", "startup", 3100)],
                                   3100)
    (older_march,) = invoices(api, "older")
    assert summary(older_march) == ("2024-04-01", ["subscription_periodic"], [("subscription", "startup", 3100)],
                                    3100)
    period = older_march["billing_periods"][0]
    assert (period["subscription_from_datetime"], period["subscription_to_datetime"]) == (
        "2024-03-01T00:00:00Z", "2024-03-31T23:59:59Z")


def test_the_advance_writes_the_invoice_created_webhook(api, clock, tenant):
    start_mid_january(api, clock)
    clock.advance("2024-02-01T01:00:00Z")
    (january,) = invoices(api)
    assert ("invoice.created", january["lago_id"]) in invoice_webhooks_of(tenant.organization_id)
    assert invoice_webhooks_of(tenant.organization_id) == [("invoice.created", january["lago_id"])]


def test_the_hourly_biller_and_the_bill_command_leave_clock_customers_alone(api, clock):
    clock.create("2024-01-15T10:00:00Z")
    calls_plan(api)
    customer_on(api, clock)
    subscribe_now(api, plan_code="startup")
    # Real time is long past 1 February 2024, but only the clock moves its customers' time.
    assert run_biller(datetime(2024, 2, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 0
    assert cli.main(["bill", "--at", "2024-03-01T01:00:00Z", "--backfill"]) == 0
    assert invoices(api) == []
    clock.advance("2024-02-01T01:00:00Z")
    (january,) = invoices(api)
    # The clock bills January itself: 15..31 January = 17 of 31 days of 3100 = 1700, no usage.
    assert summary(january) == ("2024-02-01", ["subscription_periodic"], [("subscription", "startup", 1700)], 1700)

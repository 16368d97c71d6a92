"""Test clocks through the HTTP API (docs/test-clocks.md): the endpoints and their refusals, "now" on a clock, an
advance that waits for the aggregator and is finished by the worker, isolation from real customers and from other
clocks, and deletion of everything a clock's customers had. Amounts worked out by hand in each test."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from builders import create_clock, create_customer, create_metric, create_plan, send_event, subscribe_now
from interleaving import competing
from usage_fixtures import deliver, stream_record

from chalicelib.billing.replay import BillerReplay, Replay
from chalicelib.store.dynamo import from_attributes
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import ALL_TABLES, EVENTS
from chalicelib.wiring import run_biller

CLOCKS = "/api/v1/test_clocks"


def advance(api, clock: dict, frozen_time: str):
    return api.post(f"{CLOCKS}/{clock['lago_id']}/advance", {"frozen_time": frozen_time})


def customer_on(api, clock: dict | None, external_id: str) -> dict:
    return create_customer(api, external_id, name=external_id, vat_rate=0,
                           test_clock_id=... if clock is None else clock["lago_id"])


def send_units(api, external_subscription_id: str, count: int, prefix: str) -> None:
    for index in range(count):
        send_event(api, f"{prefix}-{index}", "units", external_subscription_id)


def apply_stored_events() -> None:
    """What the stream aggregator does in a deployment: every stored event applied (a repeat is a no-op)."""
    items = [from_attributes(item) for item in repositories().client.scan(TableName=EVENTS.name)["Items"]]
    assert deliver([stream_record(item) for item in items]) == {"batchItemFailures": []}


def invoices_of(api, external_customer_id: str) -> list[dict]:
    response = api.get(f"/api/v1/invoices?external_customer_id={external_customer_id}")
    assert response.status_code == 200, response.body
    return response.json_body["invoices"]


@pytest.fixture
def catalog(api):
    """Metric `units` (count) and plan `monthly`: 3100 cents a month, calendar, in arrears, 0.10 EUR a unit."""
    metric = create_metric(api, "units")
    create_plan(api, "monthly", amount_cents=3100, charges=[{
        "billable_metric_id": metric["lago_id"], "charge_model": "standard", "properties": {"amount": "0.10"}}])


def test_a_clock_is_created_read_and_listed(api):
    clock = create_clock(api, "2024-01-15T10:00:00+01:00", name="January")
    assert (clock["name"], clock["frozen_time"], clock["status"]) == ("January", "2024-01-15T09:00:00Z", "ready")
    assert api.get(f"{CLOCKS}/{clock['lago_id']}").json_body["test_clock"] == clock
    second = create_clock(api, "2025-06-01T00:00:00Z")
    listed = api.get(f"{CLOCKS}?per_page=1").json_body
    assert [found["lago_id"] for found in listed["test_clocks"]] == [second["lago_id"]]  # newest first
    assert listed["meta"] == {"current_page": 1, "next_page": 2, "prev_page": None, "total_pages": 2,
                              "total_count": 2}


@pytest.mark.parametrize(("body", "details"), [
    ({"frozen_time": "2024-01-01T00:00:00Z"}, {"name": ["value_is_mandatory"]}),
    ({"name": "x"}, {"frozen_time": ["value_is_mandatory"]}),
    ({"name": "x", "frozen_time": "next tuesday"}, {"frozen_time": ["invalid_date"]}),
    ({"name": "<script>", "frozen_time": 1704067200}, {"frozen_time": ["invalid_date"]}),
])
def test_a_clock_needs_a_name_and_a_frozen_time(api, body, details):
    response = api.post(CLOCKS, {"test_clock": body})
    assert response.status_code == 422, response.body
    assert response.json_body["error_details"] == details


@pytest.mark.parametrize("body", [[], {}, {"frozen_time": None}, {"frozen_time": "soon"}])
def test_an_advance_needs_a_frozen_time(api, body):
    clock = create_clock(api, "2024-01-15T10:00:00Z")
    response = api.post(f"{CLOCKS}/{clock['lago_id']}/advance", body)
    assert response.status_code == 422, response.body
    assert list(response.json_body["error_details"]) == ["frozen_time"]
    assert api.get(f"{CLOCKS}/{clock['lago_id']}").json_body["test_clock"] == clock  # nothing moved


def test_unknown_clocks_are_404_and_customers_cannot_join_or_leave_one(api):
    assert api.get(f"{CLOCKS}/nope").json_body["code"] == "test_clock_not_found"
    assert advance(api, {"lago_id": "a#b"}, "2030-01-01T00:00:00Z").status_code == 404
    response = api.post("/api/v1/customers", {"customer": {"external_id": "c", "name": "c", "test_clock_id": "nope"}})
    assert (response.status_code, response.json_body["code"]) == (404, "test_clock_not_found")
    assert api.get("/api/v1/customers/c").status_code == 404  # nothing half-written
    clock = create_clock(api, "2024-01-15T10:00:00Z")
    real = customer_on(api, None, "real")
    assert real["test_clock_id"] is None
    response = api.post("/api/v1/customers", {"customer": {"external_id": "real", "test_clock_id": clock["lago_id"]}})
    assert response.json_body["error_details"] == {"test_clock_id": ["value_cannot_change"]}
    on_clock = customer_on(api, clock, "simulated")
    assert (on_clock["test_clock_id"], on_clock["created_at"]) == (clock["lago_id"], "2024-01-15T10:00:00Z")


def test_advancing_bills_the_month_at_its_end_and_the_clock_never_goes_back(api, catalog):
    clock = create_clock(api, "2024-01-15T10:00:00Z")
    customer_on(api, clock, "simulated")
    subscription = subscribe_now(api, external_customer_id="simulated", external_id="sim-sub", plan_code="monthly")
    assert subscription["started_at"] == "2024-01-15T10:00:00Z"
    send_units(api, "sim-sub", 10, "jan")
    event = api.get("/api/v1/events/jan-0?external_subscription_id=sim-sub").json_body["event"]
    assert event["timestamp"] == "2024-01-15T10:00:00.000Z"
    apply_stored_events()
    usage = api.get("/api/v1/customers/simulated/current_usage?external_subscription_id=sim-sub").json_body
    assert (usage["customer_usage"]["from_datetime"], usage["customer_usage"]["amount_cents"]) == (
        "2024-01-15T10:00:00Z", 100)  # 10 units x 0.10 EUR
    response = advance(api, clock, "2024-02-01T01:00:00Z")
    assert response.status_code == 200, response.body
    assert (response.json_body["test_clock"]["status"], response.json_body["test_clock"]["frozen_time"]) == (
        "ready", "2024-02-01T01:00:00Z")
    (invoice,) = invoices_of(api, "simulated")
    # 15 to 31 January: 17 of 31 days of 3100 = 1700; 10 units x 0.10 EUR = 100.
    assert ([fee["amount_cents"] for fee in invoice["fees"]], invoice["total_amount_cents"]) == ([1700, 100], 1800)
    assert (invoice["issuing_date"], invoice["created_at"]) == ("2024-02-01", "2024-02-01T00:00:00Z")
    for earlier in ("2024-02-01T01:00:00Z", "2024-01-20T00:00:00Z"):
        refused = advance(api, clock, earlier)
        assert refused.json_body["error_details"] == {"frozen_time": ["must_be_after_current_frozen_time"]}


def test_an_advance_waits_for_the_aggregator_then_the_worker_finishes_it(api, catalog, monkeypatch):
    sent = []
    monkeypatch.setenv("BILLING_QUEUE_URL", "https://sqs.example/billing-work")
    monkeypatch.setattr("chalicelib.billing.work_queue.sqs_client", lambda: _Recorder(sent))
    clock = create_clock(api, "2024-01-15T10:00:00Z")
    customer_on(api, clock, "simulated")
    subscribe_now(api, external_customer_id="simulated", external_id="sim-sub", plan_code="monthly")
    send_units(api, "sim-sub", 3, "jan")  # stored, not applied yet
    response = advance(api, clock, "2024-03-01T12:00:00Z")
    # January is due at 1 February but its 3 events are not applied: the clock waits there.
    assert (response.json_body["test_clock"]["status"], response.json_body["test_clock"]["frozen_time"]) == (
        "advancing", "2024-02-01T00:00:00Z")
    assert advance(api, clock, "2024-04-01T00:00:00Z").json_body["error_details"] == {
        "test_clock": ["test_clock_is_advancing"]}
    assert api.delete(f"{CLOCKS}/{clock['lago_id']}").status_code == 422
    assert invoices_of(api, "simulated") == []
    apply_stored_events()
    from app import bill_customers
    (message,) = sent
    assert message["DelaySeconds"] == 2
    bill_customers({"Records": [{"messageId": "1", "body": message["MessageBody"], "attributes": {},
                                 "eventSource": "aws:sqs"}]}, None)
    clock_now = api.get(f"{CLOCKS}/{clock['lago_id']}").json_body["test_clock"]
    assert (clock_now["status"], clock_now["frozen_time"]) == ("ready", "2024-03-01T12:00:00Z")
    january, february = sorted(invoices_of(api, "simulated"), key=lambda invoice: invoice["issuing_date"])
    # January: 17 of 31 days of 3100 = 1700, and 3 units x 0.10 EUR = 30; February: the full month, no usage.
    assert (january["issuing_date"], january["total_amount_cents"]) == ("2024-02-01", 1700 + 30)
    assert (february["issuing_date"], february["total_amount_cents"]) == ("2024-03-01", 3100)


class _Recorder:
    def __init__(self, sent: list):
        self.sent = sent

    def send_message(self, **message):
        self.sent.append(message)


def test_clocks_and_real_customers_never_see_each_others_time(api, catalog, api_clock):
    api_clock.set(datetime(2026, 12, 7, 9, tzinfo=UTC))
    first, second = create_clock(api, "2024-01-15T10:00:00Z"), create_clock(api, "2025-07-01T00:00:00Z")
    customer_on(api, first, "first")
    customer_on(api, second, "second")
    customer_on(api, None, "real")
    assert subscribe_now(api, external_customer_id="first", external_id="first-sub", plan_code="monthly")["started_at"] == "2024-01-15T10:00:00Z"
    assert subscribe_now(api, external_customer_id="second", external_id="second-sub", plan_code="monthly")["started_at"] == "2025-07-01T00:00:00Z"
    assert subscribe_now(api, external_customer_id="real", external_id="real-sub", plan_code="monthly")["started_at"] == "2026-12-07T09:00:00Z"
    # The hourly biller and an operator's run, long after every clock's months, bill none of the clocks' customers.
    assert run_biller(datetime(2027, 1, 1, 1, tzinfo=UTC))["customers_due"] == 1
    replayed = BillerReplay(repositories()).run(Replay(at=datetime(2027, 1, 1, 2, tzinfo=UTC), backfill=True),
                                                current_time=datetime(2027, 1, 1, 2, tzinfo=UTC))
    assert replayed["customers_due"] == 0  # the real one is billed already
    assert invoices_of(api, "first") == invoices_of(api, "second") == []
    (real,) = invoices_of(api, "real")
    assert real["issuing_date"] == "2027-01-01"
    # Advancing one clock moves its customers only.
    assert advance(api, first, "2024-02-01T01:00:00Z").json_body["test_clock"]["status"] == "ready"
    assert [invoice["issuing_date"] for invoice in invoices_of(api, "first")] == ["2024-02-01"]
    assert invoices_of(api, "second") == []
    assert api.get(f"{CLOCKS}/{second['lago_id']}").json_body["test_clock"]["frozen_time"] == "2025-07-01T00:00:00Z"


def _items_mentioning(*needles: str) -> list[dict]:
    client = repositories().client
    found = []
    for spec in ALL_TABLES:
        for page in client.get_paginator("scan").paginate(TableName=spec.name):
            found += [item for item in page["Items"] if any(needle in json.dumps(item) for needle in needles)]
    return found


def test_deleting_a_clock_removes_its_customers_and_everything_of_theirs(api, catalog):
    clock = create_clock(api, "2024-01-15T10:00:00Z")
    kept = create_clock(api, "2024-01-15T10:00:00Z")
    customer_on(api, clock, "gone")
    customer_on(api, kept, "stays")
    gone_subscription, stays_subscription = subscribe_now(api, external_customer_id="gone", external_id="gone-sub", plan_code="monthly"), subscribe_now(api, external_customer_id="stays", external_id="stays-sub", plan_code="monthly")
    send_units(api, "gone-sub", 2, "gone")
    send_units(api, "stays-sub", 2, "stays")
    apply_stored_events()
    for each in (clock, kept):
        assert advance(api, each, "2024-02-01T01:00:00Z").json_body["test_clock"]["status"] == "ready"
    (gone_invoice,) = invoices_of(api, "gone")
    before = len(_items_mentioning(stays_subscription["lago_id"]))
    response = api.delete(f"{CLOCKS}/{clock['lago_id']}")
    assert (response.status_code, response.json_body["test_clock"]["lago_id"]) == (200, clock["lago_id"])
    assert api.get(f"{CLOCKS}/{clock['lago_id']}").status_code == 404
    assert api.get("/api/v1/customers/gone").status_code == 404
    assert _items_mentioning(gone_subscription["lago_id"], gone_invoice["lago_id"], clock["lago_id"]) == []
    assert len(_items_mentioning(stays_subscription["lago_id"])) == before
    assert len(invoices_of(api, "stays")) == 1
    assert api.get(f"{CLOCKS}").json_body["meta"]["total_count"] == 1


def test_two_advances_at_once_bill_each_period_once_and_the_later_request_is_refused(api, catalog):
    """The competing advance runs whole just before the first one writes its start: the first one's conditional
    write fails, it reads the clock again, now ready at 1 March, and refuses an earlier time."""
    clock = create_clock(api, "2024-01-15T10:00:00Z")
    customer_on(api, clock, "simulated")
    subscribe_now(api, external_customer_id="simulated", external_id="sim-sub", plan_code="monthly")
    with competing("UpdateItem", lambda: advance(api, clock, "2024-03-01T01:00:00Z")) as competitor:
        refused = advance(api, clock, "2024-02-15T00:00:00Z")
    assert competitor[0].json_body["test_clock"]["status"] == "ready"
    assert refused.json_body["error_details"] == {"frozen_time": ["must_be_after_current_frozen_time"]}
    # January (15..31: 17 of 31 days of 3100) and February (in full), each once.
    assert sorted((invoice["issuing_date"], invoice["total_amount_cents"]) for invoice in invoices_of(
        api, "simulated")) == [("2024-02-01", 1700), ("2024-03-01", 3100)]


def test_a_customer_joining_a_clock_being_deleted_is_deleted_with_it(api, catalog):
    """The customer is created on the clock just before the clock's deletion: the deletion's condition (no customer
    on the clock) fails, it reads the clock's customers again and purges the newcomer too."""
    clock = create_clock(api, "2024-01-15T10:00:00Z")
    with competing("TransactWriteItems", lambda: customer_on(api, clock, "late")):
        assert api.delete(f"{CLOCKS}/{clock['lago_id']}").status_code == 200
    assert api.get("/api/v1/customers/late").status_code == 404
    assert api.get(f"{CLOCKS}/{clock['lago_id']}").status_code == 404
    assert _items_mentioning(clock["lago_id"]) == []


def test_an_advance_activates_a_pending_subscription_and_ends_it_at_its_ending_at(api, catalog):
    """On a clock at 15 January: a subscription from 1 February (pending) to 15 March. Advancing to 1 April activates
    it on 1 February, bills February on 1 March and terminates it on 15 March with its final invoice."""
    clock = create_clock(api, "2024-01-15T10:00:00Z")
    customer_on(api, clock, "simulated")
    pending = subscribe_now(api, external_customer_id="simulated", external_id="sim-sub", plan_code="monthly", subscription_at="2024-02-01T00:00:00Z",
                        ending_at="2024-03-15T00:00:00Z")
    assert pending["status"] == "pending"
    assert advance(api, clock, "2024-04-01T00:00:00Z").json_body["test_clock"]["status"] == "ready"
    ended = api.get("/api/v1/subscriptions/sim-sub?status=terminated").json_body["subscription"]
    assert (ended["started_at"], ended["terminated_at"]) == ("2024-02-01T00:00:00Z", "2024-03-15T00:00:00Z")
    # February in full: 3100. March 1..15 (the termination day billed): 15 of 31 days of 3100 = 1500.
    assert sorted((invoice["issuing_date"], invoice["total_amount_cents"]) for invoice in invoices_of(
        api, "simulated")) == [("2024-03-01", 3100), ("2024-03-15", 1500)]

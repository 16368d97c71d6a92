"""Pay-in-advance fees are created exactly once: a stream record delivered twice, a batch redelivered after a
failure or a lost answer in the middle of its writes, the same event posted twice, and an in-advance invoice
racing the biller for the customer's invoice sequence (interleavings injected with botocore hooks): one fee and
one invoice per event each time, and gapless invoice numbers."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from in_advance_fixtures import (
    drain,
    fees_of,
    in_advance_plan,
    invoices_of,
    send,
    stream_poller,
)
from interleaving import competing

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.handlers.usage_stream import handle_stream_batch
from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller

JANUARY = epoch_ms(datetime(2026, 1, 1, tzinfo=UTC))


class Crash(BaseException):
    """The Lambda process dying (not an error the handler could catch): the batch is delivered again whole."""


class Recorder:
    """A stream handler that keeps each Lambda event it is given before handing it on."""

    def __init__(self):
        self.events: list[dict] = []

    def __call__(self, event: dict, context) -> dict:
        self.events.append(event)
        return handle_stream_batch(event, context)


def sent_10_minus_4_8(api) -> None:
    in_advance_plan(api)
    for transaction_id, gb in (("a", 10), ("b", -4), ("c", 8)):
        send(api, transaction_id, {"gb": gb})


def assert_billed_once(api, organization_id: str) -> None:
    """The three events' fees (10, 0, 4 EUR), each on its own invoice, numbered 1 to 3."""
    assert [(fee["event_transaction_id"], fee["amount_cents"]) for fee in fees_of(api)] == [
        ("a", 1000), ("b", 0), ("c", 400)]
    invoices = invoices_of(organization_id)
    assert [(invoice.sequential_id, invoice.fees_amount_cents) for invoice in invoices] == [(1, 1000), (2, 0), (3, 400)]


def test_a_stream_record_delivered_twice_bills_once(api, tenant, dynamodb, reception):
    sent_10_minus_4_8(api)
    recorder = Recorder()
    drain(stream_poller(dynamodb, recorder))
    delivered, = recorder.events
    assert handle_stream_batch(delivered, None) == {"batchItemFailures": []}
    assert_billed_once(api, tenant.organization_id)


@pytest.mark.parametrize("hook", ["before-call", "after-call"])
def test_a_batch_redelivered_after_a_failure_mid_batch_bills_each_event_once(api, tenant, reception, event_stream, hook):
    """The second event's transaction fails before it is sent (the record is reported failed: Lambda redelivers
    from it), or is applied and its answer lost as the process dies (the whole batch comes again)."""
    sent_10_minus_4_8(api)
    calls = {"n": 0}

    def fail_the_second(**_):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("injected failure") if hook == "before-call" else Crash()

    events = repositories().client.meta.events
    events.register(f"{hook}.dynamodb.TransactWriteItems", fail_the_second)
    try:
        if hook == "before-call":
            assert event_stream.poll_once() == 1  # the first record applied, the others reported for redelivery
            # Its fee failed: the second record is not counted as applied (the biller would wait for it).
            assert repositories().usage.applied_events(tenant.organization_id, _subscription_id(tenant), JANUARY) == 1
        else:
            with pytest.raises(Crash):
                event_stream.poll_once()
    finally:
        events.unregister(f"{hook}.dynamodb.TransactWriteItems", fail_the_second)
    drain(event_stream)
    assert_billed_once(api, tenant.organization_id)
    assert repositories().usage.applied_events(tenant.organization_id, _subscription_id(tenant), JANUARY) == 3


def test_the_same_event_posted_twice_bills_once(api, tenant, reception, event_stream):
    in_advance_plan(api)
    send(api, "a", {"gb": 7})
    drain(event_stream)
    send(api, "a", {"gb": 7})  # a client retry: 200 with the stored event, nothing new on the stream
    send(api, "a", {"gb": 7})
    drain(event_stream)
    fee, = fees_of(api)
    assert (fee["amount_cents"], fee["event_transaction_id"]) == (700, "a")
    assert [invoice.total_amount_cents for invoice in invoices_of(tenant.organization_id)] == [840]


@pytest.mark.parametrize("first", ["biller", "in_advance"])
def test_an_in_advance_invoice_racing_the_biller_keeps_numbers_gapless(api, tenant, api_clock, reception, event_stream,
                                                                       first):
    """January's periodic invoice (1000 cents of base fee) and the in-advance invoice of a February event are issued
    at the same time: whichever reads the sequence first loses the race, reads again and takes the next number."""
    reception.now = datetime(2026, 2, 1, 0, 20, tzinfo=UTC)
    in_advance_plan(api)
    send(api, "feb", {"gb": 6}, at=datetime(2026, 2, 1, 0, 10, tzinfo=UTC))
    billing_at = datetime(2026, 2, 1, 0, 30, tzinfo=UTC)
    if first == "biller":  # the biller issues its invoice just before the in-advance one is written
        with competing("TransactWriteItems", lambda: run_biller(billing_at)) as raced:
            drain(event_stream)
    else:  # the in-advance invoice is issued just before the biller's is written
        with competing("TransactWriteItems", lambda: drain(event_stream)) as raced:
            run_biller(billing_at)
    assert len(raced) == 1
    invoices = invoices_of(tenant.organization_id)
    reasons = [invoice.billing_periods[0].invoicing_reason for invoice in invoices]
    assert [invoice.sequential_id for invoice in invoices] == [1, 2]
    assert sorted(zip(reasons, (invoice.fees_amount_cents for invoice in invoices))) == [
        ("in_advance_charge", 600), ("subscription_periodic", 1000)]
    # The one that wrote first took number 1; the other read again and took 2.
    assert reasons[0] == ("subscription_periodic" if first == "biller" else "in_advance_charge")
    fee, = fees_of(api)
    assert fee["lago_invoice_id"] == invoices[reasons.index("in_advance_charge")].id


def _subscription_id(tenant) -> str:
    return repositories().subscriptions.find_current(tenant.organization_id, "sub").id

"""Pay-in-advance fees exactly once, as a property on the in-memory stores (tests/unit/billing_world.py; each write of
an event's fee transaction pinned to DynamoDB's by tests/integration/test_billing_port_contracts.py): whatever the
batching of the stream's records, a batch delivered twice, and the handler dying before or after any of its writes
(a lost answer: the batch comes again whole), each event gets one fee and one invoice (finalized, numbered without
gap), each with its webhook once. The same with interleavings on DynamoDB:
tests/integration/test_pay_in_advance_exactly_once.py."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from billing_world import BillingWorld
from fakes.unit_of_work import InMemoryUnitOfWork
from hypothesis import given, settings
from hypothesis import strategies as st
from lambda_delivery import Crash, delivered

STARTED = datetime(2026, 1, 1, tzinfo=UTC)


def in_advance_world() -> BillingWorld:
    """Customer `cust` (VAT 20 %) subscribed as `sub` from 1 January 2026 to a plan charging 1 EUR a gb of `usage`
    (a sum) in advance, each event invoiced at once; events received on 20 January."""
    world = BillingWorld(STARTED - timedelta(days=1))
    world.plan({"name": "Usage", "code": "usage", "aggregation_type": "sum_agg", "field_name": "gb"},
               properties={"amount": "1"}, pay_in_advance=True, invoiceable=True)
    world.customer("cust", vat_rate=20)
    world.subscribe("sub", "cust", STARTED.isoformat())
    world.clock.moment = datetime(2026, 1, 20, 8, 30, tzinfo=UTC)
    return world


def crash_at(world: BillingWorld, write: int | None, after: bool) -> None:
    """Make the world's `write`-th write (an aggregate's update or a transaction's commit) die once: before it is
    made, or, `after`, once it is made (its answer lost)."""
    writes = count(1)

    def guarded(perform: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            dies = next(writes) == write
            if dies and not after:
                raise Crash()
            result = perform(*args, **kwargs)
            if dies:
                raise Crash()
            return result
        return run

    class Unit(InMemoryUnitOfWork):
        def commit(self) -> None:
            guarded(super().commit)()

    world.stores.unit_of_work = Unit  # type: ignore[method-assign]
    usage = world.stores.usage
    usage.apply = guarded(usage.apply)  # type: ignore[method-assign]


@settings(max_examples=150, deadline=None)
@given(gbs=st.lists(st.integers(0, 9), min_size=1, max_size=6), cuts=st.sets(st.integers(1, 5)),
       duplicate=st.integers(0, 6), write=st.none() | st.integers(1, 40), after=st.booleans())
def test_each_event_gets_one_fee_and_one_numbered_invoice_whatever_its_deliveries(gbs, cuts, duplicate, write,
                                                                                  after):
    world = in_advance_world()
    records = [world.post("sub", STARTED + timedelta(days=number + 1), {"gb": gb}, code="usage",
                          transaction_id=f"tx-{number}") for number, gb in enumerate(gbs)]
    bounds = [0, *sorted(cut for cut in cuts if cut < len(records)), len(records)]
    batches = [records[start:end] for start, end in zip(bounds, bounds[1:])]
    crash_at(world, write, after)
    for index, batch in enumerate(batches):
        delivered(world.deliver, batch)
        if index == duplicate:
            delivered(world.deliver, batch)

    organization_id = world.organization.id
    fees = sorted(world.stores.fees.list_page(organization_id, 1, 100), key=lambda fee: fee.event_transaction_id)
    # 1 EUR a gb: each event's gb in cents, its invoice 20 % more.
    assert [(fee.event_transaction_id, fee.amount_cents) for fee in fees] == [
        (f"tx-{number}", gb * 100) for number, gb in enumerate(gbs)]
    invoices = sorted(world.invoices(), key=lambda invoice: invoice.sequential_id)
    assert [invoice.sequential_id for invoice in invoices] == list(range(1, len(gbs) + 1))
    assert {invoice.id for invoice in invoices} == {fee.invoice_id for fee in fees}
    by_id = {invoice.id: invoice for invoice in invoices}
    assert all(by_id[fee.invoice_id].status == "finalized"
               and by_id[fee.invoice_id].total_amount_cents == fee.amount_cents * 6 // 5 for fee in fees)
    webhooks = [(webhook.webhook_type, webhook.object_id) for webhook in world.stores.webhooks.list(organization_id)]
    assert sorted(webhook for webhook in webhooks if webhook[0] in ("fee.created", "invoice.created")) == sorted(
        [("fee.created", fee.id) for fee in fees] + [("invoice.created", invoice.id) for invoice in invoices])

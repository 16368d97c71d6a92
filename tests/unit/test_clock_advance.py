"""A test clock's advance on the in-memory stores (tests/unit/billing_world.py): its customer is left out of the
hourly biller's due index, and the advance bills it at each instant something falls due, each invoice and webhook
dated at its own instant, with the amounts a real customer gets. The same on DynamoDB, through the API:
tests/integration/test_test_clocks.py."""
from __future__ import annotations

from datetime import UTC, date, datetime

from billing_world import BillingWorld
from fakes.billing import InMemoryWorkQueue

from chalicelib.billing.clock_advance import ClockAdvance
from chalicelib.usecases.test_clocks import TestClockUseCases

REQUESTED_AT = datetime(2026, 10, 20, tzinfo=UTC)


def unused_purge(organization_id: str, customer_id: str) -> int:
    raise AssertionError("no test clock is deleted here")


def test_an_advance_bills_its_customer_at_each_instant_the_hourly_biller_never_sees():
    world = BillingWorld(REQUESTED_AT)
    clocks = TestClockUseCases(world.stores.test_clocks, unused_purge, world.ids)
    clock = clocks.create(world.organization, {"name": "Simulation", "frozen_time": "2026-10-25T00:00:00Z"},
                          REQUESTED_AT)
    world.storage_plan("0.02")
    customer = world.customer("simulated", vat_rate=20, test_clock_id=clock.id)
    world.subscribe("sub", "simulated", "2026-11-01T00:00:00Z")
    world.send("sub", datetime(2026, 11, 3, tzinfo=UTC), 35)
    assert world.run_biller(datetime(2027, 1, 1, 5, tzinfo=UTC))["customers_due"] == 0  # on its clock's time only

    queue = InMemoryWorkQueue()
    advanced = ClockAdvance(world.stores, queue).advance(
        clocks.start_advance(world.organization, clock.id, {"frozen_time": "2026-12-15T00:00:00Z"}), lambda: True)
    assert (advanced.status, advanced.frozen_time) == ("ready", datetime(2026, 12, 15, tzinfo=UTC))
    assert queue.messages == []  # nothing left for the worker
    invoice, = world.invoices()
    # November: 1000 and 35 gb at 0.02 EUR; VAT 20 % of 1070.
    assert (invoice.issuing_date, invoice.sequential_id, invoice.test_clock_id) == (date(2026, 12, 1), 1, clock.id)
    assert (invoice.fees_amount_cents, invoice.taxes_amount_cents, invoice.total_amount_cents) == (1070, 214, 1284)
    assert invoice.created_at == datetime(2026, 12, 1, tzinfo=UTC)  # billed at its instant, not at the request's
    webhooks = world.stores.webhooks.list(world.organization.id)
    assert [(webhook.webhook_type, webhook.created_at) for webhook in webhooks if webhook.object_type != "customer"] \
        == [("subscription.started", datetime(2026, 11, 1, tzinfo=UTC)),
            ("invoice.created", datetime(2026, 12, 1, tzinfo=UTC))]
    assert world.stores.customers.get(world.organization.id, customer.id).test_clock_id == clock.id

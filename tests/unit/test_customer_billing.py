"""A customer billed end to end on the in-memory stores (tests/unit/billing_world.py): subscribed through the
control-plane use cases, its events applied by the stream aggregator, invoiced by its billing use case and by the
hourly biller with amounts worked out by hand; with a grace period, a draft refreshed by a late event and finalized
when the period ends, or on request before; the invoice's webhook rendered, signed and delivered once. The same on
DynamoDB: tests/integration/test_biller.py, test_grace_period.py and test_webhook_delivery.py."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

from billing_world import BillingWorld

from chalicelib.billing.customer_billing import CustomerBilling
from chalicelib.billing.drafts import Drafts
from chalicelib.domain.customers import Customer
from chalicelib.domain.invoices.draft import Draft
from chalicelib.usecases.customer_time import CustomerTime
from chalicelib.webhooks import delivery
from chalicelib.webhooks.delivery import WebhookDelivery
from chalicelib.webhooks.signing import signature

SUBSCRIBED_AT = datetime(2026, 11, 1, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 1, tzinfo=UTC)


def storage_customer(grace_days: int = 0) -> tuple[BillingWorld, Customer]:
    """Customer `acme` (VAT 20 %) subscribed as `sub` from 1 November 2026 to plan `startup`: 1000 cents a month in
    arrears and 0.02 EUR a gb of storage; subscribed on 20 October, activated by the biller's first run after its
    start."""
    world = BillingWorld(datetime(2026, 10, 20, tzinfo=UTC))
    if grace_days:
        world.configure(billing_configuration={"invoice_grace_period": grace_days})
    world.storage_plan("0.02")
    acme = world.customer("acme", vat_rate=20)
    world.subscribe("sub", "acme", SUBSCRIBED_AT.isoformat())
    assert world.run_biller(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 0  # in arrears
    assert world.stores.subscriptions.find_current(world.organization.id, "sub").status == "active"
    world.clock.moment = datetime(2026, 11, 25, tzinfo=UTC)
    return world, acme


def queued(world: BillingWorld) -> list[tuple[str, str]]:
    """The outbox's invoice webhooks, in the order they were queued."""
    return [(webhook.webhook_type, webhook.object_id) for webhook in world.stores.webhooks.list(world.organization.id)
            if webhook.object_type == "invoice"]


def test_a_month_of_storage_is_invoiced_with_its_base_fee_and_taxes_once():
    world, acme = storage_customer()
    world.send("sub", datetime(2026, 11, 3, tzinfo=UTC), 30)
    world.send("sub", datetime(2026, 11, 20, tzinfo=UTC), 5)
    billing = CustomerBilling(world.stores)
    early = billing.bill(world.organization.id, acme.id, datetime(2026, 11, 30, 23, tzinfo=UTC))
    assert (early.invoices, early.outcome) == ([], "done")
    billed = billing.bill(world.organization.id, acme.id, DECEMBER.replace(minute=30))
    assert (billed.invoices_count, billed.outcome) == (1, "done")
    invoice, = world.invoices()
    assert billed.invoices == [invoice]
    # The base fee of a full month, 1000; 35 gb at 0.02 EUR, 70; VAT 20 % of 1070, 214.
    assert [fee.amount_cents for fee in invoice.fees] == [1000, 70]
    assert (invoice.fees_amount_cents, invoice.taxes_amount_cents, invoice.total_amount_cents) == (1070, 214, 1284)
    assert (invoice.status, invoice.issuing_date, invoice.sequential_id, invoice.number) == (
        "finalized", date(2026, 12, 1), 1, f"{acme.slug}-001")
    assert [period.invoicing_reason for period in invoice.billing_periods] == ["subscription_periodic"]
    assert queued(world) == [("invoice.created", invoice.id)]
    assert billing.bill(world.organization.id, acme.id, datetime(2026, 12, 1, 5, tzinfo=UTC)).invoices == []
    assert world.run_biller(datetime(2026, 12, 1, 5, tzinfo=UTC))["customers_due"] == 0  # nothing more due
    assert world.invoices() == [invoice]


def test_a_draft_shows_a_late_event_and_is_numbered_when_its_grace_period_ends():
    world, acme = storage_customer(grace_days=3)
    world.send("sub", datetime(2026, 11, 3, tzinfo=UTC), 30)
    assert world.run_biller(DECEMBER.replace(minute=30))["invoices_created"] == 1
    draft, = world.invoices()
    # Issued 3 days later, not numbered: 1000 + 30 gb at 0.02 EUR = 1060; VAT 212.
    assert (draft.status, draft.issuing_date, draft.finalize_at, draft.sequential_id) == (
        "draft", date(2026, 12, 4), datetime(2026, 12, 4, tzinfo=UTC), None)
    assert (draft.fees_amount_cents, draft.taxes_amount_cents, draft.total_amount_cents) == (1060, 212, 1272)
    assert world.stores.invoices.last_sequence(world.organization.id, acme.id) == 0

    world.clock.moment = datetime(2026, 12, 2, tzinfo=UTC)
    world.send("sub", datetime(2026, 11, 20, tzinfo=UTC), 5)  # late: its draft asks for a refresh
    assert world.stores.invoices.drafts_of(world.organization.id, acme.id)[0].refresh_requests == 1
    assert world.run_biller(datetime(2026, 12, 2, 1, tzinfo=UTC))["invoices_created"] == 0
    refreshed, = world.invoices()
    assert (refreshed.status, refreshed.fees_amount_cents, refreshed.total_amount_cents) == ("draft", 1070, 1284)
    assert world.stores.invoices.drafts_of(world.organization.id, acme.id) == [Draft(refreshed, 0)]

    assert world.run_biller(datetime(2026, 12, 3, 23, tzinfo=UTC))["invoices_created"] == 0
    assert world.run_biller(datetime(2026, 12, 4, 0, 30, tzinfo=UTC))["invoices_created"] == 1
    final, = world.invoices()
    assert (final.status, final.issuing_date, final.sequential_id, final.number) == (
        "finalized", date(2026, 12, 4), 1, f"{acme.slug}-001")
    assert (final.fees_amount_cents, final.taxes_amount_cents, final.total_amount_cents) == (1070, 214, 1284)
    assert world.stores.invoices.drafts_of(world.organization.id, acme.id) == []
    assert queued(world) == [("invoice.drafted", draft.id), ("invoice.created", draft.id)]


def test_a_draft_finalized_on_request_before_its_grace_period_ends_is_issued_that_day():
    world, acme = storage_customer(grace_days=3)
    world.send("sub", datetime(2026, 11, 3, tzinfo=UTC), 30)
    world.run_biller(DECEMBER.replace(minute=30))
    draft, = world.invoices()
    finalized = Drafts(world.stores).finalize_invoice(
        world.organization, draft.id, CustomerTime(datetime(2026, 12, 2, 9, tzinfo=UTC), world.stores.test_clocks,
                                                   world.organization.id))
    assert (finalized.status, finalized.issuing_date, finalized.sequential_id, finalized.total_amount_cents) == (
        "finalized", date(2026, 12, 2), 1, 1272)
    assert world.invoices() == [finalized]
    assert world.run_biller(datetime(2026, 12, 4, 0, 30, tzinfo=UTC))["invoices_created"] == 0  # nothing left due


def test_the_invoice_webhook_carries_the_invoice_signed_and_is_delivered_once(monkeypatch):
    world, acme = storage_customer()
    world.configure(webhook_url="https://hooks.example.com/lago")
    world.send("sub", datetime(2026, 11, 3, tzinfo=UTC), 35)
    world.run_biller(DECEMBER.replace(minute=30))
    invoice, = world.invoices()
    posted: list[tuple[bytes, dict[str, str]]] = []
    monkeypatch.setattr(delivery, "resolve_target", lambda url, allow_private: url)  # no DNS
    monkeypatch.setattr(delivery, "post", lambda target, body, headers: posted.append((body, headers)) or 200)
    webhook = next(webhook for webhook in world.stores.webhooks.list(world.organization.id)
                   if webhook.webhook_type == "invoice.created")
    delivering = WebhookDelivery(world.stores, world.organization_use_cases)
    at = DECEMBER.replace(hour=1)
    assert delivering.deliver(world.organization.id, webhook.id, 1, at).settled
    assert delivering.deliver(world.organization.id, webhook.id, 2, at).settled  # a redelivered message
    (body, headers), = posted
    sent = json.loads(body)
    assert (sent["webhook_type"], sent["invoice"]["lago_id"], sent["invoice"]["number"]) == (
        "invoice.created", invoice.id, f"{acme.slug}-001")
    assert (sent["invoice"]["fees_amount_cents"], sent["invoice"]["taxes_amount_cents"],
            sent["invoice"]["total_amount_cents"]) == (1070, 214, 1284)
    key = world.organization_use_cases.webhook_key(world.organization.id)
    assert headers["X-Lago-Signature"] == signature(body, key)
    assert headers["X-Lago-Unique-Key"] == webhook.id
    delivered = world.stores.webhooks.get(world.organization.id, webhook.id)
    assert (delivered.status, delivered.attempts, delivered.delivered_at, delivered.payload) == (
        "delivered", 1, at, body.decode())

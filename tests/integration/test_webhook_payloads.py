"""Webhook bodies as Lago sends them: `webhook_type`, `object_type`, `organization_id`, and the object under the key
named by `object_type`, shaped as the API shows it (no root wrapper); a subscription with its plan and customer."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from builders import create_customer, subscribe_new_customer
from test_invoices_api import billed

from chalicelib.domain.webhooks import OBJECT_TYPES, Webhook
from chalicelib.store.repositories import repositories
from chalicelib.webhooks.payloads import RENDERERS, render_payload

__all__ = ["billed"]  # a fixture

pytestmark = pytest.mark.usefixtures("api_clock")


def rendered(tenant, webhook: Webhook) -> dict:
    organization = repositories().organizations.get(tenant.organization_id)
    text = render_payload(repositories(), organization, webhook)
    assert ", " not in text and ": " not in text.replace('": "', "")  # compact, as Lago's to_json
    return json.loads(text)


def outbox_item(tenant, webhook_type: str) -> Webhook:
    return next(webhook for webhook in repositories().webhooks.list(tenant.organization_id)
                if webhook.webhook_type == webhook_type)


def envelope(body: dict) -> tuple:
    return body["webhook_type"], body["object_type"], body["organization_id"], sorted(body)


def test_customer_created_carries_the_customer_object(api, tenant):
    customer = create_customer(api, "acme/eu#1", vat_rate=20)

    body = rendered(tenant, outbox_item(tenant, "customer.created"))

    assert envelope(body) == ("customer.created", "customer", tenant.organization_id,
                              ["customer", "object_type", "organization_id", "webhook_type"])
    assert body["customer"] == api.get(f"/api/v1/customers/{quote('acme/eu#1', safe='')}").json_body["customer"]
    assert body["customer"] == customer


def test_subscription_started_carries_the_subscription_with_its_plan_and_customer(api, tenant):
    subscription = subscribe_new_customer(api, subscription_at="2026-01-01T00:00:00Z")
    customer = api.get("/api/v1/customers/cust").json_body["customer"]  # with the currency it took

    body = rendered(tenant, outbox_item(tenant, "subscription.started"))

    assert envelope(body) == ("subscription.started", "subscription", tenant.organization_id,
                              ["object_type", "organization_id", "subscription", "webhook_type"])
    shown = api.get("/api/v1/subscriptions/sub").json_body["subscription"]
    assert body["subscription"] == {**shown, "customer": customer}
    assert body["subscription"]["plan"]["code"] == "startup" and subscription["lago_id"] == shown["lago_id"]


def test_subscription_terminated_shows_it_terminated(api, tenant):
    subscribe_new_customer(api, subscription_at="2026-01-01T00:00:00Z")
    api.delete("/api/v1/subscriptions/sub")

    body = rendered(tenant, outbox_item(tenant, "subscription.terminated"))

    assert body["subscription"]["status"] == "terminated"
    assert body["subscription"]["terminated_at"] is not None


def test_an_invoice_webhook_carries_lago_s_invoice_object(api, tenant, billed):
    invoice = billed["invoice"]
    webhook = Webhook(id="w", organization_id=tenant.organization_id, webhook_type="invoice.created",
                      object_type="invoice", object_id=invoice.id, status="pending",
                      created_at=datetime(2026, 2, 1, tzinfo=UTC))

    body = rendered(tenant, webhook)

    assert envelope(body) == ("invoice.created", "invoice", tenant.organization_id,
                              ["invoice", "object_type", "organization_id", "webhook_type"])
    assert body["invoice"] == api.get(f"/api/v1/invoices/{invoice.id}").json_body["invoice"]
    # Amounts are exact integers (1000 + 35 cents, 20 % VAT on top), never floats.
    assert body["invoice"]["total_amount_cents"] == int((1000 + 35) * Decimal("1.2"))


def test_every_object_type_has_a_renderer():
    assert set(OBJECT_TYPES.values()) == set(RENDERERS)

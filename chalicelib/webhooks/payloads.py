"""A webhook's body, as Lago sends it: `{"webhook_type", "object_type", "organization_id", <object_type>: the
object}`, the object as the API shows it (no root wrapper). One renderer per object type in `RENDERERS`."""
from __future__ import annotations

from typing import Any, Callable, TypeVar

import simplejson

from chalicelib.domain.organizations import Organization
from chalicelib.domain.webhooks import Webhook
from chalicelib.rendering.invoices import invoice_json, stored_fee_json
from chalicelib.rendering.resources import customer_json, subscription_json
from chalicelib.usecases.shown_records import GatherShownRecords, plan_codes
from chalicelib.webhooks.ports import PayloadReaders

# (stores, organization, object id) -> the object's JSON; raises ObjectNotFound.
Renderer = Callable[[PayloadReaders, Organization, str], dict[str, Any]]
Found = TypeVar("Found")


class ObjectNotFound(Exception):
    """The object a webhook reports is not stored (never expected: the webhook is written with it)."""


def _found(value: Found | None, object_type: str, object_id: str) -> Found:
    if value is None:
        raise ObjectNotFound(f"{object_type} {object_id}")
    return value


def customer_object(stores: PayloadReaders, organization: Organization, customer_id: str) -> dict[str, Any]:
    customer = _found(stores.customers.get_any(organization.id, customer_id), "customer", customer_id)
    return customer_json(customer, organization)


def subscription_object(stores: PayloadReaders, organization: Organization, subscription_id: str) -> dict[str, Any]:
    """Lago's subscription object with its `plan` and its `customer`."""
    subscription = _found(stores.subscriptions.get(organization.id, subscription_id), "subscription",
                          subscription_id)
    customer = _found(stores.customers.get_any(organization.id, subscription.customer_id), "customer",
                      subscription.customer_id)
    plan = _found(stores.plans.get_any(organization.id, subscription.plan_id), "plan", subscription.plan_id)
    body = subscription_json(subscription, customer, plan, with_plan=True,
                             plan_codes=plan_codes(stores.plans, organization.id, [subscription]))
    return {**body, "customer": customer_json(customer, organization)}


def invoice_object(stores: PayloadReaders, organization: Organization, invoice_id: str) -> dict[str, Any]:
    invoice = _found(stores.invoices.get(organization.id, invoice_id), "invoice", invoice_id)
    return invoice_json(invoice, GatherShownRecords(stores)(organization, invoices=[invoice]))


def fee_object(stores: PayloadReaders, organization: Organization, fee_id: str) -> dict[str, Any]:
    """A pay-in-advance fee, as `GET /api/v1/fees/{lago_id}` shows it."""
    fee = _found(stores.fees.get(organization.id, fee_id), "fee", fee_id)
    return stored_fee_json(fee, GatherShownRecords(stores)(organization, fees=[fee]))


# One entry per `object_type` of chalicelib/domain/webhooks.py's OBJECT_TYPES.
RENDERERS: dict[str, Renderer] = {
    "customer": customer_object,
    "subscription": subscription_object,
    "invoice": invoice_object,
    "fee": fee_object,
}


def render_payload(stores: PayloadReaders, organization: Organization, webhook: Webhook) -> str:
    """The exact JSON text to send (compact; decimals written exactly, never through a float)."""
    renderer = RENDERERS.get(webhook.object_type)
    if renderer is None:
        raise ObjectNotFound(f"no renderer for object type {webhook.object_type!r}")
    body = {"webhook_type": webhook.webhook_type, "object_type": webhook.object_type,
            "organization_id": organization.id,
            webhook.object_type: renderer(stores, organization, webhook.object_id)}
    text: str = simplejson.dumps(body, use_decimal=True, separators=(",", ":"))
    return text

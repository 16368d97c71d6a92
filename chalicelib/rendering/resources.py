"""Domain objects as Lago's API v1 shows them: counts as integers, rates as JSON numbers, times with `Z`."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Context, Decimal

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.charges import stored_properties
from chalicelib.domain.clock import iso_z
from chalicelib.domain.customers import Customer
from chalicelib.domain.events import Event, iso_ms
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import from_datetime, to_datetime
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.subscriptions import Subscription
from chalicelib.domain.test_clocks import TestClock
from chalicelib.domain.validation import JsonObject

# Namespace of the tax objects derived from vat rates (stable lago_id per organization and rate).
_VAT_TAX_NAMESPACE = uuid.UUID("6f1c3a52-3c0e-4a43-9b8e-1d3f3f8f6a10")
# DynamoDB keeps 38 significant digits; Python's default context (28) would round them on the way out.
_STORED_PRECISION = Context(prec=38)
_ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "zipcode", "country")


def _as_named(record: object, *fields: str) -> JsonObject:
    """The fields Lago names as the record does, shown as they are stored."""
    return {field: getattr(record, field) for field in fields}


def plain_number(value: Decimal | None) -> Decimal | None:
    """A rate without trailing zeros or a positive exponent: 20, 5.5 (as JSON, rates under 1E-6 keep
    Decimal's exponent notation, still a valid JSON number)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(Decimal(1), context=_STORED_PRECISION)
    return value.normalize(_STORED_PRECISION)


def vat_tax(organization: Organization, rate: Decimal, applied_to_organization: bool) -> JsonObject:
    """The vat rate as a Lago TaxObject, derived (not stored): one per organization and rate."""
    rate_text = format(plain_number(rate), "f")  # str() would write 1E-7
    return {
        "lago_id": str(uuid.uuid5(_VAT_TAX_NAMESPACE, f"{organization.id}:{rate_text}")),
        "name": f"VAT {rate_text}%",
        "code": f"vat_{rate_text.replace('.', '_')}",
        "description": None,
        "rate": plain_number(rate),
        "applied_to_organization": applied_to_organization,
        "created_at": iso_z(organization.created_at),
    }


def customer_taxes(customer: Customer, organization: Organization) -> list[JsonObject]:
    """The taxes Lago would list: the customer's own rate, else the organization's default (if not zero)."""
    if customer.vat_rate is not None:
        return [vat_tax(organization, customer.vat_rate, applied_to_organization=False)]
    if organization.vat_rate:
        return [vat_tax(organization, organization.vat_rate, applied_to_organization=True)]
    return []


def customer_json(customer: Customer, organization: Organization) -> JsonObject:
    shipping = customer.shipping_address
    return {
        "lago_id": customer.id,
        "sequential_id": customer.sequential_id,
        "slug": customer.slug,
        "external_id": customer.external_id,
        "test_clock_id": customer.test_clock_id,
        "billing_entity_code": None,
        "account_type": customer.account_type or "customer",
        "name": customer.name,
        "firstname": customer.firstname,
        "lastname": customer.lastname,
        "customer_type": customer.customer_type,
        **{field: getattr(customer, field) for field in _ADDRESS_FIELDS},
        "email": customer.email,
        "phone": customer.phone,
        "url": customer.url,
        "logo_url": customer.logo_url,
        "legal_name": customer.legal_name,
        "legal_number": customer.legal_number,
        "tax_identification_number": customer.tax_identification_number,
        "currency": customer.currency,
        "timezone": customer.timezone,
        "applicable_timezone": customer.applicable_timezone(organization.timezone),
        "net_payment_term": customer.net_payment_term,
        "finalize_zero_amount_invoice": "inherit",
        "skip_invoice_custom_sections": False,
        "vat_rate": plain_number(customer.vat_rate),
        "billing_configuration": {
            "invoice_grace_period": customer.invoice_grace_period, "payment_provider": None,
            "payment_provider_code": None, "provider_customer_id": None, "document_locale": None,
            "vat_rate": plain_number(customer.vat_rate),
        },
        "shipping_address": {field: getattr(shipping, field) if shipping else None for field in _ADDRESS_FIELDS},
        "metadata": [],
        "integration_customers": [],
        "taxes": customer_taxes(customer, organization),
        "applicable_invoice_custom_sections": [],
        "error_details": [],
        "created_at": iso_z(customer.created_at),
        "updated_at": iso_z(customer.updated_at),
    }


def organization_json(organization: Organization) -> JsonObject:
    return {
        "lago_id": organization.id,
        "name": organization.name,
        "created_at": iso_z(organization.created_at),
        "updated_at": iso_z(organization.updated_at),
        "webhook_url": organization.webhook_url,
        "webhook_urls": [organization.webhook_url] if organization.webhook_url else [],
        **{field: getattr(organization, field) for field in _ADDRESS_FIELDS},
        "email": organization.email,
        "legal_name": organization.legal_name,
        "legal_number": organization.legal_number,
        "tax_identification_number": organization.tax_identification_number,
        "default_currency": organization.default_currency,
        "timezone": organization.timezone,
        "net_payment_term": organization.net_payment_term,
        "document_numbering": organization.document_numbering,
        "document_number_prefix": organization.document_number_prefix,
        "email_settings": [],
        "finalize_zero_amount_invoice": True,
        "vat_rate": plain_number(organization.vat_rate),
        "billing_configuration": {
            "invoice_footer": organization.invoice_footer,
            "invoice_grace_period": organization.invoice_grace_period,
            "document_locale": organization.document_locale,
            "vat_rate": plain_number(organization.vat_rate),
        },
        "taxes": [vat_tax(organization, organization.vat_rate, True)] if organization.vat_rate else [],
    }


def billable_metric_json(metric: BillableMetric) -> JsonObject:
    return {
        "lago_id": metric.id,
        **_as_named(metric, "name", "code", "description", "aggregation_type", "weighted_interval", "recurring",
                    "rounding_function", "rounding_precision"),
        "created_at": iso_z(metric.created_at),
        "field_name": metric.field_name,
        "expression": None,
        "filters": [{"key": item.key, "values": list(item.values)} for item in metric.filters],
        "plans_count": metric.plans_count,
    }


def _charge_json(charge: Charge) -> JsonObject:
    return {
        "lago_id": charge.id,
        "lago_billable_metric_id": charge.billable_metric_id,
        "billable_metric_code": charge.billable_metric_code,
        "code": charge.code,
        "invoice_display_name": charge.invoice_display_name,
        "created_at": iso_z(charge.created_at),
        **_as_named(charge, "charge_model", "pay_in_advance", "invoiceable", "regroup_paid_fees", "prorated",
                    "min_amount_cents"),
        # Parsed again so that every property shows, nulls included (the store drops null map values).
        "properties": stored_properties(charge.charge_properties()),
        "filters": [{"invoice_display_name": charge_filter.invoice_display_name,
                     "properties": stored_properties(charge.filter_properties(index)),
                     "values": {key: list(values) for key, values in charge_filter.values.items()}}
                    for index, charge_filter in enumerate(charge.filters)],
        "taxes": [],
    }


def plan_json(plan: Plan) -> JsonObject:
    return {
        "lago_id": plan.id,
        "name": plan.name,
        "invoice_display_name": plan.invoice_display_name,
        "created_at": iso_z(plan.created_at),
        "code": plan.code,
        "interval": plan.interval,
        "description": plan.description,
        "amount_cents": plan.amount_cents,
        "amount_currency": plan.amount_currency,
        "trial_period": plain_number(plan.trial_period),
        "pay_in_advance": plan.pay_in_advance,
        "bill_charges_monthly": plan.bill_charges_monthly,
        "charges": [_charge_json(charge) for charge in plan.charges],
        "taxes": [],
        "minimum_commitment": None,
        "usage_thresholds": [],
        "active_subscriptions_count": plan.active_subscriptions_count,
    }


def optional_time(moment: datetime | None) -> str | None:
    return iso_z(moment) if moment is not None else None


def _plan_code(plan_codes: Mapping[str, str], plan_id: str | None) -> str | None:
    return plan_codes.get(plan_id) if plan_id is not None else None


def subscription_json(subscription: Subscription, customer: Customer, plan: Plan, *, with_plan: bool = False,
                      plan_codes: Mapping[str, str] | None = None) -> JsonObject:
    """Lago's subscription object (the extended one, with `plan`, on create and read). The customer's
    external_id and the plan's code are read through the lago_ids the subscription refers to; `plan_codes` names
    the plans a plan change refers to (previous, next) by lago_id."""
    plan_codes = plan_codes or {}
    period = subscription.current_billing_period
    body: JsonObject = {
        "lago_id": subscription.id,
        "external_id": subscription.external_id,
        "lago_customer_id": customer.id,
        "external_customer_id": customer.external_id,
        "billing_entity_code": None,
        "name": subscription.name,
        "plan_code": plan.code,
        "plan_amount_cents": plan.amount_cents,
        "plan_amount_currency": plan.amount_currency,
        "billing_time": subscription.billing_time,
        "status": subscription.status,
        "created_at": iso_z(subscription.created_at),
        "started_at": optional_time(subscription.started_at),
        "subscription_at": iso_z(subscription.subscription_at),
        "ending_at": optional_time(subscription.ending_at),
        "terminated_at": optional_time(subscription.terminated_at),
        "canceled_at": optional_time(subscription.canceled_at),
        "trial_ended_at": None,
        "current_billing_period_started_at": from_datetime(period) if period else None,
        "current_billing_period_ending_at": to_datetime(period) if period else None,
        "previous_plan_code": _plan_code(plan_codes, subscription.previous_plan_id),
        "next_plan_code": _plan_code(plan_codes, subscription.next_plan_id),
        "downgrade_plan_date": (subscription.downgrade_plan_date.isoformat()
                                if subscription.downgrade_plan_date is not None else None),
        "on_termination_credit_note": None,
        "on_termination_invoice": "generate",
    }
    if with_plan:
        body["plan"] = plan_json(plan)
    return body


def event_json(event: Event) -> JsonObject:
    """Lago's event object; properties as sent (numbers exact), times in UTC to the millisecond."""
    return {
        **_as_named(event, "lago_id", "transaction_id", "lago_customer_id", "code"),
        "timestamp": iso_ms(event.timestamp_ms),
        **_as_named(event, "precise_total_amount_cents", "properties", "lago_subscription_id",
                    "external_subscription_id"),
        "created_at": event.received_at,
        # Not Lago's: why no invoice will ever include the event (null: billable), docs/billing-over-time.md.
        "unbillable_reason": event.unbillable_reason,
    }


def test_clock_json(clock: TestClock) -> JsonObject:
    return {"lago_id": clock.id, "name": clock.name, "frozen_time": iso_z(clock.frozen_time), "status": clock.status,
            "advancing_to": iso_z(clock.advancing_to) if clock.advancing_to else None,
            "customers_count": clock.customers_count, "created_at": iso_z(clock.created_at)}

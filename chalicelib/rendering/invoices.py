"""A stored invoice as Lago's API v1 shows it (`InvoiceObjectExtended`, its `FeeObject`s): amounts as integers,
decimals as strings, windows with Lago's inclusive ends (`…T23:59:59Z`).

What the invoice refers to (customer, subscriptions, plans, metrics, credit notes) comes in `InvoiceRecords`, which
the use case answering the request gathers, each record read once for a whole page of invoices. A pay-in-advance
fee is shown the same way, from its invoice when it has one, else from its own record (`stored_fee_json`)."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.clock import iso_z
from chalicelib.domain.credit_notes import CreditNote
from chalicelib.domain.customers import Customer
from chalicelib.domain.fees import PayInAdvanceFee
from chalicelib.domain.invoices.invoice import AppliedCredit, BillingPeriod, Invoice, InvoiceFee
from chalicelib.domain.invoices.numbering import credit_note_number
from chalicelib.domain.money import major_units
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods.period import SECOND
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.subscriptions import Subscription
from chalicelib.domain.taxes import tax_on
from chalicelib.domain.validation import JsonObject
from chalicelib.rendering.resources import customer_json, optional_time, plain_number, subscription_json, vat_tax

# Namespace of the derived ids of applied taxes (stable per invoice or fee).
_APPLIED_TAX_NAMESPACE = uuid.UUID("0d6c3f0e-8a57-4f7e-a1c4-3b9f3f1e2d47")
# Lago's invoice layout version (spec example 3; current Lago writes 4).
VERSION_NUMBER = 4


def decimal_text(value: Decimal) -> str:
    """A decimal as Lago writes a BigDecimal: `35.0`, `12.5`, `0.0001` (never exponent notation)."""
    plain = format(plain_number(Decimal(value)), "f")
    return plain if "." in plain else f"{plain}.0"


def _last_second(end: datetime) -> str:
    """The inclusive end Lago shows for a half-open window's `end`."""
    return iso_z(end - SECOND)


@dataclass(frozen=True)
class InvoiceRecords:
    """The records the invoices, fees and credit notes shown name, by id, as the use case answering the request
    gathered them (chalicelib/usecases/shown_records.py): the renderer reads nothing itself. A record not found
    (or not gathered) shows as null."""

    organization: Organization
    customers: Mapping[str, Customer | None] = field(default_factory=dict)
    subscriptions: Mapping[str, Subscription | None] = field(default_factory=dict)
    plans: Mapping[str, Plan | None] = field(default_factory=dict)
    metrics: Mapping[str, BillableMetric | None] = field(default_factory=dict)
    invoices: Mapping[str, Invoice | None] = field(default_factory=dict)
    credit_notes: Mapping[str, CreditNote | None] = field(default_factory=dict)

    def credit_note_number(self, note: CreditNote) -> str | None:
        """Its invoice's number (`…-DRAFT` while that invoice is a draft) and its sequence on it."""
        invoice = self.invoices.get(note.invoice_id)
        return credit_note_number(invoice.number, note.sequential_id) if invoice else None


@dataclass(frozen=True)
class FeeBilling:
    """What a fee's object shows of what bills it: its invoice, or the fee's own record when no invoice does."""

    invoice_id: str | None
    customer_id: str
    currency: str
    taxes_rate: Decimal | None
    payment_status: str
    created_at: datetime

    @classmethod
    def of_invoice(cls, invoice: Invoice) -> "FeeBilling":
        return cls(invoice.id, invoice.customer_id, invoice.currency, invoice.taxes_rate, invoice.payment_status,
                   invoice.created_at)


def applied_tax_json(invoice: Invoice | FeeBilling, rate: Decimal, records: InvoiceRecords, owner: str,
                     amount_cents: int) -> JsonObject:
    """Lago's applied tax of an invoice, of one of its fees or of one of its credit notes (`owner`), taxed at
    `rate` (the callers show none for an untaxed invoice)."""
    return {
        "lago_id": str(uuid.uuid5(_APPLIED_TAX_NAMESPACE, f"{owner}:{format(plain_number(rate), 'f')}")),
        "lago_tax_id": vat_tax(records.organization, rate, applied_to_organization=False)["lago_id"],
        "tax_name": "VAT",
        "tax_code": "vat",
        "tax_rate": plain_number(rate),
        "tax_description": None,
        "amount_cents": amount_cents,
        "amount_currency": invoice.currency,
        "created_at": iso_z(invoice.created_at),
    }


def _charge(plan: Plan | None, charge_id: str | None) -> Charge | None:
    if plan is None or charge_id is None:
        return None
    return next((charge for charge in plan.charges if charge.id == charge_id), None)


def _item(fee: InvoiceFee, subscription: Subscription | None, plan: Plan | None,
          records: InvoiceRecords) -> JsonObject:
    if fee.fee_type == "subscription":
        name = plan.name if plan else None
        return {"type": "subscription", "code": plan.code if plan else None, "name": name,
                "description": plan.description if plan else None,
                "invoice_display_name": (plan.invoice_display_name or name) if plan else None,
                "filter_invoice_display_name": None, "filters": None,
                "lago_item_id": fee.subscription_id, "item_type": "Subscription", "grouped_by": {}}
    charge = _charge(plan, fee.charge_id)
    metric = records.metrics.get(charge.billable_metric_id) if charge else None
    charge_filter = (charge.filters[fee.filter_index]
                     if charge and fee.filter_index is not None and fee.filter_index < len(charge.filters) else None)
    return {"type": "charge", "code": metric.code if metric else (charge.billable_metric_code if charge else None),
            "name": metric.name if metric else None,
            "description": metric.description if metric else None,
            "invoice_display_name": (charge.invoice_display_name or (metric.name if metric else None))
            if charge else None,
            "filter_invoice_display_name": charge_filter.invoice_display_name if charge_filter else None,
            "filters": {key: list(values) for key, values in charge_filter.values.items()} if charge_filter else None,
            "lago_item_id": metric.id if metric else (charge.billable_metric_id if charge else None),
            "item_type": "BillableMetric", "grouped_by": dict(fee.grouped_by)}


def fee_json(invoice: Invoice, fee: InvoiceFee, customer: Customer | None, external_subscription_id: str | None,
             records: InvoiceRecords) -> JsonObject:
    """Lago's FeeObject of one invoice fee. Its taxes are its own share, for display (the invoice's taxes are
    rounded once on the sum)."""
    return _fee_object(FeeBilling.of_invoice(invoice), fee, customer, external_subscription_id, records)


def stored_fee_json(fee: PayInAdvanceFee, records: InvoiceRecords) -> JsonObject:
    """Lago's FeeObject of a stored pay-in-advance fee: as its invoice shows it (payment status included), or, for
    a fee no invoice bills, from its own record (payment status `pending`)."""
    invoice = records.invoices.get(fee.invoice_id) if fee.invoice_id else None
    billing = FeeBilling.of_invoice(invoice) if invoice else FeeBilling(
        None, fee.customer_id, fee.currency, fee.taxes_rate, "pending", fee.created_at)
    return _fee_object(billing, fee, records.customers.get(fee.customer_id), fee.external_subscription_id, records)


def _fee_object(billing: FeeBilling, fee: InvoiceFee, customer: Customer | None, external_subscription_id: str | None,
                records: InvoiceRecords) -> JsonObject:
    currency = billing.currency
    subscription = records.subscriptions.get(fee.subscription_id)
    plan = records.plans.get(subscription.plan_id) if subscription else None
    rate = billing.taxes_rate or Decimal(0)
    precise_taxes_cents = tax_on(fee.precise_amount_cents, rate)
    total_cents = fee.amount_cents + fee.taxes_amount_cents
    return {
        "lago_id": fee.id,
        "lago_charge_id": fee.charge_id,
        "lago_charge_filter_id": None,
        "lago_fixed_charge_id": None,
        "lago_invoice_id": billing.invoice_id,
        "lago_true_up_fee_id": None,
        "lago_true_up_parent_fee_id": None,
        "lago_subscription_id": fee.subscription_id,
        "external_subscription_id": external_subscription_id,
        "lago_customer_id": billing.customer_id,
        "external_customer_id": customer.external_id if customer else None,
        "amount_cents": fee.amount_cents,
        "precise_amount": decimal_text(major_units(fee.precise_amount_cents, currency)),
        "precise_total_amount": decimal_text(major_units(fee.precise_amount_cents + precise_taxes_cents, currency)),
        "amount_currency": currency,
        "taxes_amount_cents": fee.taxes_amount_cents,
        "taxes_precise_amount": decimal_text(major_units(precise_taxes_cents, currency)),
        "taxes_rate": plain_number(rate),
        "total_amount_cents": total_cents,
        "total_amount_currency": currency,
        "sub_total_excluding_taxes_amount_cents": fee.amount_cents,
        "sub_total_excluding_taxes_precise_amount_cents": decimal_text(fee.precise_amount_cents),
        "precise_coupons_amount_cents": "0.0",
        "units": decimal_text(fee.units),
        "precise_unit_amount": decimal_text(fee.precise_unit_amount),
        "total_aggregated_units": decimal_text(fee.total_aggregated_units),
        "events_count": fee.events_count,
        "pay_in_advance": fee.pay_in_advance,
        "invoiceable": fee.invoiceable,
        "self_billed": False,
        "payment_status": billing.payment_status,
        "from_date": iso_z(fee.from_datetime),
        "to_date": iso_z(fee.to_datetime - SECOND),
        "created_at": iso_z(billing.created_at),
        "succeeded_at": None,
        "failed_at": None,
        "refunded_at": None,
        "event_transaction_id": fee.event_transaction_id,
        "description": None,
        "amount_details": {},
        "pricing_unit_details": None,
        "item": _item(fee, subscription, plan, records),
        "applied_taxes": ([{**applied_tax_json(billing, billing.taxes_rate, records, fee.id, fee.taxes_amount_cents),
                            "lago_fee_id": fee.id}] if billing.taxes_rate is not None else []),
    }


def credit_json(invoice: Invoice, credit: AppliedCredit, records: InvoiceRecords) -> JsonObject:
    """Lago's `credits` entry of an invoice paid in part by a credit note (after taxes: `before_taxes` false)."""
    note = records.credit_notes.get(credit.credit_note_id)
    number = records.credit_note_number(note) if note else None
    return {
        "lago_id": str(uuid.uuid5(uuid.UUID(invoice.id), credit.credit_note_id)),
        "amount_cents": credit.amount_cents,
        "amount_currency": invoice.currency,
        "before_taxes": False,
        "item": {"lago_item_id": credit.credit_note_id, "type": "credit_note", "code": number, "name": number},
        "invoice": {"lago_id": invoice.id, "payment_status": invoice.payment_status},
    }


def _window_json(start: datetime | None, end: datetime | None, other: datetime | None) -> tuple[str, str]:
    """A billed window with Lago's inclusive end; a window not billed (a start bills no charges, an in-advance
    final share no base fee) shows empty at the start of the other one: Lago's client requires every date."""
    if start is not None and end is not None:
        return iso_z(start), _last_second(end)
    if other is None:  # an invoiced share bills a window (customer_billing skips a start that bills nothing)
        raise ValueError("a billing period bills neither a base fee nor charges window: no date to show")
    return iso_z(other), iso_z(other)


def billing_period_json(period: BillingPeriod) -> JsonObject:
    subscription_from, subscription_to = _window_json(period.subscription_from, period.subscription_to,
                                                      period.charges_from)
    charges_from, charges_to = _window_json(period.charges_from, period.charges_to, period.subscription_from)
    return {
        "lago_subscription_id": period.subscription_id,
        "external_subscription_id": period.external_subscription_id,
        "lago_plan_id": period.plan_id,
        "subscription_from_datetime": subscription_from,
        "subscription_to_datetime": subscription_to,
        "charges_from_datetime": charges_from,
        "charges_to_datetime": charges_to,
        "invoicing_reason": period.invoicing_reason,
    }


def _subscriptions_json(invoice: Invoice, customer: Customer | None, records: InvoiceRecords) -> list[JsonObject]:
    shown = []
    for subscription_id in dict.fromkeys(period.subscription_id for period in invoice.billing_periods):
        subscription = records.subscriptions.get(subscription_id)
        plan = records.plans.get(subscription.plan_id) if subscription else None
        if subscription is not None and plan is not None and customer is not None:
            shown.append(subscription_json(subscription, customer, plan))
    return shown


def invoice_json(invoice: Invoice, records: InvoiceRecords) -> JsonObject:
    """Lago's invoice object: every field we can fill; what is not modelled (coupons, prepaid credits, metadata,
    usage thresholds, files) is zero, empty or null."""
    customer = records.customers.get(invoice.customer_id)
    external_ids = {period.subscription_id: period.external_subscription_id for period in invoice.billing_periods}
    return {
        "lago_id": invoice.id,
        "billing_entity_code": None,
        "sequential_id": invoice.sequential_id,
        "number": invoice.number,
        "purchase_order_number": None,
        "issuing_date": invoice.issuing_date.isoformat(),
        "payment_due_date": invoice.issuing_date.isoformat(),
        "net_payment_term": 0,
        "payment_overdue": False,
        "payment_dispute_lost_at": None,
        "voided_at": optional_time(invoice.voided_at),
        "invoice_type": invoice.invoice_type,
        "status": invoice.status,
        "payment_status": invoice.payment_status,
        "currency": invoice.currency,
        "fees_amount_cents": invoice.fees_amount_cents,
        "coupons_amount_cents": invoice.coupons_amount_cents,
        "credit_notes_amount_cents": invoice.credit_notes_amount_cents,
        "progressive_billing_credit_amount_cents": invoice.progressive_billing_credit_amount_cents,
        "sub_total_excluding_taxes_amount_cents": invoice.sub_total_excluding_taxes_amount_cents,
        "taxes_amount_cents": invoice.taxes_amount_cents,
        "sub_total_including_taxes_amount_cents": invoice.sub_total_including_taxes_amount_cents,
        "prepaid_credit_amount_cents": invoice.prepaid_credit_amount_cents,
        "prepaid_granted_credit_amount_cents": 0,
        "prepaid_purchased_credit_amount_cents": 0,
        "total_amount_cents": invoice.total_amount_cents,
        "total_due_amount_cents": invoice.total_due_amount_cents,
        "total_paid_amount_cents": 0,
        "total_offsetted_credit_note_amount_cents": 0,
        "version_number": VERSION_NUMBER,
        "self_billed": False,
        "file_url": None,
        "xml_url": None,
        "web_url": None,
        "created_at": iso_z(invoice.created_at),
        "updated_at": iso_z(invoice.updated_at),
        "customer": customer_json(customer, records.organization) if customer else None,
        "metadata": [],
        "applied_taxes": ([{**applied_tax_json(invoice, invoice.taxes_rate, records, invoice.id,
                                               invoice.taxes_amount_cents),
                            "lago_invoice_id": invoice.id, "fees_amount_cents": invoice.fees_amount_cents}]
                          if invoice.taxes_rate is not None else []),
        "billing_periods": [billing_period_json(period) for period in invoice.billing_periods],
        "fees": [fee_json(invoice, fee, customer, external_ids.get(fee.subscription_id), records)
                 for fee in invoice.fees],
        "subscriptions": _subscriptions_json(invoice, customer, records),
        "credits": [credit_json(invoice, credit, records) for credit in invoice.credits],
        "applied_usage_thresholds": [],
        "applied_invoice_custom_sections": [],
        "error_details": [],
    }

"""The invoice: `InvoiceObjectExtended` as chalicelib/rendering/invoices.py writes it, and what `PUT` accepts."""
from __future__ import annotations

from datetime import date
from typing import Literal

from chalicelib.api.openapi.customers import CustomerObjectExtended
from chalicelib.api.openapi.fees import AppliedTaxObject, FeeObject
from chalicelib.api.openapi.shapes import CurrencyCode, Instant, Model, envelope, paginated
from chalicelib.api.openapi.subscriptions import SubscriptionObject
from chalicelib.domain.invoices.invoice import InvoiceStatus, PaymentStatus
from chalicelib.domain.invoices.shares import InvoicingReason


class InvoiceAppliedTaxObject(AppliedTaxObject):
    lago_invoice_id: str
    fees_amount_cents: int


class BillingPeriodObject(Model):
    lago_subscription_id: str
    external_subscription_id: str
    lago_plan_id: str
    subscription_from_datetime: Instant
    subscription_to_datetime: Instant
    charges_from_datetime: Instant
    charges_to_datetime: Instant
    invoicing_reason: InvoicingReason


class CreditItemObject(Model):
    lago_item_id: str
    type: Literal["credit_note"]
    code: str | None
    name: str | None


class CreditInvoiceObject(Model):
    lago_id: str
    payment_status: PaymentStatus


class CreditObject(Model):
    """A credit note the invoice took from (after taxes)."""

    lago_id: str
    amount_cents: int
    amount_currency: CurrencyCode
    before_taxes: bool
    item: CreditItemObject
    invoice: CreditInvoiceObject


class InvoiceObjectExtended(Model):
    lago_id: str
    billing_entity_code: str | None
    sequential_id: int | None
    number: str
    purchase_order_number: str | None
    issuing_date: date
    payment_due_date: date
    net_payment_term: int
    payment_overdue: bool
    payment_dispute_lost_at: Instant | None
    voided_at: Instant | None
    invoice_type: Literal["subscription"]
    status: InvoiceStatus
    payment_status: PaymentStatus
    currency: CurrencyCode
    fees_amount_cents: int
    coupons_amount_cents: int
    credit_notes_amount_cents: int
    progressive_billing_credit_amount_cents: int
    sub_total_excluding_taxes_amount_cents: int
    taxes_amount_cents: int
    sub_total_including_taxes_amount_cents: int
    prepaid_credit_amount_cents: int
    prepaid_granted_credit_amount_cents: int
    prepaid_purchased_credit_amount_cents: int
    total_amount_cents: int
    total_due_amount_cents: int
    total_paid_amount_cents: int
    total_offsetted_credit_note_amount_cents: int
    version_number: int
    self_billed: bool
    file_url: str | None
    xml_url: str | None
    web_url: str | None
    created_at: Instant
    updated_at: Instant
    customer: CustomerObjectExtended | None
    metadata: list[dict]
    applied_taxes: list[InvoiceAppliedTaxObject]
    billing_periods: list[BillingPeriodObject]
    fees: list[FeeObject]
    subscriptions: list[SubscriptionObject]
    credits: list[CreditObject]
    applied_usage_thresholds: list[dict]
    applied_invoice_custom_sections: list[dict]
    error_details: list[dict]


class InvoiceUpdateInputObject(Model):
    """Only the payment status of an invoice changes; other fields are ignored."""

    payment_status: PaymentStatus


Invoice = envelope("Invoice", "invoice", InvoiceObjectExtended, "One invoice.")
InvoicesPaginated = paginated("InvoicesPaginated", "invoices", InvoiceObjectExtended)
InvoiceUpdateInput = envelope("InvoiceUpdateInput", "invoice", InvoiceUpdateInputObject, "The payment status to set.")

"""The fee: `FeeObject` as an invoice lists it and as `/fees` shows a pay-in-advance fee
(chalicelib/rendering/invoices.py)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.shapes import CurrencyCode, DecimalText, Instant, JsonNumber, Model, envelope, paginated
from chalicelib.domain.invoices.invoice import PaymentStatus


class AppliedTaxObject(Model):
    """The VAT rate applied to an invoice, a fee or a credit note (`InvoiceAppliedTaxObject` and its kin)."""

    lago_id: str
    lago_tax_id: str
    tax_name: str
    tax_code: str
    tax_rate: JsonNumber
    tax_description: str | None
    amount_cents: int
    amount_currency: CurrencyCode
    created_at: Instant


class FeeAppliedTaxObject(AppliedTaxObject):
    lago_fee_id: str


class FeeItemObject(Model):
    """What the fee bills: the plan (`Subscription`) or a billable metric (`BillableMetric`)."""

    type: Literal["subscription", "charge"]
    code: str | None
    name: str | None
    description: str | None
    invoice_display_name: str | None
    filter_invoice_display_name: str | None
    filters: dict[str, list[str]] | None
    lago_item_id: str | None
    item_type: Literal["Subscription", "BillableMetric"]
    grouped_by: dict[str, str | None] = Field(description="The pricing group a charge fee bills ({} when none).")


class FeeObject(Model):
    lago_id: str
    lago_charge_id: str | None
    lago_charge_filter_id: str | None
    lago_fixed_charge_id: str | None
    lago_invoice_id: str | None
    lago_true_up_fee_id: str | None
    lago_true_up_parent_fee_id: str | None
    lago_subscription_id: str
    external_subscription_id: str | None
    lago_customer_id: str
    external_customer_id: str | None
    amount_cents: int
    precise_amount: DecimalText
    precise_total_amount: DecimalText
    amount_currency: CurrencyCode
    taxes_amount_cents: int
    taxes_precise_amount: DecimalText
    taxes_rate: JsonNumber
    total_amount_cents: int
    total_amount_currency: CurrencyCode
    sub_total_excluding_taxes_amount_cents: int
    sub_total_excluding_taxes_precise_amount_cents: DecimalText
    precise_coupons_amount_cents: DecimalText
    units: DecimalText
    precise_unit_amount: DecimalText
    total_aggregated_units: DecimalText
    events_count: int | None
    pay_in_advance: bool
    invoiceable: bool
    self_billed: bool
    payment_status: PaymentStatus
    from_date: Instant
    to_date: Instant
    created_at: Instant
    succeeded_at: Instant | None
    failed_at: Instant | None
    refunded_at: Instant | None
    event_transaction_id: str | None
    description: str | None
    amount_details: dict
    pricing_unit_details: dict | None
    item: FeeItemObject
    applied_taxes: list[FeeAppliedTaxObject]


Fee = envelope("Fee", "fee", FeeObject, "One pay-in-advance fee.")
FeesPaginated = paginated("FeesPaginated", "fees", FeeObject)

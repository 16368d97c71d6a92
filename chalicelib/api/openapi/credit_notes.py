"""The credit note: `CreditNoteObject` as chalicelib/rendering/credit_notes.py writes it (read only)."""
from __future__ import annotations

from datetime import date

from chalicelib.api.openapi.customers import CustomerObjectExtended
from chalicelib.api.openapi.fees import AppliedTaxObject, FeeObject
from chalicelib.api.openapi.shapes import CurrencyCode, Instant, JsonNumber, Model, envelope, paginated
from chalicelib.domain.credit_notes import CreditReason, CreditStatus


class CreditNoteItemObject(Model):
    lago_id: str
    amount_cents: int
    amount_currency: CurrencyCode
    fee: FeeObject | None


class CreditNoteAppliedTaxObject(AppliedTaxObject):
    lago_credit_note_id: str
    base_amount_cents: int


class CreditNoteObject(Model):
    lago_id: str
    sequential_id: int
    billing_entity_code: str | None
    number: str | None
    lago_invoice_id: str
    invoice_number: str | None
    purchase_order_number: str | None
    issuing_date: date
    credit_status: CreditStatus
    refund_status: str | None
    reason: CreditReason
    description: str | None
    currency: CurrencyCode
    total_amount_cents: int
    taxes_amount_cents: int
    taxes_rate: JsonNumber
    sub_total_excluding_taxes_amount_cents: int
    balance_amount_cents: int
    credit_amount_cents: int
    refund_amount_cents: int
    offset_amount_cents: int
    coupons_adjustment_amount_cents: int
    self_billed: bool
    file_url: str | None
    xml_url: str | None
    created_at: Instant
    updated_at: Instant
    customer: CustomerObjectExtended | None
    metadata: dict
    items: list[CreditNoteItemObject]
    applied_taxes: list[CreditNoteAppliedTaxObject]
    error_details: list[dict]


CreditNoteExtended = envelope("CreditNoteExtended", "credit_note", CreditNoteObject, "One credit note.")
CreditNotesPaginated = paginated("CreditNotesPaginated", "credit_notes", CreditNoteObject)

"""A stored credit note as Lago's API v1 shows it (CreditNoteObject): amounts as integers, its item's fee as on
its invoice, its number derived from its invoice's current number."""
from __future__ import annotations

from chalicelib.domain.clock import iso_z
from chalicelib.domain.credit_notes import CreditNote
from chalicelib.domain.validation import JsonObject
from chalicelib.rendering.invoices import InvoiceRecords, applied_tax_json, fee_json
from chalicelib.rendering.resources import customer_json, plain_number


def _items(note: CreditNote, records: InvoiceRecords) -> list[JsonObject]:
    invoice = records.invoices.get(note.invoice_id)
    customer = records.customers.get(note.customer_id)
    fees = {fee.id: fee for fee in invoice.fees} if invoice else {}
    external_ids = {period.subscription_id: period.external_subscription_id
                    for period in invoice.billing_periods} if invoice else {}
    return [{"lago_id": item.id, "amount_cents": item.amount_cents, "amount_currency": note.currency,
             "fee": (fee_json(invoice, fees[item.fee_id], customer,
                              external_ids.get(fees[item.fee_id].subscription_id), records)
                     if invoice is not None and item.fee_id in fees else None)}
            for item in note.items]


def credit_note_json(note: CreditNote, records: InvoiceRecords) -> JsonObject:
    invoice = records.invoices.get(note.invoice_id)
    customer = records.customers.get(note.customer_id)
    return {
        "lago_id": note.id,
        "sequential_id": note.sequential_id,
        "billing_entity_code": None,
        "number": records.credit_note_number(note),
        "lago_invoice_id": note.invoice_id,
        "invoice_number": invoice.number if invoice else None,
        "purchase_order_number": None,
        "issuing_date": note.issuing_date.isoformat(),
        "credit_status": note.credit_status,
        "refund_status": None,
        "reason": note.reason,
        "description": None,
        "currency": note.currency,
        "total_amount_cents": note.total_amount_cents,
        "taxes_amount_cents": note.taxes_amount_cents,
        "taxes_rate": plain_number(note.taxes_rate) if note.taxes_rate is not None else 0,
        "sub_total_excluding_taxes_amount_cents": note.sub_total_excluding_taxes_amount_cents,
        "balance_amount_cents": note.balance_amount_cents,
        "credit_amount_cents": note.credit_amount_cents,
        "refund_amount_cents": 0,
        "offset_amount_cents": 0,
        "coupons_adjustment_amount_cents": 0,
        "self_billed": False,
        "file_url": None,
        "xml_url": None,
        "created_at": iso_z(note.created_at),
        "updated_at": iso_z(note.updated_at),
        "customer": customer_json(customer, records.organization) if customer else None,
        "metadata": {},
        "items": _items(note, records),
        "applied_taxes": ([{**applied_tax_json(invoice, note.taxes_rate, records, note.id, note.taxes_amount_cents),
                            "lago_credit_note_id": note.id,
                            "base_amount_cents": note.sub_total_excluding_taxes_amount_cents}]
                          if invoice is not None and note.taxes_rate is not None else []),
        "error_details": [],
    }

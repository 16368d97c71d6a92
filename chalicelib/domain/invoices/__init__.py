"""Invoices, pure: the fees each subscription contributes (base fee, charge fees, true-ups), the invoice's
totals and taxes, and its number. The biller loads what they read and stores what they give."""
from chalicelib.domain.invoices.charge_fees import StoredUsage
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.numbering import draft_invoice_number, invoice_number
from chalicelib.domain.invoices.shares import SubscriptionShare, periodic_share, starting_share, termination_share
from chalicelib.domain.invoices.totals import InvoiceTotals, fee_taxes_amount_cents, invoice_totals, payment_status

__all__ = ["FeeLine", "InvoiceTotals", "StoredUsage", "SubscriptionShare", "draft_invoice_number",
           "fee_taxes_amount_cents", "invoice_number", "invoice_totals", "payment_status", "periodic_share",
           "starting_share", "termination_share"]

"""Invoice numbers, Lago's per-customer scheme: the customer's slug (`LAG-1A2B-001`) and the customer's
invoice sequence on at least 3 digits, assigned at finalization; a draft shows the organization's
`<prefix>-DRAFT`; a credit note is its invoice's number and `-CN` with its sequence on the invoice."""
from __future__ import annotations


def invoice_number(customer_slug: str, sequence: int) -> str:
    """`LAG-1234-001` and 7 give `LAG-1234-001-007`; 1234 gives `LAG-1234-001-1234`."""
    if sequence < 1:
        raise ValueError("invoice sequences start at 1")
    return f"{customer_slug}-{sequence:03d}"


def draft_invoice_number(document_number_prefix: str) -> str:
    """`LAG-1A2B` gives `LAG-1A2B-DRAFT` (Lago: the billing entity's prefix, not the customer's slug)."""
    return f"{document_number_prefix}-DRAFT"


def credit_note_number(invoice_number_: str, sequence: int) -> str:
    """`LAG-1A2B-001-007` and 1 give `LAG-1A2B-001-007-CN001`."""
    if sequence < 1:
        raise ValueError("credit note sequences start at 1")
    return f"{invoice_number_}-CN{sequence:03d}"

"""Invoice numbers, Lago's per-customer scheme: the customer's slug (`LAG-1A2B-001`) and the customer's
invoice sequence on at least 3 digits, assigned at finalization; a draft shows `<slug>-DRAFT`."""
from __future__ import annotations


def invoice_number(customer_slug: str, sequence: int) -> str:
    """`LAG-1234-001` and 7 give `LAG-1234-001-007`; 1234 gives `LAG-1234-001-1234`."""
    if sequence < 1:
        raise ValueError("invoice sequences start at 1")
    return f"{customer_slug}-{sequence:03d}"


def draft_invoice_number(customer_slug: str) -> str:
    return f"{customer_slug}-DRAFT"

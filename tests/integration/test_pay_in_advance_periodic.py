"""Pay-in-advance charges and the periodic invoice: a metered metric's in-advance charge is never on it (its events
paid for themselves)."""
from __future__ import annotations

from datetime import UTC, datetime

from in_advance_fixtures import (
    drain,
    in_advance_plan,
    invoices_of,
    send,
)

from chalicelib.billing.biller import run_biller


def billed(invoice) -> list[tuple[str, int, str, str]]:
    """(fee type, amount, first and last day billed) of each fee of a periodic or final invoice."""
    return [(fee.fee_type, fee.amount_cents, fee.from_datetime.date().isoformat(),
             fee.to_datetime.date().isoformat()) for fee in invoice.fees]


def test_the_periodic_invoice_leaves_a_metered_in_advance_charge_out(api, tenant, reception, event_stream):
    in_advance_plan(api)
    send(api, "a", {"gb": 10})
    drain(event_stream)
    assert run_biller(datetime(2026, 2, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 1
    in_advance, periodic = invoices_of(tenant.organization_id)
    assert in_advance.fees_amount_cents == 1000
    # January's base fee alone: the 10 gb were paid by their event.
    assert billed(periodic) == [("subscription", 1000, "2026-01-01", "2026-02-01")]


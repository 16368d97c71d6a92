"""Pay-in-advance charges and the periodic invoice: a metered metric's in-advance charge is never on it (its events
paid for themselves); a recurring metric's is renewed at each period start for the units the period carries in,
after which the period's events pay only above them, and not on a terminated subscription's final invoice."""
from __future__ import annotations

from datetime import UTC, datetime

from in_advance_fixtures import (
    drain,
    fees_of,
    in_advance_plan,
    invoices_of,
    send,
)

from chalicelib.wiring import run_biller


def billed(invoice) -> list[tuple[str, int, str, str]]:
    """(fee type, amount, first and last day billed) of each fee of a periodic or final invoice."""
    return [(fee.fee_type, fee.amount_cents, fee.from_datetime.date().isoformat(),
             fee.to_datetime.date().isoformat()) for fee in invoice.fees]


def test_the_periodic_invoice_leaves_a_metered_in_advance_charge_out(api, tenant, api_clock, reception,
                                                                     event_stream):
    in_advance_plan(api)
    send(api, "a", {"gb": 10})
    drain(event_stream)
    assert run_biller(datetime(2026, 2, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 1
    in_advance, periodic = invoices_of(tenant.organization_id)
    assert in_advance.fees_amount_cents == 1000
    # January's base fee alone: the 10 gb were paid by their event.
    assert billed(periodic) == [("subscription", 1000, "2026-01-01", "2026-02-01")]


def test_a_recurring_in_advance_charge_is_renewed_at_each_period_start(api, tenant, api_clock, reception, event_stream):
    in_advance_plan(api, recurring=True)
    send(api, "jan-1", {"gb": 10})
    send(api, "jan-2", {"gb": -4})
    drain(event_stream)
    assert run_biller(datetime(2026, 2, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 1
    # February's invoice: January's base fee, and the 6 gb January ends with, renewed in full for February.
    february = invoices_of(tenant.organization_id)[-1]
    assert billed(february) == [("subscription", 1000, "2026-01-01", "2026-02-01"),
                                ("charge", 600, "2026-02-01", "2026-03-01")]
    assert (february.fees[1].units, february.fees[1].pay_in_advance) == (6, False)
    # In February the mark opens at the 6 carried in: +3 pays 3 (not 9), -5 nothing, +4 (total 8) nothing.
    reception.now = datetime(2026, 2, 10, tzinfo=UTC)
    for transaction_id, gb in (("feb-1", 3), ("feb-2", -5), ("feb-3", 4)):
        send(api, transaction_id, {"gb": gb}, at=datetime(2026, 2, 9, tzinfo=UTC))
    drain(event_stream)
    fees = fees_of(api)
    assert [(fee["event_transaction_id"], fee["units"], fee["amount_cents"], fee["total_aggregated_units"])
            for fee in fees] == [("jan-1", "10.0", 1000, "10.0"), ("jan-2", "0.0", 0, "6.0"),
                                 ("feb-1", "3.0", 300, "9.0"), ("feb-2", "0.0", 0, "4.0"), ("feb-3", "0.0", 0, "8.0")]
    assert {fee["from_date"] for fee in fees[2:]} == {"2026-02-01T00:00:00Z"}
    assert run_biller(datetime(2026, 3, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 1
    assert billed(invoices_of(tenant.organization_id)[-1]) == [("subscription", 1000, "2026-02-01", "2026-03-01"),
                                                              ("charge", 800, "2026-03-01", "2026-04-01")]
    # Terminated on 15 March: the final invoice bills 15 of 31 days of the base fee, and renews nothing.
    api_clock.set(datetime(2026, 3, 15, 12, tzinfo=UTC))
    assert api.delete("/api/v1/subscriptions/sub").status_code == 200
    final = invoices_of(tenant.organization_id)[-1]
    assert final.billing_periods[0].invoicing_reason == "subscription_terminating"
    assert billed(final) == [("subscription", 484, "2026-03-01", "2026-03-15")]  # 1000 x 15 / 31 = 483.87


def test_a_prorated_in_advance_charge_pays_the_days_left_then_renews_in_full(api, tenant, api_clock, reception,
                                                                             event_stream):
    in_advance_plan(api, recurring=True, prorated=True, properties={"amount": "31"})
    send(api, "a", {"gb": 1})  # 10 January
    drain(event_stream)
    # 10 to 31 January: 22 of 31 days of 31 EUR.
    assert [fee["amount_cents"] for fee in fees_of(api)] == [2200]
    assert run_biller(datetime(2026, 2, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 1
    assert billed(invoices_of(tenant.organization_id)[-1]) == [("subscription", 1000, "2026-01-01", "2026-02-01"),
                                                              ("charge", 3100, "2026-02-01", "2026-03-01")]

"""The credit-note rules, pure (lago-semantics §5.3; Lago's CreditNotes::CreateFromTermination and
Credits::CreditNoteService): unused days of a paid window, the amount and its taxes, and which credit notes an
invoice consumes. Every expected amount is worked out in the test."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.credit_notes import (
    CreditNote,
    consumed,
    credits_to_apply,
    termination_credit_note,
    unused_days,
)
from chalicelib.domain.invoices.invoice import AppliedCredit, Invoice, InvoiceFee
from chalicelib.domain.periods import Period

NOVEMBER = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def fee(amount_cents: int, window: Period = NOVEMBER) -> InvoiceFee:
    return InvoiceFee(id="fee", fee_type="subscription", subscription_id="sub", true_up_of_charge=False,
                      units=Decimal(1), total_aggregated_units=Decimal(1), events_count=0, amount_cents=amount_cents,
                      precise_amount_cents=Decimal(amount_cents), precise_unit_amount=Decimal(amount_cents) / 100,
                      from_datetime=window.start, to_datetime=window.end, pay_in_advance=True, taxes_amount_cents=0)


def invoice(taxes_rate: Decimal | None) -> Invoice:
    return Invoice(id="inv", organization_id="org", customer_id="cust", sequential_id=1, number="LAG-1234-001-001",
                   issuing_date=date(2026, 11, 1), payment_status="pending", currency="EUR", fees=[],
                   billing_periods=[], created_at=NOW, updated_at=NOW, fees_amount_cents=0, coupons_amount_cents=0,
                   credit_notes_amount_cents=0, progressive_billing_credit_amount_cents=0,
                   prepaid_credit_amount_cents=0, sub_total_excluding_taxes_amount_cents=0, taxes_amount_cents=0,
                   sub_total_including_taxes_amount_cents=0, total_amount_cents=0, total_due_amount_cents=0,
                   taxes_rate=taxes_rate)


def credit(terminated_at: datetime, *, upgrade: bool = False, amount_cents: int = 3000, plan_amount: int = 3000,
           taxes_rate: Decimal | None = Decimal(20), window: Period = NOVEMBER, timezone: str = "UTC"):
    return termination_credit_note(fee=fee(amount_cents, window), invoice=invoice(taxes_rate),
                                   plan_amount_cents=plan_amount, full_period=NOVEMBER, terminated_at=terminated_at,
                                   upgrade=upgrade, timezone=timezone, sequential_id=1, now=NOW)


def test_the_termination_day_is_used_an_upgrade_day_is_not():
    # Terminated 20 November 10:00: 21..30 unused (10 days); upgraded then: 20..30 (11 days).
    assert unused_days(NOVEMBER, utc(2026, 11, 20, 10), "UTC", upgrade=False) == Period(utc(2026, 11, 21),
                                                                                         NOVEMBER.end)
    assert unused_days(NOVEMBER, utc(2026, 11, 20, 10), "UTC", upgrade=True) == Period(utc(2026, 11, 20),
                                                                                        NOVEMBER.end)
    # On the period's last day nothing is left; an upgrade that day still credits that day.
    assert unused_days(NOVEMBER, utc(2026, 11, 30, 23), "UTC", upgrade=False) is None
    assert unused_days(NOVEMBER, utc(2026, 11, 30, 23), "UTC", upgrade=True) == Period(utc(2026, 11, 30),
                                                                                        NOVEMBER.end)


def test_days_are_the_customers():
    # 20 November 23:30 UTC is the 21st in Tokyo (UTC+9): the unused days start on the 22nd, Tokyo time.
    tokyo = Period(datetime(2026, 10, 31, 15, tzinfo=UTC), datetime(2026, 11, 30, 15, tzinfo=UTC))
    assert unused_days(tokyo, utc(2026, 11, 20, 23, 30), "Asia/Tokyo", upgrade=False) == Period(
        datetime(2026, 11, 21, 15, tzinfo=UTC), tokyo.end)


def test_the_amount_is_the_daily_price_times_the_unused_days_with_the_invoices_taxes():
    note = credit(utc(2026, 11, 20, 10))
    # 3000 / 30 x 10 = 1000; 20 % VAT: 1200.
    assert (note.sub_total_excluding_taxes_amount_cents, note.taxes_amount_cents, note.total_amount_cents,
            note.credit_amount_cents, note.balance_amount_cents) == (1000, 200, 1200, 1200, 1200)
    assert (note.reason, note.credit_status, note.items[0].amount_cents) == ("order_cancellation", "available", 1000)
    upgraded = credit(utc(2026, 11, 20, 10), upgrade=True)
    # 11 days: 3000 / 30 x 11 = 1100, 1320 with VAT.
    assert (upgraded.reason, upgraded.total_amount_cents) == ("order_change", 1320)


def test_the_amount_is_truncated_at_five_decimals_and_rounded_once_with_taxes():
    # 1000 / 30 x 7 = 233.333333... -> 233.33333; 233 without taxes; with 19.6 %: 279.06666... -> 279.
    note = credit(utc(2026, 11, 23, 10), amount_cents=1000, plan_amount=1000, taxes_rate=Decimal("19.6"))
    assert note.items[0].precise_amount_cents == Decimal("233.33333")
    assert (note.sub_total_excluding_taxes_amount_cents, note.total_amount_cents) == (233, 279)
    assert note.taxes_amount_cents == 279 - 233
    # Without a tax rate the total is the amount.
    assert credit(utc(2026, 11, 23, 10), amount_cents=1000, plan_amount=1000, taxes_rate=None).total_amount_cents == 233


def test_never_more_than_the_fee_and_nothing_for_a_free_or_used_window():
    # A first period paid from 16 November (15 days: 1500) terminated the 20th: 10 days of 100 = 1000 <= 1500.
    late_start = Period(utc(2026, 11, 16), NOVEMBER.end)
    assert credit(utc(2026, 11, 20, 10), amount_cents=1500, window=late_start).sub_total_excluding_taxes_amount_cents \
        == 1000
    # A fee lower than the unused days' price (a discounted plan amount since): the fee at most.
    assert credit(utc(2026, 11, 5, 10), amount_cents=500).sub_total_excluding_taxes_amount_cents == 500
    assert credit(utc(2026, 11, 20, 10), amount_cents=0) is None
    assert credit(utc(2026, 11, 30, 10)) is None


def note(note_id: str, balance: int, created_minutes: int, status: str = "available") -> CreditNote:
    created = NOW + timedelta(minutes=created_minutes)
    return CreditNote(id=note_id, organization_id="org", customer_id="cust", invoice_id="inv", subscription_id="sub",
                      sequential_id=1, issuing_date=date(2026, 11, 20), reason="order_cancellation",
                      credit_status=status, currency="EUR", sub_total_excluding_taxes_amount_cents=balance,
                      taxes_amount_cents=0, total_amount_cents=balance, credit_amount_cents=balance,
                      balance_amount_cents=balance, items=[], created_at=created, updated_at=created)


def test_invoices_take_the_oldest_credit_notes_first_up_to_what_they_charge():
    older, newer = note("a", 300, 0), note("b", 500, 5)
    assert credits_to_apply([newer, older], 600, 5) == [AppliedCredit(credit_note_id="a", amount_cents=300),
                                                         AppliedCredit(credit_note_id="b", amount_cents=300)]
    assert credits_to_apply([newer, older], 200, 5) == [AppliedCredit(credit_note_id="a", amount_cents=200)]
    assert credits_to_apply([older], 0, 5) == []
    # Consumed notes and empty balances are passed over; at most `limit` notes are taken.
    assert credits_to_apply([note("c", 0, 1), note("d", 100, 2, "consumed"), newer], 1000, 5) == [
        AppliedCredit(credit_note_id="b", amount_cents=500)]
    many = [note(str(index), 10, index) for index in range(7)]
    assert [applied.credit_note_id for applied in credits_to_apply(many, 1000, 5)] == ["0", "1", "2", "3", "4"]


def test_a_consumed_balance():
    taken = consumed(note("a", 300, 0), 100, NOW)
    assert (taken.balance_amount_cents, taken.credit_status, taken.version) == (200, "available", 2)
    assert consumed(taken, 200, NOW).credit_status == "consumed"
    with pytest.raises(ValueError):
        consumed(taken, 201, NOW)

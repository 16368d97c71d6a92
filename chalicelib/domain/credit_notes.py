"""Credit notes: the paid but unused days of a pay-in-advance base fee, credited when its subscription ends before
the period it paid for (a termination, an upgrade), and consumed by the customer's next finalized invoices.

Lago's rules (CreditNotes::CreateFromTermination, Credits::CreditNoteService; lago-semantics §5.3):
- the unused days run from the day after the termination day (that day was used), or from the upgrade day itself
  (the new plan bills it), to the end of the window the fee paid for, in the customer's timezone;
- their amount is the plan's daily price (amount / days of the full plan period) times those days, truncated at
  5 decimals of a minor unit, never more than the fee itself; taxes at the rate of the fee's invoice;
- invoices consume available credit notes oldest first, after taxes, each up to its balance.
Departures: docs/api-coverage.md (Credit notes)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from pydantic import BaseModel

from chalicelib.domain.invoices.invoice import AppliedCredit, Invoice, InvoiceFee
from chalicelib.domain.money import round_half_up
from chalicelib.domain.periods import Period, day_start, days_in, local_day
from chalicelib.domain.taxes import tax_on

CreditReason = Literal["order_cancellation", "order_change"]
CreditStatus = Literal["available", "consumed"]
_CREDIT_NOTE_NAMESPACE = uuid.UUID("c4e1a9d2-6b3f-4e8a-9d17-2f5b8c0e4a63")
_LAGO_PRECISION = Decimal("0.00001")  # Lago truncates a credited amount at 5 decimals of a minor unit


class CreditNoteItem(BaseModel):
    """The part of one fee the credit note gives back."""

    id: str
    fee_id: str
    amount_cents: int
    precise_amount_cents: Decimal


class CreditNote(BaseModel):
    """A credit note on the invoice that billed the fee (`invoice_id`), numbered after it: its `sequential_id` counts
    the credit notes of that invoice. `balance_amount_cents` is what later invoices may still consume."""

    id: str
    organization_id: str
    customer_id: str
    invoice_id: str
    subscription_id: str
    sequential_id: int
    issuing_date: date
    reason: CreditReason
    credit_status: CreditStatus = "available"
    currency: str
    taxes_rate: Decimal | None = None
    sub_total_excluding_taxes_amount_cents: int
    taxes_amount_cents: int
    total_amount_cents: int
    credit_amount_cents: int
    balance_amount_cents: int
    items: list[CreditNoteItem]
    created_at: datetime
    updated_at: datetime
    version: int = 1


def credit_note_id(fee_id: str) -> str:
    """A fee is credited once (its subscription ends once): the fee names its credit note, so a rerun cannot make
    a second one."""
    return str(uuid.uuid5(_CREDIT_NOTE_NAMESPACE, fee_id))


def unused_days(paid: Period, terminated_at: datetime, timezone: str, *, upgrade: bool) -> Period | None:
    """The part of the window a fee paid for that the subscription will not use: after its termination day, or from
    its upgrade day (None: nothing left)."""
    first_unused_day = local_day(terminated_at, timezone)
    if not upgrade:
        first_unused_day += timedelta(days=1)
    return paid.within(start=day_start(first_unused_day, timezone))


def unused_amount(plan_amount_cents: int, full_period: Period, unused: Period, timezone: str) -> Decimal:
    """The plan's daily price over the full plan period, times the unused days: minor units, truncated at 5
    decimals (Lago's single_day_price x duration, `truncate(5)`)."""
    daily = Decimal(plan_amount_cents) / days_in(full_period, timezone)
    return (daily * days_in(unused, timezone)).quantize(_LAGO_PRECISION, rounding=ROUND_DOWN)


def termination_credit_note(*, fee: InvoiceFee, invoice: Invoice, plan_amount_cents: int, full_period: Period,
                            terminated_at: datetime, upgrade: bool, timezone: str, sequential_id: int,
                            now: datetime) -> CreditNote | None:
    """The credit note for `fee` (a pay-in-advance subscription fee of `invoice`, paying for the plan period
    `full_period` or part of it) when its subscription ends at `terminated_at`; None when nothing is unused or the
    fee was nothing. Its total is the unused amount with the invoice's tax rate, rounded once, half-up."""
    unused = unused_days(Period(fee.from_datetime, fee.to_datetime), terminated_at, timezone, upgrade=upgrade)
    if unused is None or fee.amount_cents <= 0:
        return None
    precise = min(unused_amount(plan_amount_cents, full_period, unused, timezone), Decimal(fee.amount_cents))
    sub_total = round_half_up(precise)
    total = round_half_up(precise + tax_on(precise, invoice.taxes_rate))
    if total <= 0:
        return None
    note = credit_note_id(fee.id)
    return CreditNote(
        id=note, organization_id=invoice.organization_id, customer_id=invoice.customer_id, invoice_id=invoice.id,
        subscription_id=fee.subscription_id, sequential_id=sequential_id, issuing_date=local_day(now, timezone),
        reason="order_change" if upgrade else "order_cancellation", currency=invoice.currency,
        taxes_rate=invoice.taxes_rate, sub_total_excluding_taxes_amount_cents=sub_total,
        taxes_amount_cents=total - sub_total, total_amount_cents=total, credit_amount_cents=total,
        balance_amount_cents=total, created_at=now, updated_at=now,
        items=[CreditNoteItem(id=str(uuid.uuid5(uuid.UUID(note), fee.id)), fee_id=fee.id, amount_cents=sub_total,
                              precise_amount_cents=precise)])


def credits_to_apply(available: Sequence[CreditNote], payable_cents: int, limit: int) -> list[AppliedCredit]:
    """What an invoice charging `payable_cents` (taxes included) takes from the customer's credit notes: the oldest
    first, each up to its balance, until nothing is left to pay; at most `limit` credit notes (the rest wait for
    the next invoice)."""
    applied: list[AppliedCredit] = []
    remaining = payable_cents
    for note in sorted(available, key=lambda note: (note.created_at, note.id)):
        if remaining <= 0 or len(applied) == limit:
            break
        if note.credit_status != "available" or note.balance_amount_cents <= 0:
            continue
        amount = min(note.balance_amount_cents, remaining)
        applied.append(AppliedCredit(credit_note_id=note.id, amount_cents=amount))
        remaining -= amount
    return applied


def consumed(note: CreditNote, amount_cents: int, now: datetime) -> CreditNote:
    """The credit note once an invoice took `amount_cents` of its balance (`consumed` when nothing is left)."""
    if not 0 < amount_cents <= note.balance_amount_cents:
        raise ValueError("an invoice takes a positive amount, at most the balance")
    balance = note.balance_amount_cents - amount_cents
    return note.model_copy(update={"balance_amount_cents": balance,
                                   "credit_status": "consumed" if balance == 0 else "available",
                                   "updated_at": now, "version": note.version + 1})

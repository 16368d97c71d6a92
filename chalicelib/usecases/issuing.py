"""Issuing an invoice: finalized at once (numbered, paying from the customer's credit notes) or, through a grace
period, stored as a draft that is finalized later. The biller, the invoice API and pay-in-advance charges all go
through here, so an invoice is numbered and credited one way (docs/data-model.md, "Invoices")."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from chalicelib.domain.credit_notes import CreditNote, consumed, credits_to_apply
from chalicelib.domain.customers import Customer
from chalicelib.domain.invoices.invoice import Invoice, drafted_invoice, finalized_invoice
from chalicelib.domain.periods import day_start
from chalicelib.usecases.ports import CreditNoteLedger, InvoiceLedger, UnitOfWork

# An invoice's transaction holds 100 actions: the credit notes it consumes (2 actions each at most) are bounded so
# that its subscriptions always fit (docs/data-model.md); the rest of the balance goes to the next invoices.
MAX_CREDIT_NOTES_PER_INVOICE = 5


class InvoiceIssuing:
    """The one way an invoice is numbered and credited, in the ledgers of invoices and credit notes."""

    def __init__(self, invoices: InvoiceLedger, credit_notes: CreditNoteLedger):
        self._invoices = invoices
        self._credit_notes = credit_notes

    def issue(self, unit: UnitOfWork, customer: Customer, draft: Invoice, *, grace_days: int, timezone: str,
              now: datetime, new_credit_notes: Sequence[CreditNote] = ()) -> Invoice:
        """Store `draft` (as `build_invoice` gives it) with what `unit` holds in ONE transaction, committed here:
        as a draft until its issuing date plus `grace_days` when that is positive (finalized then by the biller),
        else finalized now. The `new_credit_notes` are created in the same transaction (a final invoice's unused
        days), and a finalized invoice may consume them at once."""
        draft = draft.model_copy(update={"test_clock_id": customer.test_clock_id})
        if grace_days > 0:
            issuing_date = draft.issuing_date + timedelta(days=grace_days)
            issued = drafted_invoice(draft.model_copy(update={"issuing_date": issuing_date}),
                                     day_start(issuing_date, timezone))
            for note in new_credit_notes:
                self._credit_notes.stage_create(unit, note)
        else:
            issued = self._finalization(unit, customer, draft, draft.issuing_date, new_credit_notes, now)
        self._invoices.stage_issue(unit, issued)
        unit.commit()
        return issued

    def finalize(self, unit: UnitOfWork, customer: Customer, stored: Invoice, draft: Invoice, *,
                 issuing_date: date, now: datetime) -> Invoice:
        """Finalize `draft` (the `stored` draft as read, its fees refreshed) on `issuing_date`, with what `unit`
        holds, in ONE transaction conditioned on `stored` being unchanged, committed here."""
        finalized = self._finalization(unit, customer, draft, issuing_date, (), now)
        self._invoices.stage_finalize(unit, stored, finalized)
        unit.commit()
        return finalized

    def _finalization(self, unit: UnitOfWork, customer: Customer, draft: Invoice, issuing_date: date,
                      new_credit_notes: Sequence[CreditNote], now: datetime) -> Invoice:
        """The invoice numbered next in the customer's sequence and paying from its available credit notes
        (oldest first); their consumption (and the new ones' creation, as the invoice leaves them) staged in
        `unit`."""
        organization_id = customer.organization_id
        available = self._credit_notes.available(organization_id, customer.id)
        credits = credits_to_apply([*available, *new_credit_notes], draft.sub_total_including_taxes_amount_cents,
                                   MAX_CREDIT_NOTES_PER_INVOICE)
        finalized = finalized_invoice(
            draft, sequential_id=self._invoices.last_sequence(organization_id, customer.id) + 1,
            customer_slug=customer.slug, issuing_date=issuing_date, credits=credits, now=now)
        taken = {credit.credit_note_id: credit.amount_cents for credit in credits}
        for note in available:
            if note.id in taken:
                self._credit_notes.stage_consume(unit, note, consumed(note, taken[note.id], now))
        for note in new_credit_notes:
            self._credit_notes.stage_create(unit, consumed(note, taken[note.id], now) if note.id in taken else note)
        return finalized

"""In-memory twins of the billing ports (chalicelib/billing/ports.py, the ledgers of chalicelib/usecases/ports.py):
the invoices with each customer's sequence and the drafts' markers on the biller's due index, the credit notes, the
customers the biller could not bill, and the work queue. They answer and refuse as the adapters do
(chalicelib/store/invoices.py, credit_notes.py, billing_failures.py, chalicelib/billing/work_queue.py), a
transaction's writes staged in an InMemoryUnitOfWork; tests/integration/test_billing_port_contracts.py and
test_data_plane_contracts.py run one suite against both."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fakes.control_plane import DueEntry, InMemoryInvoices
from fakes.outbox import InMemoryOutbox
from fakes.unit_of_work import in_memory

from chalicelib.billing.fanout import continuation_message, work_message
from chalicelib.domain.billing_failures import BillingFailure
from chalicelib.domain.credit_notes import CreditNote
from chalicelib.domain.errors import InvoiceAlreadyIssued
from chalicelib.domain.invoices.draft import Draft
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.test_clocks import TestClock
from chalicelib.domain.webhooks import WebhookType
from chalicelib.store import keys
from chalicelib.usecases.ports import UnitOfWork


class InMemoryBillingFailures:
    """The BillingFailureStore port: one record per customer, by customer id."""

    def __init__(self) -> None:
        self.failures: dict[tuple[str, str], BillingFailure] = {}

    def record(self, organization_id: str, customer_id: str, reason: str, now: datetime) -> None:
        previous = self.failures.get((organization_id, customer_id))
        self.failures[(organization_id, customer_id)] = BillingFailure(
            organization_id, customer_id, (previous.attempts if previous else 0) + 1, reason,
            previous.first_failed_at if previous else now, now)

    def of_organization(self, organization_id: str) -> list[BillingFailure]:
        return [failure for (organization, _), failure in sorted(self.failures.items())
                if organization == organization_id]

    def forget(self, failure: BillingFailure) -> None:
        self.failures.pop((failure.organization_id, failure.customer_id), None)


@dataclass
class _DraftMarker:
    """A draft's marker: when the biller is due to look at it, and the refreshes asked since its last one."""

    due_at: datetime
    on_due_index: bool  # off it for a customer on a test clock
    refresh_requests: int = 0


def _always() -> bool:
    """The condition of an unconditional write."""
    return True


def _list_order(invoice: Invoice) -> str:
    """Where an invoice's list entries sort: a draft as sequence 0 of its issuing date."""
    return keys.list_order(invoice.issuing_date.isoformat(), f"{invoice.sequential_id or 0:010d}", invoice.id)


class InMemoryBillingInvoices(InMemoryInvoices):
    """The control plane's invoices with what billing reads and writes (the InvoiceStore of
    chalicelib/billing/ports.py, the ledger and the drafts' refreshes): each customer's invoice sequence, the drafts'
    markers on the biller's due index, and each issue's or finalization's webhook in the outbox."""

    def __init__(self, outbox: InMemoryOutbox) -> None:
        super().__init__()
        self._outbox = outbox
        self.sequences: dict[tuple[str, str], int] = {}  # (organization, customer) -> its last number's sequence
        self.markers: dict[tuple[str, str, str], _DraftMarker] = {}  # (organization, customer, invoice id)

    # ------------------------------------------------------------------------------------------- reads
    def last_sequence(self, organization_id: str, customer_id: str) -> int:
        return self.sequences.get((organization_id, customer_id), 0)

    def drafts_of(self, organization_id: str, customer_id: str) -> list[Draft]:
        return [Draft(invoice, marker.refresh_requests)
                for (organization, customer, invoice_id), marker in sorted(self.markers.items())
                if (organization, customer) == (organization_id, customer_id)
                and (invoice := self.get(organization_id, invoice_id)) is not None]

    def of_customer_since(self, organization_id: str, customer_id: str, since: str) -> list[Invoice]:
        return self._listed(organization_id, customer_id, (), (), since, None)

    def list_page(self, organization_id: str, page: int, per_page: int, *, customer_id: str | None = None,
                  statuses: Iterable[str] = (), payment_statuses: Iterable[str] = (),
                  issuing_date_from: str | None = None, issuing_date_to: str | None = None) -> list[Invoice]:
        """Newest first (issuing date, number, id), within the issuing dates given (both included)."""
        listed = self._listed(organization_id, customer_id, statuses, payment_statuses, issuing_date_from,
                              issuing_date_to)
        return listed[(page - 1) * per_page:page * per_page]

    def count(self, organization_id: str, *, customer_id: str | None = None, statuses: Iterable[str] = (),
              payment_statuses: Iterable[str] = (), issuing_date_from: str | None = None,
              issuing_date_to: str | None = None) -> int:
        return len(self._listed(organization_id, customer_id, statuses, payment_statuses, issuing_date_from,
                                issuing_date_to))

    def _listed(self, organization_id: str, customer_id: str | None, statuses: Iterable[str],
                payment_statuses: Iterable[str], issuing_date_from: str | None,
                issuing_date_to: str | None) -> list[Invoice]:
        wanted_statuses, wanted_payments = set(statuses), set(payment_statuses)
        low, high = issuing_date_from or "", (issuing_date_to or "9999-12-31") + "$"
        matching = [invoice for (organization, _), invoice in self.stored.items()
                    if organization == organization_id and customer_id in (None, invoice.customer_id)
                    and low <= _list_order(invoice) <= high
                    and (not wanted_statuses or invoice.status in wanted_statuses)
                    and (not wanted_payments or invoice.payment_status in wanted_payments)]
        return sorted(matching, key=_list_order, reverse=True)

    def due_markers(self) -> Iterable[DueEntry]:
        return [(marker.due_at, *key) for key, marker in self.markers.items() if marker.on_due_index]

    # ------------------------------------------------------------------------------------------ writes
    def _put(self, invoice: Invoice) -> None:
        self.stored[(invoice.organization_id, invoice.id)] = invoice

    def _stage_sequence(self, unit: UnitOfWork, invoice: Invoice) -> None:
        """The customer's sequence moved to the invoice's number, on condition that it is still one below."""
        assert invoice.sequential_id is not None  # a finalized invoice is numbered
        key = (invoice.organization_id, invoice.customer_id)
        sequence = invoice.sequential_id
        in_memory(unit).add(lambda: self.sequences.get(key, 0) == sequence - 1,
                            lambda: self.sequences.__setitem__(key, sequence), item=("invoice sequence", *key))

    def stage_issue(self, unit: UnitOfWork, invoice: Invoice) -> None:
        """Refused with InvoiceAlreadyIssued when it exists; a finalized one moves its customer's sequence (else
        StaleWrite), a draft gets its marker due at its `finalize_at`."""
        key = (invoice.organization_id, invoice.id)
        in_memory(unit).add(lambda: key not in self.stored, lambda: self._put(invoice),
                            lambda: InvoiceAlreadyIssued(invoice.id), item=("invoice", *key))
        if invoice.status == "draft":
            assert invoice.finalize_at is not None  # a draft is issued with its finalization
            marker = _DraftMarker(invoice.finalize_at, invoice.test_clock_id is None)
            marked = (invoice.organization_id, invoice.customer_id, invoice.id)
            in_memory(unit).add(_always, lambda: self.markers.__setitem__(marked, marker),
                                item=("draft marker", *marked))
            webhook: WebhookType = "invoice.drafted"
        else:
            self._stage_sequence(unit, invoice)
            webhook = "invoice.created"
        self._outbox.stage_webhook(unit, invoice.organization_id, webhook, invoice.id, invoice.updated_at)

    def stage_finalize(self, unit: UnitOfWork, draft: Invoice, invoice: Invoice) -> None:
        """`draft` as read (same version) replaced by the finalized `invoice`: its marker removed, its customer's
        sequence moved."""
        def as_read() -> bool:
            current = self.get(draft.organization_id, draft.id)
            return current is not None and current.version == draft.version

        marked = (draft.organization_id, draft.customer_id, draft.id)

        def unmarked() -> None:
            self.markers.pop(marked, None)

        in_memory(unit).add(as_read, lambda: self._put(invoice), item=("invoice", draft.organization_id, draft.id))
        in_memory(unit).add(_always, unmarked, item=("draft marker", *marked))
        self._stage_sequence(unit, invoice)
        self._outbox.stage_webhook(unit, invoice.organization_id, "invoice.created", invoice.id, invoice.updated_at)

    def stage_refreshed(self, unit: UnitOfWork, draft: Draft) -> None:
        """The draft's requests cleared, on condition that none came since it was read, and its marker due again
        at its `finalize_at`."""
        invoice = draft.invoice
        key = (invoice.organization_id, invoice.customer_id, invoice.id)

        def as_read() -> bool:
            marker = self.markers.get(key)
            return marker is not None and marker.refresh_requests == draft.refresh_requests

        def refreshed() -> None:
            marker = self.markers[key]
            marker.due_at, marker.refresh_requests = draft.finalize_at, 0

        in_memory(unit).add(as_read, refreshed, item=("draft marker", *key))

    def request_refresh(self, organization_id: str, customer_id: str, invoice_id: str, due_at: datetime) -> bool:
        marker = self.markers.get((organization_id, customer_id, invoice_id))
        if marker is None:
            return False  # finalized since
        marker.due_at, marker.refresh_requests = due_at, marker.refresh_requests + 1
        return True


def _credit_note_order(note: CreditNote) -> str:
    return keys.list_order(note.issuing_date.isoformat(), note.created_at.isoformat(), note.id)


class InMemoryCreditNotes:
    """The CreditNoteStore port and what the API reads: credit notes by id, the available ones' markers, and each
    invoice's credit-note sequence."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], CreditNote] = {}
        self.available_ids: set[tuple[str, str, str]] = set()  # (organization, customer, credit note id)
        self.sequences: dict[tuple[str, str], int] = {}  # (organization, invoice) -> its last credit note's

    # ------------------------------------------------------------------------------------------- reads
    def get(self, organization_id: str, credit_note_id: str) -> CreditNote | None:
        return self.stored.get((organization_id, credit_note_id))

    def get_many(self, organization_id: str, credit_note_ids: list[str]) -> dict[str, CreditNote]:
        return {note_id: note for note_id in credit_note_ids if (note := self.get(organization_id, note_id))}

    def available(self, organization_id: str, customer_id: str) -> list[CreditNote]:
        """By id, as the markers sort (the adapter's order is BatchGetItem's: issuing sorts them itself)."""
        return [note for organization, customer, note_id in sorted(self.available_ids)
                if (organization, customer) == (organization_id, customer_id)
                and (note := self.get(organization_id, note_id)) and note.credit_status == "available"]

    def last_sequence(self, organization_id: str, invoice_id: str) -> int:
        return self.sequences.get((organization_id, invoice_id), 0)

    def list_page(self, organization_id: str, page: int, per_page: int,
                  customer_id: str | None = None) -> list[CreditNote]:
        """Newest first (issuing date, creation, id)."""
        return self._listed(organization_id, customer_id)[(page - 1) * per_page:page * per_page]

    def count(self, organization_id: str, customer_id: str | None = None) -> int:
        return len(self._listed(organization_id, customer_id))

    def _listed(self, organization_id: str, customer_id: str | None) -> list[CreditNote]:
        return sorted((note for (organization, _), note in self.stored.items()
                       if organization == organization_id and customer_id in (None, note.customer_id)),
                      key=_credit_note_order, reverse=True)

    # ------------------------------------------------------------------------------------------ writes
    def _put(self, note: CreditNote) -> None:
        self.stored[(note.organization_id, note.id)] = note
        marker = (note.organization_id, note.customer_id, note.id)
        if note.credit_status == "available":
            self.available_ids.add(marker)
        else:
            self.available_ids.discard(marker)

    def stage_create(self, unit: UnitOfWork, note: CreditNote) -> None:
        """`note` on condition that it does not exist (a fee is credited once) and that its invoice's sequence is
        one below its own (else StaleWrite)."""
        key, counter = (note.organization_id, note.id), (note.organization_id, note.invoice_id)
        in_memory(unit).add(lambda: key not in self.stored, lambda: self._put(note), item=("credit note", *key))
        in_memory(unit).add(lambda: self.sequences.get(counter, 0) == note.sequential_id - 1,
                            lambda: self.sequences.__setitem__(counter, note.sequential_id),
                            item=("credit note sequence", *counter))

    def stage_consume(self, unit: UnitOfWork, previous: CreditNote, note: CreditNote) -> None:
        """`previous` as read (same version) replaced by `note`; its marker goes with the last of its balance."""
        def as_read() -> bool:
            current = self.get(previous.organization_id, previous.id)
            return current is not None and current.version == previous.version

        in_memory(unit).add(as_read, lambda: self._put(note), item=("credit note", note.organization_id, note.id))


class InMemoryWorkQueue:
    """The WorkQueue port: the message bodies it was given, each with its delay, in order."""

    def __init__(self, configured: bool = True) -> None:
        self.configured = configured
        self.messages: list[tuple[str, int]] = []

    def is_configured(self) -> bool:
        return self.configured

    def enqueue(self, customers: list[tuple[str, str]], now: datetime) -> int:
        self.messages.extend((work_message(organization_id, customer_id, now), 0)
                             for organization_id, customer_id in customers)
        return len(customers)

    def queue_continuation(self, clock: TestClock, delay_seconds: int) -> None:
        self.messages.append((continuation_message(clock), delay_seconds))

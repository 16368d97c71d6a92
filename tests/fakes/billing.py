"""In-memory twins of the billing ports that are not a transaction's writes (chalicelib/billing/ports.py,
chalicelib/usage/ports.py): the customers the biller could not bill, the drafts' refresh requests with their place
on the biller's due index, and the work queue. They answer as the adapters do (chalicelib/store/billing_failures.py,
invoices.py, chalicelib/billing/work_queue.py); tests/integration/test_data_plane_contracts.py runs one suite against
both."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fakes.control_plane import DueEntry, InMemoryInvoices

from chalicelib.billing.fanout import continuation_message, work_message
from chalicelib.domain.billing_failures import BillingFailure
from chalicelib.domain.invoices.draft import Draft
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.test_clocks import TestClock


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


class InMemoryDraftInvoices(InMemoryInvoices):
    """The control plane's invoices with the drafts' markers: the DraftRefreshes port and the drafts the biller
    reads. Issuing is a transaction's write, not faked here: `store_draft` stands for issuing a draft."""

    def __init__(self) -> None:
        super().__init__()
        self.markers: dict[tuple[str, str, str], _DraftMarker] = {}  # (organization, customer, invoice id)

    def store_draft(self, invoice: Invoice) -> None:
        """A draft as issuing leaves it: stored, its marker due at its `finalize_at`."""
        assert invoice.status == "draft" and invoice.finalize_at is not None
        self.stored[(invoice.organization_id, invoice.id)] = invoice
        self.markers[(invoice.organization_id, invoice.customer_id, invoice.id)] = _DraftMarker(
            invoice.finalize_at, invoice.test_clock_id is None)

    def request_refresh(self, organization_id: str, customer_id: str, invoice_id: str, due_at: datetime) -> bool:
        marker = self.markers.get((organization_id, customer_id, invoice_id))
        if marker is None:
            return False  # finalized since
        marker.due_at, marker.refresh_requests = due_at, marker.refresh_requests + 1
        return True

    def drafts_of(self, organization_id: str, customer_id: str) -> list[Draft]:
        return [Draft(invoice, marker.refresh_requests)
                for (organization, customer, invoice_id), marker in sorted(self.markers.items())
                if (organization, customer) == (organization_id, customer_id)
                and (invoice := self.get(organization_id, invoice_id)) is not None]

    def due_markers(self) -> Iterable[DueEntry]:
        return [(marker.due_at, *key) for key, marker in self.markers.items() if marker.on_due_index]


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

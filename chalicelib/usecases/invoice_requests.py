"""What each route changing an invoice asks, as one call: the change (its payment status, a void, a draft's refresh
or finalization) and the records the changed invoice shows."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.clock import CustomerClock
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.organizations import Organization
from chalicelib.usecases.billing_documents import Gather, ShownDocument
from chalicelib.usecases.invoices import InvoiceUseCases

# A draft refreshed or finalized at the customer's "now" (billing/drafts.Drafts.refresh_invoice, finalize_invoice).
DraftEdit = Callable[[Organization, str, CustomerClock], Invoice]


@dataclass(frozen=True)
class InvoiceRequests:
    invoices: InvoiceUseCases
    refresh_draft: DraftEdit
    finalize_draft: DraftEdit
    gather: Gather[Invoice]

    def update(self, organization: Organization, invoice_id: str, payload: dict[str, Any],
               clock: CustomerClock) -> ShownDocument[Invoice]:
        return self._shown(organization, self.invoices.update(organization.id, invoice_id, payload, clock))

    def void(self, organization: Organization, invoice_id: str, clock: CustomerClock) -> ShownDocument[Invoice]:
        return self._shown(organization, self.invoices.void(organization.id, invoice_id, clock))

    def refresh(self, organization: Organization, invoice_id: str, clock: CustomerClock) -> ShownDocument[Invoice]:
        return self._shown(organization, self.refresh_draft(organization, invoice_id, clock))

    def finalize(self, organization: Organization, invoice_id: str, clock: CustomerClock) -> ShownDocument[Invoice]:
        return self._shown(organization, self.finalize_draft(organization, invoice_id, clock))

    def _shown(self, organization: Organization, invoice: Invoice) -> ShownDocument[Invoice]:
        return ShownDocument(invoice, self.gather(organization, [invoice]))

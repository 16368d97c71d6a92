"""What a list of invoices shows of the records they name when it shows only their customers (the console's invoices
list): the customers of the page, read in one request whatever the page's size, where `GatherShownRecords` reads
each customer, subscription and plan a page names, as a whole invoice object needs."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.domain.customers import Customer
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.organizations import Organization
from chalicelib.rendering.invoices import InvoiceRecords


class ManyCustomersReader(Protocol):
    def get_many_any(self, organization_id: str, customer_ids: set[str]) -> dict[str, Customer]:
        """The customers of these ids, deleted or not, by id."""


class ListedCustomers:
    """A `Gather` of `ListDocuments` (usecases/billing_documents.py): the page's customers only."""

    def __init__(self, customers: ManyCustomersReader):
        self._customers = customers

    def __call__(self, organization: Organization, invoices: Sequence[Invoice]) -> InvoiceRecords:
        customer_ids = {invoice.customer_id for invoice in invoices}
        found = self._customers.get_many_any(organization.id, customer_ids) if customer_ids else {}
        return InvoiceRecords(organization, customers=dict(found))

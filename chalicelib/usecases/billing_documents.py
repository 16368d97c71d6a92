"""Listing and reading what the biller writes (invoices, pay-in-advance fees, credit notes), each with the records
it shows gathered once per request (shown_records.GatherShownRecords), so the handler only renders."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotFound
from chalicelib.domain.organizations import Organization
from chalicelib.rendering.invoices import InvoiceRecords
from chalicelib.usecases.listing import ListPage, PagedRecords

Document = TypeVar("Document")
Document_co = TypeVar("Document_co", covariant=True)
# The records the documents show: `GatherShownRecords` called with the documents under their kind's keyword.
Gather = Callable[[Organization, Sequence[Document]], InvoiceRecords]


class CustomerFinder(Protocol):
    def find_by_external_id(self, organization_id: str, external_id: str) -> Customer | None: ...


class DocumentReader(Protocol[Document_co]):
    def get(self, organization_id: str, document_id: str) -> Document_co | None: ...


@dataclass(frozen=True)
class DocumentPage(Generic[Document]):
    """A page of documents, how many the whole list holds, and the records they show."""

    documents: Sequence[Document]
    total_count: int
    records: InvoiceRecords


@dataclass(frozen=True)
class ShownDocument(Generic[Document]):
    document: Document
    records: InvoiceRecords


class ListDocuments(Generic[Document]):
    """A page of the documents matching `filters`, newest first, of the customer `external_customer_id` names (none
    of a customer the organization does not have, as Lago)."""

    def __init__(self, customers: CustomerFinder, documents: PagedRecords[Document], gather: Gather[Document]):
        self._customers = customers
        self._page = ListPage(documents)
        self._gather = gather

    def __call__(self, organization: Organization, page: int, per_page: int, external_customer_id: str | None,
                 **filters: Any) -> DocumentPage[Document]:
        customer_id = None
        if external_customer_id is not None:
            customer = self._customers.find_by_external_id(organization.id, external_customer_id)
            if customer is None:
                return DocumentPage((), 0, self._gather(organization, ()))
            customer_id = customer.id
        listed = self._page(organization.id, page, per_page, customer_id=customer_id, **filters)
        return DocumentPage(listed.records, listed.total_count, self._gather(organization, listed.records))


class ReadDocument(Generic[Document]):
    """The document with this lago_id and the records it shows; NotFound(`kind`) when the organization has none."""

    def __init__(self, documents: DocumentReader[Document], gather: Gather[Document], kind: str):
        self._documents = documents
        self._gather = gather
        self._kind = kind

    def __call__(self, organization: Organization, lago_id: str) -> ShownDocument[Document]:
        document = self._documents.get(organization.id, lago_id)
        if document is None:
            raise NotFound(self._kind)
        return ShownDocument(document, self._gather(organization, [document]))

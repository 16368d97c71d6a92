"""Lists and reads of what the biller writes (invoices, credit notes, pay-in-advance fees), each rendered with the
records it names, gathered once per request by its use case (usecases/billing_documents.py). `kind` names it:
`invoices`, `fees` or `credit_notes`, the key of its list."""
from __future__ import annotations

from typing import Any, Callable

from chalice import Response

from chalicelib.api.pagination import ListRequest
from chalicelib.api.serialize import json_response
from chalicelib.control_plane import DocumentKind, document_pages, read_document
from chalicelib.domain.organizations import Organization
from chalicelib.rendering.invoices import InvoiceRecords

Render = Callable[[Any, InvoiceRecords], dict]


def document_page(listing: ListRequest, kind: DocumentKind, render: Render, **filters: Any) -> Response:
    """A page of the documents matching `filters`, newest first, of the customer the query's `external_customer_id`
    names (none of a customer the organization does not have)."""
    page = listing.page
    shown = document_pages(kind)(listing.organization, page.number, page.per_page,
                                 listing.query.get("external_customer_id"), **filters)
    return json_response({kind: [render(document, shown.records) for document in shown.documents],
                          "meta": page.meta(shown.total_count)})


def stored_document(organization: Organization, kind: DocumentKind, lago_id: str, root_key: str,
                    render: Render) -> Response:
    """The document with this lago_id; `<root_key>_not_found` when the organization has none."""
    shown = read_document(kind, root_key)(organization, lago_id)
    return json_response({root_key: render(shown.document, shown.records)})

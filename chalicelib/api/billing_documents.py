"""Lists and reads of what the biller writes (invoices, credit notes, pay-in-advance fees), each rendered with the
records it names, gathered once per request (GatherShownRecords). `plural` names the kind: `invoices`, `fees` or
`credit_notes`, the key of its list and of its records to gather."""
from __future__ import annotations

from typing import Any, Callable

from chalice import Response

from chalicelib.api.pagination import UNKNOWN_CUSTOMER, ListRequest, customer_filter
from chalicelib.api.serialize import json_response
from chalicelib.domain.errors import NotFound
from chalicelib.domain.organizations import Organization
from chalicelib.rendering.invoices import InvoiceRecords
from chalicelib.store.repositories import Repositories, repositories
from chalicelib.usecases.shown_records import GatherShownRecords

Render = Callable[[Any, InvoiceRecords], dict]
StoreOf = Callable[[Repositories], Any]


def document_page(listing: ListRequest, store_of: StoreOf, plural: str, render: Render, **filters: Any) -> Response:
    """A page of the documents matching `filters`, newest first, of the customer the query's `external_customer_id`
    names (none of a customer the organization does not have)."""
    stores = repositories()
    organization_id = listing.organization.id
    customer_id = customer_filter(stores, organization_id, listing.query)
    if customer_id is UNKNOWN_CUSTOMER:
        return json_response({plural: [], "meta": listing.page.meta(0)})
    store = store_of(stores)
    listed = store.list_page(organization_id, listing.page.number, listing.page.per_page, customer_id=customer_id,
                             **filters)
    total_count = store.count(organization_id, customer_id=customer_id, **filters)
    records = GatherShownRecords(stores)(listing.organization, **{plural: listed})
    return json_response({plural: [render(document, records) for document in listed],
                          "meta": listing.page.meta(total_count)})


def document_answer(organization: Organization, plural: str, root_key: str, render: Render,
                    document: Any) -> Response:
    records = GatherShownRecords(repositories())(organization, **{plural: [document]})
    return json_response({root_key: render(document, records)})


def stored_document(organization: Organization, store_of: StoreOf, lago_id: str, plural: str, root_key: str,
                    render: Render) -> Response:
    """The document with this lago_id; `<root_key>_not_found` when the organization has none."""
    document = store_of(repositories()).get(organization.id, lago_id)
    if document is None:
        raise NotFound(root_key)
    return document_answer(organization, plural, root_key, render, document)

"""The console's invoices: the list (pages of 25, newest first, of one customer when its external id is given), an
invoice's page, and a draft's "Refresh" and "Finalize", each through the use case of its API route
(`GET /api/v1/invoices`, `GET /api/v1/invoices/{lago_id}`, `PUT .../refresh`, `PUT .../finalize`)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice import Response
from chalice.app import Request

from chalicelib import wiring
from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.http import console_root, html, page_number, query, redirect
from chalicelib.console.pages import path_segment, render
from chalicelib.control_plane import customer_time, invoice_list_pages, read_document
from chalicelib.domain.clock import utc_now
from chalicelib.domain.errors import NotReadyYet
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.organizations import Organization
from chalicelib.rendering.console_invoices import invoice_page, invoice_rows
from chalicelib.usecases.billing_documents import ShownDocument
from chalicelib.usecases.console_sessions import SignedIn

invoices = ConsoleBlueprint(__name__)
PER_PAGE = 25
NOT_A_DRAFT = "Only a draft invoice can be refreshed or finalized: this one is {status}."
NOT_AGGREGATED_YET = "Usage of this invoice's periods is still being aggregated: try again in a moment."


def invoice_list(request: Request, organization: Organization, external_customer_id: str | None) -> dict[str, Any]:
    """The context of the list partial (`invoice_list.html`): the page the query's `page` names of the
    organization's invoices, newest first, of the customer `external_customer_id` names when given (none of a
    customer it does not have), read by `GET /api/v1/invoices`'s use case with their customers only."""
    page = page_number(request)
    shown = invoice_list_pages()(organization, page, PER_PAGE, external_customer_id)
    return {"invoices": invoice_rows(shown.documents, shown.records), "page": page,
            "has_next": page * PER_PAGE < shown.total_count}


@invoices.signed_in("/invoices", methods=["GET"])
def invoices_page(signed_in: SignedIn) -> Response:
    request = invoices.current_request
    customer = (query(request, "external_customer_id") or "").strip()
    return html(render("invoices.html", root=console_root(request), signed_in=signed_in, customer=customer,
                       list_url=f"{console_root(request)}/invoices",
                       list_query=f"external_customer_id={quote(customer, safe='')}&" if customer else "",
                       **invoice_list(request, signed_in.organization, customer or None)))


def _read(organization: Organization, lago_id: str) -> ShownDocument[Invoice]:
    shown: ShownDocument[Invoice] = read_document("invoices", "invoice")(organization, lago_id)
    return shown


def _invoice_page(signed_in: SignedIn, shown: ShownDocument[Invoice], refusal: str | None = None,
                  status_code: int = 200) -> Response:
    return html(render("invoice.html", root=console_root(invoices.current_request), signed_in=signed_in,
                       invoice=invoice_page(shown.document, shown.records), refusal=refusal),
                status_code=status_code)


@invoices.signed_in("/invoices/{lago_id}", methods=["GET"])
def invoice(signed_in: SignedIn, lago_id: str) -> Response:
    return _invoice_page(signed_in, _read(signed_in.organization, lago_id))


def _draft_edit(signed_in: SignedIn, lago_id: str, finalize: bool) -> Response:
    """The API's refresh or finalization of a draft at the customer's "now"; any other invoice is the page with
    the reason (409), unchanged."""
    organization = signed_in.organization
    shown = _read(organization, lago_id)
    if shown.document.status != "draft":
        return _invoice_page(signed_in, shown, NOT_A_DRAFT.format(status=shown.document.status), status_code=409)
    requests = wiring.invoice_requests()
    clock = customer_time(organization, utc_now())
    try:
        (requests.finalize if finalize else requests.refresh)(organization, lago_id, clock)
    except NotReadyYet:
        return _invoice_page(signed_in, shown, NOT_AGGREGATED_YET, status_code=503)
    return redirect(f"{console_root(invoices.current_request)}/invoices/{path_segment(lago_id)}")


@invoices.signed_in("/invoices/{lago_id}/refresh", methods=["POST"])
def refresh_invoice(signed_in: SignedIn, lago_id: str) -> Response:
    return _draft_edit(signed_in, lago_id, finalize=False)


@invoices.signed_in("/invoices/{lago_id}/finalize", methods=["POST"])
def finalize_invoice(signed_in: SignedIn, lago_id: str) -> Response:
    return _draft_edit(signed_in, lago_id, finalize=True)

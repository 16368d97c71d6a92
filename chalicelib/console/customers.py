"""The console's customers: the list (pages of 25, newest first, or those a search finds) and a customer's page with
its tabs."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.http import console_root, html, query
from chalicelib.console.pages import render
from chalicelib.control_plane import customer_pages, customer_use_cases
from chalicelib.domain.errors import NotFound
from chalicelib.rendering.console import customer_overview
from chalicelib.usecases.console_sessions import SignedIn

customers = ConsoleBlueprint(__name__)
PER_PAGE = 25
TABS = (("overview", "Overview"), ("subscriptions", "Subscriptions"), ("usage", "Usage"), ("invoices", "Invoices"))


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) < 10_000 else 1


@customers.signed_in("/customers", methods=["GET"])
def customer_list(signed_in: SignedIn) -> Response:
    request = customers.current_request
    page = _page_number(query(request, "page"))
    search = (query(request, "q") or "").strip()
    if search:
        found = customer_use_cases().search(signed_in.organization, search, page, PER_PAGE)
        records, has_next = found.records, found.has_more
    else:
        listed = customer_pages()(signed_in.organization.id, page, PER_PAGE)
        records, has_next = list(listed.records), page * PER_PAGE < listed.total_count
    return html(render("customers.html", root=console_root(request), signed_in=signed_in, customers=records,
                       page=page, has_next=has_next, search=search))


def _customer_page(signed_in: SignedIn, external_id: str, tab: str) -> Response:
    request = customers.current_request
    root = console_root(request)
    try:
        customer = customer_use_cases().find(signed_in.organization, external_id)
    except NotFound:
        return html(render("not_found.html", root=root, signed_in=signed_in, what="customer"), status_code=404)
    return html(render("customer.html", root=root, signed_in=signed_in, customer=customer, tabs=TABS, tab=tab,
                       overview=customer_overview(customer, signed_in.organization)))


@customers.signed_in("/customers/{external_id}", methods=["GET"])
def customer_page(signed_in: SignedIn, external_id: str) -> Response:
    return _customer_page(signed_in, external_id, "overview")


@customers.signed_in("/customers/{external_id}/{tab}", methods=["GET"])
def customer_tab(signed_in: SignedIn, external_id: str, tab: str) -> Response:
    if tab not in dict(TABS) or tab == "overview":
        return html(render("not_found.html", root=console_root(customers.current_request), signed_in=signed_in,
                           what="page"), status_code=404)
    return _customer_page(signed_in, external_id, tab)

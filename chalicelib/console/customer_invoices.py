"""A customer's Invoices tab: the invoices list of the Invoices page, of this customer only."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.customer_page import customer_tab
from chalicelib.console.http import console_root
from chalicelib.console.invoices import invoice_list
from chalicelib.console.pages import path_segment
from chalicelib.control_plane import customer_use_cases
from chalicelib.usecases.console_sessions import SignedIn

customer_invoices = ConsoleBlueprint(__name__)


@customer_invoices.signed_in("/customers/{external_id}/invoices", methods=["GET"])
def invoices_tab(signed_in: SignedIn, external_id: str) -> Response:
    request = customer_invoices.current_request
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return customer_tab(request, signed_in, customer, "invoices",
                        list_url=f"{console_root(request)}/customers/{path_segment(external_id)}/invoices",
                        list_query="", **invoice_list(request, signed_in.organization, external_id))

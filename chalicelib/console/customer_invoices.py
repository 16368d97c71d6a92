"""A customer's Invoices tab."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.customer_page import customer_tab
from chalicelib.control_plane import customer_use_cases
from chalicelib.usecases.console_sessions import SignedIn

customer_invoices = ConsoleBlueprint(__name__)


@customer_invoices.signed_in("/customers/{external_id}/invoices", methods=["GET"])
def invoices_tab(signed_in: SignedIn, external_id: str) -> Response:
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return customer_tab(customer_invoices.current_request, signed_in, customer, "invoices")

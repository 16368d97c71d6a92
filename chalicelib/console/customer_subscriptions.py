"""A customer's Subscriptions tab."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.customer_page import customer_tab
from chalicelib.control_plane import customer_use_cases
from chalicelib.usecases.console_sessions import SignedIn

customer_subscriptions = ConsoleBlueprint(__name__)


@customer_subscriptions.signed_in("/customers/{external_id}/subscriptions", methods=["GET"])
def subscriptions_tab(signed_in: SignedIn, external_id: str) -> Response:
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return customer_tab(customer_subscriptions.current_request, signed_in, customer, "subscriptions")

"""The console's invoices pages."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.http import console_root, html
from chalicelib.console.pages import render
from chalicelib.usecases.console_sessions import SignedIn

invoices = ConsoleBlueprint(__name__)


@invoices.signed_in("/invoices", methods=["GET"])
def invoices_page(signed_in: SignedIn) -> Response:
    return html(render("not_built.html", root=console_root(invoices.current_request), signed_in=signed_in,
                       heading="Invoices"))

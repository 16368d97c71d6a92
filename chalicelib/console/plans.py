"""The console's plans pages."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.http import console_root, html
from chalicelib.console.pages import render
from chalicelib.usecases.console_sessions import SignedIn

plans = ConsoleBlueprint(__name__)


@plans.signed_in("/plans", methods=["GET"])
def plans_page(signed_in: SignedIn) -> Response:
    return html(render("not_built.html", root=console_root(plans.current_request), signed_in=signed_in,
                       heading="Plans"))

"""The console's sections that later slices build (billable metrics, plans, invoices): a page that says so."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.http import console_root, html
from chalicelib.console.pages import render
from chalicelib.usecases.console_sessions import SignedIn

sections = ConsoleBlueprint(__name__)


def _not_built(signed_in: SignedIn, heading: str) -> Response:
    return html(render("not_built.html", root=console_root(sections.current_request), signed_in=signed_in,
                       heading=heading))


@sections.signed_in("/billable-metrics", methods=["GET"])
def billable_metrics(signed_in: SignedIn) -> Response:
    return _not_built(signed_in, "Billable metrics")


@sections.signed_in("/plans", methods=["GET"])
def plans(signed_in: SignedIn) -> Response:
    return _not_built(signed_in, "Plans")


@sections.signed_in("/invoices", methods=["GET"])
def invoices(signed_in: SignedIn) -> Response:
    return _not_built(signed_in, "Invoices")

"""The console's billable metrics pages."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.http import console_root, html
from chalicelib.console.pages import render
from chalicelib.usecases.console_sessions import SignedIn

billable_metrics = ConsoleBlueprint(__name__)


@billable_metrics.signed_in("/billable-metrics", methods=["GET"])
def billable_metrics_page(signed_in: SignedIn) -> Response:
    return html(render("not_built.html", root=console_root(billable_metrics.current_request), signed_in=signed_in,
                       heading="Billable metrics"))

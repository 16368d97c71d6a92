"""The console's static assets (the vendored htmx and the stylesheet), cached for a year: their URLs carry a
version (htmx's in its name, the stylesheet's digest in `?v=`)."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.http import html
from chalicelib.console.pages import ASSETS, STATIC

assets = ConsoleBlueprint(__name__)
YEAR_SECONDS = 365 * 24 * 3600


@assets.public("/static/{name}", methods=["GET"])
def asset(name: str) -> Response:
    if name not in ASSETS:
        return html("<!doctype html><title>Not found</title><p>Not found.</p>", status_code=404)
    return Response(body=(STATIC / name).read_text(), status_code=200, headers={
        "Content-Type": ASSETS[name], "Cache-Control": f"public, max-age={YEAR_SECONDS}, immutable"})

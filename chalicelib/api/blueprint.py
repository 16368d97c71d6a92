"""The Blueprint of every resource: its views answer the project's refusals in Lago's shape.

Chalice answers any exception a view raises with its own 500 before the middleware sees it (only
`ChaliceUnhandledError` gets through), so each view is wrapped when it is registered."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.errors import answering_refusals


class ApiBlueprint(Blueprint):
    def route(self, path: str, **kwargs):
        register = super().route(path, **kwargs)
        return lambda view: register(answering_refusals(view))

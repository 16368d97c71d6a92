"""`/api/v1/test_clocks`: create, list, read, advance and delete test clocks (docs/test-clocks.md). Lago has none;
they are Stripe's, on Lago-shaped endpoints."""
from __future__ import annotations

import time

from chalice import Response

from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import parse_json
from chalicelib.api.record_routes import RecordRoutes
from chalicelib.control_plane import test_clock_pages, test_clock_use_cases
from chalicelib.domain.clock import utc_now
from chalicelib.rendering.resources import test_clock_json
from chalicelib.wiring import advance_test_clock

test_clocks = ApiBlueprint(__name__)
# What an advance runs inside its request: API Gateway cuts a request at 29 s; the worker goes on with the rest.
ADVANCE_BUDGET_SECONDS = 20

routes = RecordRoutes(test_clocks, "/api/v1/test_clocks", "lago_id", "test_clock", "test_clocks", test_clock_json,
                      test_clock_use_cases, test_clock_pages)
routes.serve("list", "read", "delete")


@test_clocks.route("/api/v1/test_clocks", methods=["POST"])
def create_test_clock() -> Response:
    """Created at the request's time, frozen at the time the body names."""
    organization = routes.organization()
    return routes.answer(test_clock_use_cases().create(organization, routes.body(), utc_now()))


@test_clocks.route("/api/v1/test_clocks/{lago_id}/advance", methods=["POST"])
def advance(lago_id: str) -> Response:
    organization = routes.organization()
    deadline = time.monotonic() + ADVANCE_BUDGET_SECONDS
    payload = parse_json(test_clocks.current_request.raw_body)
    return routes.answer(advance_test_clock(organization, lago_id, payload, lambda: time.monotonic() < deadline))

"""`/api/v1/test_clocks`: create, list, read, advance and delete test clocks (docs/test-clocks.md). Lago has none;
they are Stripe's, on Lago-shaped endpoints."""
from __future__ import annotations

import time

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import parse_json, root_object
from chalicelib.api.pagination import paged_list
from chalicelib.api.serialize import json_response
from chalicelib.billing.clock_advance import advance_test_clock
from chalicelib.control_plane import test_clock_use_cases
from chalicelib.domain.clock import utc_now
from chalicelib.rendering.resources import test_clock_json
from chalicelib.store.repositories import repositories

test_clocks = ApiBlueprint(__name__)
# What an advance runs inside its request: API Gateway cuts a request at 29 s; the worker goes on with the rest.
ADVANCE_BUDGET_SECONDS = 20


def _one(clock):
    return json_response({"test_clock": test_clock_json(clock)})


@test_clocks.route("/api/v1/test_clocks", methods=["POST"])
def create_test_clock():
    request = test_clocks.current_request
    organization = current_organization(request)
    return _one(test_clock_use_cases().create(organization, root_object(request.raw_body, "test_clock"), utc_now()))


@test_clocks.route("/api/v1/test_clocks", methods=["GET"])
def list_test_clocks():
    request = test_clocks.current_request
    organization = current_organization(request)
    return paged_list(request.query_params, repositories().test_clocks, organization.id, "test_clocks",
                      test_clock_json)


@test_clocks.route("/api/v1/test_clocks/{lago_id}", methods=["GET"])
def get_test_clock(lago_id):
    organization = current_organization(test_clocks.current_request)
    return _one(test_clock_use_cases().find(organization, lago_id))


@test_clocks.route("/api/v1/test_clocks/{lago_id}/advance", methods=["POST"])
def advance(lago_id):
    request = test_clocks.current_request
    organization = current_organization(request)
    deadline = time.monotonic() + ADVANCE_BUDGET_SECONDS
    return _one(advance_test_clock(repositories(), organization, lago_id, parse_json(request.raw_body),
                                   lambda: time.monotonic() < deadline))


@test_clocks.route("/api/v1/test_clocks/{lago_id}", methods=["DELETE"])
def delete_test_clock(lago_id):
    organization = current_organization(test_clocks.current_request)
    return _one(test_clock_use_cases().delete(organization, lago_id))

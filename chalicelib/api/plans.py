"""`/api/v1/plans`: create, list, read, update and delete, by code; charges embedded."""
from __future__ import annotations

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import root_object
from chalicelib.api.pagination import paged_list
from chalicelib.api.serialize import json_response
from chalicelib.control_plane import plan_use_cases
from chalicelib.rendering.resources import plan_json
from chalicelib.store.repositories import repositories

plans = ApiBlueprint(__name__)
ROOT_KEY = "plan"


def _one(plan):
    return json_response({ROOT_KEY: plan_json(plan)})


@plans.route("/api/v1/plans", methods=["POST"])
def create_plan():
    request = plans.current_request
    organization = current_organization(request)
    return _one(plan_use_cases().create(organization, root_object(request.raw_body, ROOT_KEY)))


@plans.route("/api/v1/plans", methods=["GET"])
def list_plans():
    request = plans.current_request
    organization = current_organization(request)
    return paged_list(request.query_params, repositories().plans, organization.id, "plans", plan_json)


@plans.route("/api/v1/plans/{code}", methods=["GET"])
def get_plan(code):
    organization = current_organization(plans.current_request)
    return _one(plan_use_cases().find(organization, code))


@plans.route("/api/v1/plans/{code}", methods=["PUT"])
def update_plan(code):
    request = plans.current_request
    organization = current_organization(request)
    return _one(plan_use_cases().update(organization, code, root_object(request.raw_body, ROOT_KEY)))


@plans.route("/api/v1/plans/{code}", methods=["DELETE"])
def delete_plan(code):
    organization = current_organization(plans.current_request)
    return _one(plan_use_cases().delete(organization, code))

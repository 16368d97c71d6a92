"""`/api/v1/billable_metrics`: create, list, read, update and delete, by code."""
from __future__ import annotations

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import root_object
from chalicelib.api.pagination import paged_list
from chalicelib.api.serialize import json_response
from chalicelib.control_plane import billable_metric_use_cases
from chalicelib.rendering.resources import billable_metric_json
from chalicelib.store.repositories import repositories

billable_metrics = ApiBlueprint(__name__)
ROOT_KEY = "billable_metric"


def _one(metric):
    return json_response({ROOT_KEY: billable_metric_json(metric)})


@billable_metrics.route("/api/v1/billable_metrics", methods=["POST"])
def create_billable_metric():
    request = billable_metrics.current_request
    organization = current_organization(request)
    return _one(billable_metric_use_cases().create(organization, root_object(request.raw_body, ROOT_KEY)))


@billable_metrics.route("/api/v1/billable_metrics", methods=["GET"])
def list_billable_metrics():
    request = billable_metrics.current_request
    organization = current_organization(request)
    return paged_list(request.query_params, repositories().billable_metrics, organization.id, "billable_metrics",
                      billable_metric_json)


@billable_metrics.route("/api/v1/billable_metrics/{code}", methods=["GET"])
def get_billable_metric(code):
    organization = current_organization(billable_metrics.current_request)
    return _one(billable_metric_use_cases().find(organization, code))


@billable_metrics.route("/api/v1/billable_metrics/{code}", methods=["PUT"])
def update_billable_metric(code):
    request = billable_metrics.current_request
    organization = current_organization(request)
    return _one(billable_metric_use_cases().update(organization, code, root_object(request.raw_body, ROOT_KEY)))


@billable_metrics.route("/api/v1/billable_metrics/{code}", methods=["DELETE"])
def delete_billable_metric(code):
    organization = current_organization(billable_metrics.current_request)
    return _one(billable_metric_use_cases().delete(organization, code))

"""`/api/v1/customers`: create-or-update, list, read, update (extension) and delete."""
from __future__ import annotations

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import root_object
from chalicelib.api.pagination import paged_list
from chalicelib.api.request_time import customer_time
from chalicelib.api.serialize import json_response
from chalicelib.control_plane import customer_use_cases
from chalicelib.domain.clock import utc_now
from chalicelib.rendering.resources import customer_json
from chalicelib.store.repositories import repositories

customers = ApiBlueprint(__name__)


def _one(customer, organization):
    return json_response({"customer": customer_json(customer, organization)})


@customers.route("/api/v1/customers", methods=["POST"])
def create_or_update_customer():
    request = customers.current_request
    organization = current_organization(request)
    customer = customer_use_cases().upsert(organization, root_object(request.raw_body, "customer"),
                                           customer_time(organization, utc_now()))
    return _one(customer, organization)


@customers.route("/api/v1/customers", methods=["GET"])
def list_customers():
    request = customers.current_request
    organization = current_organization(request)
    return paged_list(request.query_params, repositories().customers, organization.id, "customers",
                      lambda customer: customer_json(customer, organization))


@customers.route("/api/v1/customers/{external_id}", methods=["GET"])
def get_customer(external_id):
    organization = current_organization(customers.current_request)
    return _one(customer_use_cases().find(organization, external_id), organization)


@customers.route("/api/v1/customers/{external_id}", methods=["PUT"])
def update_customer(external_id):
    request = customers.current_request
    organization = current_organization(request)
    customer = customer_use_cases().update(organization, external_id, root_object(request.raw_body, "customer"),
                                           customer_time(organization, utc_now()))
    return _one(customer, organization)


@customers.route("/api/v1/customers/{external_id}", methods=["DELETE"])
def delete_customer(external_id):
    organization = current_organization(customers.current_request)
    return _one(customer_use_cases().delete(organization, external_id), organization)

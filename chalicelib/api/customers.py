"""`/api/v1/customers`: create-or-update, list, read, update (extension) and delete."""
from __future__ import annotations

from chalice import Response

from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.record_routes import RecordRoutes
from chalicelib.control_plane import customer_pages, customer_time, customer_use_cases
from chalicelib.domain.clock import utc_now
from chalicelib.domain.customers import Customer
from chalicelib.rendering.resources import customer_json

customers = ApiBlueprint(__name__)


def _customer_json(customer: Customer) -> dict:
    """The customer in the request's organization: its applicable timezone and taxes fall back on the organization's."""
    return customer_json(customer, routes.organization())


routes = RecordRoutes(customers, "/api/v1/customers", "external_id", "customer", "customers", _customer_json,
                      customer_use_cases, customer_pages)


@customers.route("/api/v1/customers", methods=["POST"])
def create_or_update_customer() -> Response:
    organization = routes.organization()
    return routes.answer(customer_use_cases().upsert(organization, routes.body(),
                                                     customer_time(organization, utc_now())))


routes.serve("list", "read")


@customers.route("/api/v1/customers/{external_id}", methods=["PUT"])
def update_customer(external_id: str) -> Response:
    """Not Lago's: the fields sent, `external_id` included, changed at the customer's "now"."""
    organization = routes.organization()
    return routes.answer(customer_use_cases().update(organization, external_id, routes.body(),
                                                     customer_time(organization, utc_now())))


routes.serve("delete")

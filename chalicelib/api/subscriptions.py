"""`/api/v1/subscriptions`: create (idempotent per external id and plan), list, read, update, and
terminate or cancel. A change that makes an invoice due (a pay-in-advance plan starting, a termination) bills
the customer at once, as Lago does; what cannot be billed yet (usage still being aggregated) the biller does."""
from __future__ import annotations

from chalice import Response
from chalice.app import MultiDict, Request

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import root_object
from chalicelib.api.pagination import list_request
from chalicelib.api.serialize import json_response
from chalicelib.control_plane import customer_time
from chalicelib.domain.clock import utc_now
from chalicelib.domain.organizations import Organization
from chalicelib.domain.subscriptions import CURRENT_STATUSES, STATUSES, status_from_query, statuses_from_query
from chalicelib.rendering.resources import subscription_json
from chalicelib.usecases.customer_time import CustomerTime
from chalicelib.usecases.subscription_requests import ShownSubscription
from chalicelib.wiring import subscription_requests

subscriptions = ApiBlueprint(__name__)
ROOT_KEY = "subscription"


def _one(answer: ShownSubscription) -> Response:
    shown = answer.shown
    return json_response({ROOT_KEY: subscription_json(shown.subscription, shown.customer, shown.plan,
                                                      with_plan=True, plan_codes=answer.plan_codes)})


def _now(organization: Organization) -> CustomerTime:
    """The organization's customers' "now": the request's time, or their test clock's."""
    return customer_time(organization, utc_now())


def _query(request: Request) -> MultiDict | dict[str, str]:
    return request.query_params or {}


def _values(query: MultiDict | dict[str, str], name: str) -> list[str]:
    """Every value of a repeated query key (`status[]=a&status[]=b`); Chalice's `get` keeps only the last."""
    return query.getlist(name) if name in query else []


def _status(request: Request, allowed: tuple[str, ...] = STATUSES) -> str:
    return status_from_query(_query(request).get("status"), allowed)


@subscriptions.route("/api/v1/subscriptions", methods=["POST"])
def create_subscription():
    request = subscriptions.current_request
    organization = current_organization(request)
    clock = _now(organization)
    return _one(subscription_requests().create(organization, root_object(request.raw_body, ROOT_KEY), clock))


@subscriptions.route("/api/v1/subscriptions", methods=["GET"])
def list_subscriptions():
    listing = list_request(subscriptions.current_request)
    query, page = listing.query, listing.page
    statuses = statuses_from_query(_values(query, "status[]") + _values(query, "status"))
    listed = subscription_requests().list(
        listing.organization, statuses, page.number, page.per_page,
        external_customer_id=query.get("external_customer_id"), plan_code=query.get("plan_code"))
    return json_response({
        "subscriptions": [subscription_json(shown.subscription, shown.customer, shown.plan,
                                            plan_codes=listed.plan_codes)
                          for shown in listed.subscriptions],
        "meta": page.meta(listed.total_count)})


@subscriptions.route("/api/v1/subscriptions/{external_id}", methods=["GET"])
def get_subscription(external_id: str):
    request = subscriptions.current_request
    organization = current_organization(request)
    return _one(subscription_requests().find(organization, external_id, _status(request)))


@subscriptions.route("/api/v1/subscriptions/{external_id}", methods=["PUT"])
def update_subscription(external_id: str):
    request = subscriptions.current_request
    status = _status(request, CURRENT_STATUSES)
    organization = current_organization(request)
    clock = _now(organization)
    return _one(subscription_requests().update(organization, external_id, status,
                                               root_object(request.raw_body, ROOT_KEY), clock))


@subscriptions.route("/api/v1/subscriptions/{external_id}", methods=["DELETE"])
def terminate_subscription(external_id: str):
    request = subscriptions.current_request
    status = _status(request, CURRENT_STATUSES)
    organization = current_organization(request)
    return _one(subscription_requests().end(organization, external_id, status, _now(organization)))

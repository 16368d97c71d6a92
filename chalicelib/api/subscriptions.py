"""`/api/v1/subscriptions`: create (idempotent per external id and plan), list, read, update, and
terminate or cancel. A change that makes an invoice due (a pay-in-advance plan starting, a termination) bills
the customer at once, as Lago does; what cannot be billed yet (usage still being aggregated) the biller does."""
from __future__ import annotations

from typing import Callable

from chalice import Response
from chalice.app import MultiDict, Request

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import root_object
from chalicelib.api.pagination import list_request
from chalicelib.api.request_time import customer_time
from chalicelib.api.serialize import json_response
from chalicelib.billing.customer_billing import bill_customer_now
from chalicelib.control_plane import subscription_use_cases
from chalicelib.domain.clock import utc_now
from chalicelib.domain.organizations import Organization
from chalicelib.domain.subscriptions import CURRENT_STATUSES, STATUSES, status_from_query, statuses_from_query
from chalicelib.domain.test_clocks import CustomerTime
from chalicelib.rendering.resources import subscription_json
from chalicelib.store.repositories import repositories
from chalicelib.usecases.shown_records import plan_codes
from chalicelib.usecases.subscriptions import Shown

subscriptions = ApiBlueprint(__name__)
ROOT_KEY = "subscription"


def _billed_change(change: Callable[[Organization, CustomerTime], Shown]) -> Response:
    """The change made at the customer's "now", and what it made due by then billed at once (a starting or a final
    invoice): never history."""
    organization = current_organization(subscriptions.current_request)
    clock = customer_time(organization, utc_now())
    shown = change(organization, clock)
    subscription = shown.subscription
    bill_customer_now(repositories(), subscription.organization_id, subscription.customer_id,
                      clock.now_for(subscription.test_clock_id))
    return _one(shown)


def _one(shown: Shown, with_plan: bool = True):
    codes = plan_codes(repositories().plans, shown.subscription.organization_id, [shown.subscription])
    return json_response({ROOT_KEY: subscription_json(shown.subscription, shown.customer, shown.plan,
                                                      with_plan=with_plan, plan_codes=codes)})


def _query(request: Request) -> MultiDict | dict[str, str]:
    return request.query_params or {}


def _values(query: MultiDict | dict[str, str], name: str) -> list[str]:
    """Every value of a repeated query key (`status[]=a&status[]=b`); Chalice's `get` keeps only the last."""
    return query.getlist(name) if name in query else []


def _status(request: Request, allowed: tuple[str, ...] = STATUSES) -> str:
    return status_from_query(_query(request).get("status"), allowed)


@subscriptions.route("/api/v1/subscriptions", methods=["POST"])
def create_subscription():
    body = subscriptions.current_request.raw_body
    return _billed_change(lambda organization, clock: subscription_use_cases().create(
        organization, root_object(body, ROOT_KEY), clock))


@subscriptions.route("/api/v1/subscriptions", methods=["GET"])
def list_subscriptions():
    listing = list_request(subscriptions.current_request)
    query, page = listing.query, listing.page
    statuses = statuses_from_query(_values(query, "status[]") + _values(query, "status"))
    listed = subscription_use_cases().list(
        listing.organization, statuses, page.number, page.per_page,
        external_customer_id=query.get("external_customer_id"), plan_code=query.get("plan_code"))
    codes = plan_codes(repositories().plans, listing.organization.id,
                       [shown.subscription for shown in listed.subscriptions])
    return json_response({
        "subscriptions": [subscription_json(shown.subscription, shown.customer, shown.plan, plan_codes=codes)
                          for shown in listed.subscriptions],
        "meta": page.meta(listed.total_count)})


@subscriptions.route("/api/v1/subscriptions/{external_id}", methods=["GET"])
def get_subscription(external_id: str):
    request = subscriptions.current_request
    organization = current_organization(request)
    return _one(subscription_use_cases().find(organization, external_id, _status(request)))


@subscriptions.route("/api/v1/subscriptions/{external_id}", methods=["PUT"])
def update_subscription(external_id: str):
    request = subscriptions.current_request
    status = _status(request, CURRENT_STATUSES)
    return _billed_change(lambda organization, clock: subscription_use_cases().update(
        organization, external_id, status, root_object(request.raw_body, ROOT_KEY), clock))


@subscriptions.route("/api/v1/subscriptions/{external_id}", methods=["DELETE"])
def terminate_subscription(external_id: str):
    status = _status(subscriptions.current_request, CURRENT_STATUSES)
    return _billed_change(lambda organization, clock: subscription_use_cases().end(
        organization, external_id, status, clock))

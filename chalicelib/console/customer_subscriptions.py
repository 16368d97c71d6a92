"""A customer's Subscriptions tab: its subscriptions, "Assign plan", and on each active one "Change plan" and
"Terminate". Every read and write is the call the `/api/v1/subscriptions` routes make
(`wiring.subscription_requests`, at the customer's "now": `customer_time` of the request's time), so the console
and the API never differ: a plan change is `POST /api/v1/subscriptions` with the subscription's external id and
another plan code, the subscription use case deciding upgrade (now) or downgrade (at the period's end)."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.customer_page import customer_tab
from chalicelib.console.http import console_root, form, html, query, redirect
from chalicelib.console.pages import path_segment, render
from chalicelib.console.subscription_form import (
    ASSIGN_FIELDS,
    BILLING_TIMES,
    SubscriptionForm,
    assignment_payload,
    empty_assignment,
    plan_change_payload,
    posted,
    refusal_details,
    with_errors,
)
from chalicelib.control_plane import IDS, customer_time, customer_use_cases, plan_pages
from chalicelib.domain.clock import utc_now
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.rendering.console_subscriptions import plan_choices, subscription_row
from chalicelib.usecases.console_sessions import SignedIn
from chalicelib.usecases.subscriptions import Shown
from chalicelib.wiring import subscription_requests

customer_subscriptions = ConsoleBlueprint(__name__)
# What the tab lists, newest first: current ones and those ended (a customer has few; Lago's page lists them all).
SHOWN_STATUSES = ("active", "pending", "terminated")
MAX_SUBSCRIPTIONS = 100
MAX_PLANS = 100  # the plans the selects offer: the newest 100
NOTICES = {
    "assigned": "The plan is assigned.",
    "upgraded": "Upgraded: the new plan took effect now.",
    "downgraded": "Downgrade scheduled: the new plan takes effect at the end of the current period.",
    "unchanged": "The subscription is already on this plan: nothing changed.",
    "terminated": "The subscription is terminated.",
}


def _tab_path(customer: Customer) -> str:
    return f"{console_root(customer_subscriptions.current_request)}/customers/{path_segment(customer.external_id)}" \
           "/subscriptions"


def _tab(signed_in: SignedIn, customer: Customer, assignment: SubscriptionForm,
         change: tuple[str, SubscriptionForm] | None = None, status_code: int = 200) -> Response:
    """The tab; `change`: a refused plan change, by the id of the subscription whose form shows it."""
    organization = signed_in.organization
    listed = subscription_requests().list(organization, SHOWN_STATUSES, 1, MAX_SUBSCRIPTIONS, customer.external_id,
                                          None)
    plans = list(plan_pages()(organization.id, 1, MAX_PLANS).records)
    timezone = customer.applicable_timezone(organization.timezone)
    rows = [subscription_row(shown.subscription, shown.plan, timezone, plans, listed.plan_codes)
            for shown in listed.subscriptions]
    notice = NOTICES.get(query(customer_subscriptions.current_request, "done") or "")
    return customer_tab(customer_subscriptions.current_request, signed_in, customer, "subscriptions",
                        status_code=status_code, rows=rows, plans=plan_choices(plans), assignment=assignment,
                        assign_fields=dict(ASSIGN_FIELDS), billing_times=BILLING_TIMES, change=change,
                        notice=notice, tab_path=_tab_path(customer))


def _done(customer: Customer, what: str) -> Response:
    return redirect(f"{_tab_path(customer)}?done={what}")


@customer_subscriptions.signed_in("/customers/{external_id}/subscriptions", methods=["GET"])
def subscriptions_tab(signed_in: SignedIn, external_id: str) -> Response:
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return _tab(signed_in, customer, empty_assignment())


@customer_subscriptions.signed_in("/customers/{external_id}/subscriptions", methods=["POST"])
def assign_plan(signed_in: SignedIn, external_id: str) -> Response:
    """"Assign plan": `POST /api/v1/subscriptions` for this customer; an empty External ID gets a new id (Lago's
    console derives one too). Refused, nothing is written and the errors show next to their fields."""
    organization = signed_in.organization
    customer = customer_use_cases().find(organization, external_id)
    assignment = posted(form(customer_subscriptions.current_request), tuple(name for name, _ in ASSIGN_FIELDS))
    payload = assignment_payload(assignment, customer.external_id, IDS.new_id())
    try:
        subscription_requests().create(organization, payload, customer_time(organization, utc_now()))
    except (ValidationFailed, NotFound) as refused:
        if isinstance(refused, NotFound) and refused.resource != "plan":
            raise
        return _tab(signed_in, customer, with_errors(assignment, refusal_details(refused)), status_code=422)
    return _done(customer, "assigned")


def _active_of(signed_in: SignedIn, customer: Customer, subscription_id: str) -> Shown:
    """The customer's active subscription `subscription_id` (an external id); another customer's is not found."""
    shown = subscription_requests().find(signed_in.organization, subscription_id, "active").shown
    if shown.customer.id != customer.id:
        raise NotFound("subscription")
    return shown


@customer_subscriptions.signed_in("/customers/{external_id}/subscriptions/{subscription_id}/plan",
                                  methods=["POST"])
def change_plan(signed_in: SignedIn, external_id: str, subscription_id: str) -> Response:
    """"Change plan": what `POST /api/v1/subscriptions` with the subscription's external id and the chosen plan does:
    an upgrade ends it now for a new subscription, a downgrade is scheduled for the end of the period."""
    organization = signed_in.organization
    customer = customer_use_cases().find(organization, external_id)
    current = _active_of(signed_in, customer, subscription_id).subscription
    chosen = posted(form(customer_subscriptions.current_request), ("plan_code",))
    payload = plan_change_payload(chosen.values["plan_code"], customer.external_id, current.external_id)
    try:
        answer = subscription_requests().create(organization, payload, customer_time(organization, utc_now()))
    except (ValidationFailed, NotFound) as refused:
        if isinstance(refused, NotFound) and refused.resource != "plan":
            raise
        return _tab(signed_in, customer, empty_assignment(),
                    change=(current.id, with_errors(chosen, refusal_details(refused))), status_code=422)
    changed = answer.shown.subscription
    if changed.id != current.id:
        return _done(customer, "upgraded")
    return _done(customer, "downgraded" if changed.next_plan_id != current.next_plan_id
                 or changed.version != current.version else "unchanged")


def _termination_page(signed_in: SignedIn, customer: Customer, shown: Shown) -> Response:
    request = customer_subscriptions.current_request
    return html(render("customer_subscription_terminate.html", root=console_root(request), signed_in=signed_in,
                       customer=customer, subscription=shown.subscription, plan=shown.plan,
                       tab_path=_tab_path(customer)))


@customer_subscriptions.signed_in("/customers/{external_id}/subscriptions/{subscription_id}/terminate",
                                  methods=["GET"])
def confirm_termination(signed_in: SignedIn, external_id: str, subscription_id: str) -> Response:
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return _termination_page(signed_in, customer, _active_of(signed_in, customer, subscription_id))


@customer_subscriptions.signed_in("/customers/{external_id}/subscriptions/{subscription_id}/terminate",
                                  methods=["POST"])
def terminate(signed_in: SignedIn, external_id: str, subscription_id: str) -> Response:
    """"Terminate subscription": `DELETE /api/v1/subscriptions/{external_id}` (the active one, now)."""
    organization = signed_in.organization
    customer = customer_use_cases().find(organization, external_id)
    current = _active_of(signed_in, customer, subscription_id).subscription
    subscription_requests().end(organization, current.external_id, "active", customer_time(organization, utc_now()))
    return _done(customer, "terminated")

"""The console's plans: the list (pages of 25, newest first, through the page reader of `GET /api/v1/plans`), the
"New plan" form with its charges added and removed in place, and a plan's page. The plan is created by the use
case of `POST /api/v1/plans`, from the same payload."""
from __future__ import annotations

import re

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.http import console_root, form, html, page_number, redirect
from chalicelib.console.pages import path_segment, render
from chalicelib.console.plan_form import (
    CHARGE_MODELS,
    FIELDS,
    INTERVALS,
    MODEL_FIELDS,
    RANGE_FIELDS,
    RANGE_MODELS,
    RANGE_ROWS,
    PlanForm,
    blank,
    creation_payload,
    posted,
    with_charge_added,
    with_errors,
    without_charge,
    words,
)
from chalicelib.control_plane import billable_metric_pages, plan_pages, plan_use_cases
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.organizations import Organization
from chalicelib.rendering.console_plans import plan_row, plan_view
from chalicelib.usecases.console_sessions import SignedIn

plans = ConsoleBlueprint(__name__)
PER_PAGE = 25
# The metrics a charge can be on (the form's select, the names on a plan's page): the newest 1000, one page of the
# list's reader, whatever the plan's charges.
MAX_METRICS = 1000
ADD_CHARGE = "add_charge"
REMOVE_CHARGE = "remove_charge-"
_REMOVED = re.compile(rf"^{REMOVE_CHARGE}([0-9]{{1,3}})$")


def _root() -> str:
    return console_root(plans.current_request)


def _metrics(organization: Organization) -> list[BillableMetric]:
    listed = billable_metric_pages()(organization.id, 1, MAX_METRICS)
    return sorted(listed.records, key=lambda metric: (metric.name.casefold(), metric.code))


@plans.signed_in("/plans", methods=["GET"])
def plan_list(signed_in: SignedIn) -> Response:
    page = page_number(plans.current_request)
    listed = plan_pages()(signed_in.organization.id, page, PER_PAGE)
    return html(render("plans.html", root=_root(), signed_in=signed_in,
                       plans=[plan_row(plan) for plan in listed.records], page=page,
                       has_next=page * PER_PAGE < listed.total_count))


def _form_page(signed_in: SignedIn, plan_form: PlanForm, status_code: int = 200) -> Response:
    return html(render("plan_form.html", root=_root(), signed_in=signed_in, form=plan_form, fields=FIELDS,
                       intervals=INTERVALS, charge_models=CHARGE_MODELS, model_fields=MODEL_FIELDS,
                       range_models=RANGE_MODELS, range_fields=RANGE_FIELDS, range_rows=range(RANGE_ROWS),
                       metrics=_metrics(signed_in.organization), add_charge=ADD_CHARGE,
                       remove_charge=REMOVE_CHARGE), status_code=status_code)


@plans.signed_in("/new-plan", methods=["GET"])
def new_plan(signed_in: SignedIn) -> Response:
    return _form_page(signed_in, blank())


@plans.signed_in("/plans", methods=["POST"])
def create_plan(signed_in: SignedIn) -> Response:
    """"Add charge" and "Remove charge" show the form again with one charge more or less (nothing written);
    "Save" creates the plan, or shows the domain's errors next to their fields and writes nothing."""
    fields = form(plans.current_request)
    plan_form = posted(fields)
    action = fields.get("action", "")
    if action == ADD_CHARGE:
        return _form_page(signed_in, with_charge_added(plan_form))
    if removed := _REMOVED.match(action):
        return _form_page(signed_in, without_charge(plan_form, int(removed.group(1))))
    try:
        plan = plan_use_cases().create(signed_in.organization, creation_payload(plan_form))
    except ValidationFailed as refused:
        return _form_page(signed_in, with_errors(plan_form, refused.details), status_code=422)
    except NotFound as missing:  # a metric deleted since the form was shown
        plan_form.general_errors.append(words(missing.code))
        return _form_page(signed_in, plan_form, status_code=422)
    return redirect(f"{_root()}/plans/{path_segment(plan.code)}")


@plans.signed_in("/plans/{code}", methods=["GET"])
def plan_page(signed_in: SignedIn, code: str) -> Response:
    plan = plan_use_cases().find(signed_in.organization, code)
    metric_names = {metric.id: metric.name for metric in _metrics(signed_in.organization)}
    return html(render("plan.html", root=_root(), signed_in=signed_in, plan=plan_view(plan, metric_names)))

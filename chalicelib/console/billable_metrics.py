"""The console's billable metrics: the list (pages of 25, newest first), the "New billable metric" form, a metric's
page, and its deletion after a confirmation. Each calls the use case of the API route that does the same."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.form_errors import in_words
from chalicelib.console.http import console_root, form, html, page_number, redirect
from chalicelib.console.metric_form import (
    MetricForm,
    creation_payload,
    empty_form,
    posted,
    with_errors,
)
from chalicelib.console.pages import path_segment, render
from chalicelib.control_plane import billable_metric_pages, billable_metric_use_cases
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.errors import NotAllowed, ValidationFailed
from chalicelib.rendering.console_metrics import AGGREGATION_CHOICES, RECURRING_TYPES, metric_view
from chalicelib.usecases.console_sessions import SignedIn

billable_metrics = ConsoleBlueprint(__name__)
PER_PAGE = 25
# The use case's refusals (NotAllowed codes) in words.
DELETE_REFUSALS = {"billable_metric_in_use": "This billable metric cannot be deleted while a plan uses it."}


def _root() -> str:
    return console_root(billable_metrics.current_request)


def _metric_root(code: str) -> str:
    return f"{_root()}/billable-metrics/{path_segment(code)}"


@billable_metrics.signed_in("/billable-metrics", methods=["GET"])
def billable_metric_list(signed_in: SignedIn) -> Response:
    """A page through the list use case of `GET /api/v1/billable_metrics`: one Query and the count."""
    page = page_number(billable_metrics.current_request)
    listed = billable_metric_pages()(signed_in.organization.id, page, PER_PAGE)
    return html(render("billable_metrics.html", root=_root(), signed_in=signed_in,
                       metrics=[metric_view(metric) for metric in listed.records], page=page,
                       has_next=page * PER_PAGE < listed.total_count))


def _form_page(signed_in: SignedIn, metric_form: MetricForm, status_code: int = 200) -> Response:
    return html(render("billable_metric_form.html", root=_root(), signed_in=signed_in, form=metric_form,
                       aggregations=AGGREGATION_CHOICES, recurring_types=RECURRING_TYPES), status_code=status_code)


@billable_metrics.signed_in("/new-billable-metric", methods=["GET"])
def new_billable_metric(signed_in: SignedIn) -> Response:
    return _form_page(signed_in, empty_form())


@billable_metrics.signed_in("/billable-metrics", methods=["POST"])
def create_billable_metric(signed_in: SignedIn) -> Response:
    """"Save" creates through `BillableMetricUseCases.create` (nothing is written unless the domain accepts every
    field); "Add filter" shows the form again with one more filter row."""
    fields = form(billable_metrics.current_request)
    if "add_filter" in fields:
        return _form_page(signed_in, posted(fields, more_rows=1))
    metric_form = posted(fields)
    try:
        metric = billable_metric_use_cases().create(signed_in.organization, creation_payload(metric_form))
    except ValidationFailed as refused:
        return _form_page(signed_in, with_errors(metric_form, refused.details), status_code=422)
    return redirect(_metric_root(metric.code))


@billable_metrics.signed_in("/billable-metrics/{code}", methods=["GET"])
def billable_metric_page(signed_in: SignedIn, code: str) -> Response:
    metric = billable_metric_use_cases().find(signed_in.organization, code)
    return html(render("billable_metric.html", root=_root(), signed_in=signed_in, metric=metric_view(metric),
                       metric_root=_metric_root(metric.code)))


def _delete_page(signed_in: SignedIn, metric: BillableMetric, refusal: str | None, status_code: int = 200) -> Response:
    return html(render("billable_metric_delete.html", root=_root(), signed_in=signed_in, metric=metric_view(metric),
                       metric_root=_metric_root(metric.code), refusal=refusal), status_code=status_code)


@billable_metrics.signed_in("/billable-metrics/{code}/delete", methods=["GET"])
def confirm_billable_metric_deletion(signed_in: SignedIn, code: str) -> Response:
    """The confirmation, or the reason the metric cannot be deleted while a plan uses it."""
    metric = billable_metric_use_cases().find(signed_in.organization, code)
    in_use = DELETE_REFUSALS["billable_metric_in_use"] if metric.plans_count > 0 else None
    return _delete_page(signed_in, metric, in_use)


@billable_metrics.signed_in("/billable-metrics/{code}/delete", methods=["POST"])
def delete_billable_metric(signed_in: SignedIn, code: str) -> Response:
    """What `DELETE /api/v1/billable_metrics/{code}` does; its refusal (405 there) is a 409 page with the reason."""
    use_cases = billable_metric_use_cases()
    try:
        use_cases.delete(signed_in.organization, code)
    except NotAllowed as refused:
        return _delete_page(signed_in, use_cases.find(signed_in.organization, code),
                            in_words(refused.code, DELETE_REFUSALS),
                            status_code=409)
    return redirect(f"{_root()}/billable-metrics")

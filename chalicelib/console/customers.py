"""The console's customers: the list (pages of 25, newest first, or those a search finds), a customer's page with its
tabs, and the customer form that creates and edits one."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.customer_form import (
    FIELDS,
    SUBSCRIBED_REASON,
    CustomerForm,
    creation_payload,
    filled,
    posted,
    update_payload,
    with_errors,
)
from chalicelib.console.customer_page import customer_tab
from chalicelib.console.http import console_root, form, html, page_number, query, redirect
from chalicelib.console.pages import path_segment, render
from chalicelib.console.usage import current_usages
from chalicelib.control_plane import customer_pages, customer_time, customer_use_cases
from chalicelib.domain.clock import utc_now
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotAllowed, ValidationFailed
from chalicelib.rendering.console import customer_overview
from chalicelib.usecases.console_sessions import SignedIn

customers = ConsoleBlueprint(__name__)
PER_PAGE = 25
SUBSCRIBED_DELETE_REFUSAL = "This customer cannot be deleted while it has an active subscription."


def _root() -> str:
    return console_root(customers.current_request)


@customers.signed_in("/customers", methods=["GET"])
def customer_list(signed_in: SignedIn) -> Response:
    request = customers.current_request
    page = page_number(request)
    search = (query(request, "q") or "").strip()
    if search:
        found = customer_use_cases().search(signed_in.organization, search, page, PER_PAGE)
        records, has_next = found.records, found.has_more
    else:
        listed = customer_pages()(signed_in.organization.id, page, PER_PAGE)
        records, has_next = list(listed.records), page * PER_PAGE < listed.total_count
    return html(render("customers.html", root=_root(), signed_in=signed_in, customers=records,
                       page=page, has_next=has_next, search=search))


@customers.signed_in("/customers/{external_id}", methods=["GET"])
def customer_page(signed_in: SignedIn, external_id: str) -> Response:
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return customer_tab(customers.current_request, signed_in, customer, "overview",
                        overview=customer_overview(customer, signed_in.organization))


@customers.signed_in("/customers/{external_id}/usage", methods=["GET"])
def customer_usage(signed_in: SignedIn, external_id: str) -> Response:
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return customer_tab(customers.current_request, signed_in, customer, "usage",
                        usages=current_usages(signed_in.organization, external_id, utc_now()))


@customers.signed_in("/customers/{external_id}/usage/figures", methods=["GET"])
def customer_usage_figures(signed_in: SignedIn, external_id: str) -> Response:
    """The Usage tab's figures alone, which its "Refresh" button swaps in place with htmx."""
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return html(render("customer_usage.html", root=_root(), customer=customer,
                       usages=current_usages(signed_in.organization, external_id, utc_now())))


def _form_page(signed_in: SignedIn, customer_form: CustomerForm, heading: str, action: str,
               status_code: int = 200) -> Response:
    return html(render("customer_form.html", root=_root(), signed_in=signed_in, form=customer_form, fields=FIELDS,
                       heading=heading, action=action, locked_reason=SUBSCRIBED_REASON), status_code=status_code)


def _saved(external_id: str) -> Response:
    return redirect(f"{_root()}/customers/{path_segment(external_id)}")


@customers.signed_in("/new-customer", methods=["GET"])
def new_customer(signed_in: SignedIn) -> Response:
    return _form_page(signed_in, CustomerForm({name: "" for name, _ in FIELDS}), "New customer",
                      f"{_root()}/customers")


@customers.signed_in("/customers", methods=["POST"])
def create_customer(signed_in: SignedIn) -> Response:
    """Nothing is written unless every field is valid: the errors are shown next to their fields."""
    customer_form = posted(form(customers.current_request))
    organization = signed_in.organization
    try:
        customer = customer_use_cases().create(organization, creation_payload(customer_form),
                                               customer_time(organization, utc_now()))
    except ValidationFailed as refused:
        return _form_page(signed_in, with_errors(customer_form, refused.details), "New customer",
                          f"{_root()}/customers", status_code=422)
    return _saved(customer.external_id)


def _edit_action(external_id: str) -> str:
    return f"{_root()}/customers/{path_segment(external_id)}/edit"


@customers.signed_in("/customers/{external_id}/edit", methods=["GET"])
def edit_customer(signed_in: SignedIn, external_id: str) -> Response:
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return _form_page(signed_in, filled(customer), f"Edit {customer.name}", _edit_action(external_id))


@customers.signed_in("/customers/{external_id}/edit", methods=["POST"])
def update_customer(signed_in: SignedIn, external_id: str) -> Response:
    use_cases = customer_use_cases()
    organization = signed_in.organization
    existing = use_cases.find(organization, external_id)
    customer_form = posted(form(customers.current_request))
    try:
        customer = use_cases.update(organization, external_id, update_payload(customer_form),
                                    customer_time(organization, utc_now()))
    except ValidationFailed as refused:
        customer_form.external_id_locked = existing.active_subscriptions_count > 0
        return _form_page(signed_in, with_errors(customer_form, refused.details), f"Edit {existing.name}",
                          _edit_action(external_id), status_code=422)
    return _saved(customer.external_id)


def _delete_page(signed_in: SignedIn, customer: Customer, refused: bool, status_code: int = 200) -> Response:
    return html(render("customer_delete.html", root=_root(), signed_in=signed_in, customer=customer,
                       customer_root=f"{_root()}/customers/{path_segment(customer.external_id)}",
                       refusal=SUBSCRIBED_DELETE_REFUSAL if refused else None), status_code=status_code)


@customers.signed_in("/customers/{external_id}/delete", methods=["GET"])
def confirm_customer_deletion(signed_in: SignedIn, external_id: str) -> Response:
    """The confirmation, or the reason a subscribed customer cannot be deleted."""
    customer = customer_use_cases().find(signed_in.organization, external_id)
    return _delete_page(signed_in, customer, refused=customer.active_subscriptions_count > 0)


@customers.signed_in("/customers/{external_id}/delete", methods=["POST"])
def delete_customer(signed_in: SignedIn, external_id: str) -> Response:
    use_cases = customer_use_cases()
    try:
        use_cases.delete(signed_in.organization, external_id)
    except NotAllowed:
        return _delete_page(signed_in, use_cases.find(signed_in.organization, external_id), refused=True,
                            status_code=409)
    return redirect(f"{_root()}/customers")

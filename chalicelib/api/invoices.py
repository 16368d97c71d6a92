"""`/api/v1/invoices`: list (newest first, with Lago's filters), read by lago_id, set the payment status, void, and
refresh or finalize a draft. docs/api-coverage.md (Invoices)."""
from __future__ import annotations

import re
from datetime import date

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import root_object
from chalicelib.api.errors import invalid_fields
from chalicelib.api.pagination import UNKNOWN_CUSTOMER, customer_filter, page_from_query
from chalicelib.api.request_time import customer_time
from chalicelib.api.serialize import json_response
from chalicelib.billing import drafts
from chalicelib.control_plane import invoice_use_cases
from chalicelib.domain.clock import utc_now
from chalicelib.domain.errors import NotFound
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.organizations import Organization
from chalicelib.rendering.invoices import invoice_json
from chalicelib.store.repositories import repositories
from chalicelib.usecases.shown_records import GatherShownRecords

invoices = ApiBlueprint(__name__)

# Lago's enums (`deleted` is internal to Lago and never listed).
INVOICE_STATUSES = ("draft", "finalized", "voided", "failed", "pending")
PAYMENT_STATUSES = ("pending", "succeeded", "failed")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _values(query, *names: str) -> tuple[list[str], str | None]:
    """Every value of the repeated keys `names` (`statuses[]=a&statuses[]=b`, or the older single `status`),
    and the name they came from (the first one present)."""
    values, source = [], None
    for name in names:
        if name in query:
            found = [value for value in query.getlist(name) if value != ""]
            values += found
            source = source or name
    return list(dict.fromkeys(values)), source


def _enum_filter(query, names: tuple[str, ...], allowed: tuple[str, ...], errors: dict) -> list[str]:
    values, source = _values(query, *names)
    if any(value not in allowed for value in values):
        errors[source.removesuffix("[]")] = ["value_is_invalid"]
    return values


def _date_filter(query, name: str, errors: dict) -> str | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if not _DATE.fullmatch(raw):
        errors[name] = ["invalid_date"]
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        errors[name] = ["invalid_date"]
        return None


@invoices.route("/api/v1/invoices", methods=["GET"])
def list_invoices():
    request = invoices.current_request
    organization = current_organization(request)
    query = request.query_params or {}
    page = page_from_query(query)
    errors: dict = {}
    filters = {
        "statuses": _enum_filter(query, ("statuses[]", "statuses", "status[]", "status"), INVOICE_STATUSES, errors),
        "payment_statuses": _enum_filter(query, ("payment_statuses[]", "payment_statuses", "payment_status[]",
                                                 "payment_status"), PAYMENT_STATUSES, errors),
        "issuing_date_from": _date_filter(query, "issuing_date_from", errors),
        "issuing_date_to": _date_filter(query, "issuing_date_to", errors),
    }
    if errors:
        raise invalid_fields(errors)
    stores = repositories()
    filters["customer_id"] = customer_filter(stores, organization.id, query)
    if filters["customer_id"] is UNKNOWN_CUSTOMER:
        return json_response({"invoices": [], "meta": page.meta(0)})
    listed = stores.invoices.list_page(organization.id, page.number, page.per_page, **filters)
    total_count = stores.invoices.count(organization.id, **filters)
    records = GatherShownRecords(stores)(organization, invoices=listed)
    return json_response({"invoices": [invoice_json(invoice, records) for invoice in listed],
                          "meta": page.meta(total_count)})


@invoices.route("/api/v1/invoices/{lago_id}", methods=["GET"])
def get_invoice(lago_id):
    organization = current_organization(invoices.current_request)
    stores = repositories()
    invoice = stores.invoices.get(organization.id, lago_id)
    if invoice is None:
        raise NotFound("invoice")
    return _one(invoice, organization)


def _one(invoice: Invoice, organization: Organization) -> dict:
    records = GatherShownRecords(repositories())(organization, invoices=[invoice])
    return json_response({"invoice": invoice_json(invoice, records)})


@invoices.route("/api/v1/invoices/{lago_id}", methods=["PUT"])
def update_invoice(lago_id):
    request = invoices.current_request
    organization = current_organization(request)
    return _one(invoice_use_cases().update(organization.id, lago_id, root_object(request.raw_body, "invoice"),
                                           customer_time(organization, utc_now())), organization)


@invoices.route("/api/v1/invoices/{lago_id}/void", methods=["POST"])
def void_invoice(lago_id):
    organization = current_organization(invoices.current_request)
    return _one(invoice_use_cases().void(organization.id, lago_id, customer_time(organization, utc_now())),
                organization)


@invoices.route("/api/v1/invoices/{lago_id}/refresh", methods=["PUT"])
def refresh_invoice(lago_id):
    organization = current_organization(invoices.current_request)
    clock = customer_time(organization, utc_now())
    return _one(drafts.refresh_invoice(repositories(), organization, lago_id, clock), organization)


@invoices.route("/api/v1/invoices/{lago_id}/finalize", methods=["PUT"])
def finalize_invoice(lago_id):
    organization = current_organization(invoices.current_request)
    clock = customer_time(organization, utc_now())
    return _one(drafts.finalize_invoice(repositories(), organization, lago_id, clock), organization)

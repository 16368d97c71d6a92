"""`/api/v1/invoices`: list (newest first, with Lago's filters), read by lago_id, set the payment status, void, and
refresh or finalize a draft. docs/api-coverage.md (Invoices)."""
from __future__ import annotations

import re
from datetime import date

from chalice import Response
from chalice.app import MultiDict

from chalicelib import wiring
from chalicelib.api.auth import current_organization
from chalicelib.api.billing_documents import document_page, stored_document
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.body import root_object
from chalicelib.api.errors import invalid_fields
from chalicelib.api.pagination import list_request
from chalicelib.api.serialize import json_response
from chalicelib.control_plane import customer_time
from chalicelib.domain.clock import utc_now
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.rendering.invoices import invoice_json
from chalicelib.usecases.billing_documents import ShownDocument

invoices = ApiBlueprint(__name__)

# Lago's enums (`deleted` is internal to Lago and never listed).
INVOICE_STATUSES = ("draft", "finalized", "voided", "failed", "pending")
PAYMENT_STATUSES = ("pending", "succeeded", "failed")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _values(query: MultiDict | dict[str, str], *names: str) -> tuple[list[str], str | None]:
    """Every value of the repeated keys `names` (`statuses[]=a&statuses[]=b`, or the older single `status`),
    and the name they came from (the first one present)."""
    values, source = [], None
    for name in names:
        if name in query:
            found = [value for value in query.getlist(name) if value != ""]
            values += found
            source = source or name
    return list(dict.fromkeys(values)), source


def _enum_filter(query: MultiDict | dict[str, str], names: tuple[str, ...], allowed: tuple[str, ...],
                 errors: dict[str, list[str]]) -> list[str]:
    values, source = _values(query, *names)
    if any(value not in allowed for value in values):
        errors[source.removesuffix("[]")] = ["value_is_invalid"]
    return values


def _date_filter(query: MultiDict | dict[str, str], name: str, errors: dict) -> str | None:
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
    listing = list_request(invoices.current_request)
    query = listing.query
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
    return document_page(listing, "invoices", invoice_json, **filters)


@invoices.route("/api/v1/invoices/{lago_id}", methods=["GET"])
def get_invoice(lago_id: str) -> Response:
    return stored_document(current_organization(invoices.current_request), "invoices", lago_id, "invoice",
                           invoice_json)


def _one(shown: ShownDocument[Invoice]) -> Response:
    return json_response({"invoice": invoice_json(shown.document, shown.records)})


@invoices.route("/api/v1/invoices/{lago_id}", methods=["PUT"])
def update_invoice(lago_id: str):
    request = invoices.current_request
    organization = current_organization(request)
    return _one(wiring.invoice_requests().update(organization, lago_id, root_object(request.raw_body, "invoice"),
                                                 customer_time(organization, utc_now())))


@invoices.route("/api/v1/invoices/{lago_id}/void", methods=["POST"])
def void_invoice(lago_id: str):
    organization = current_organization(invoices.current_request)
    return _one(wiring.invoice_requests().void(organization, lago_id, customer_time(organization, utc_now())))


@invoices.route("/api/v1/invoices/{lago_id}/refresh", methods=["PUT"])
def refresh_invoice(lago_id: str):
    organization = current_organization(invoices.current_request)
    clock = customer_time(organization, utc_now())
    return _one(wiring.invoice_requests().refresh(organization, lago_id, clock))


@invoices.route("/api/v1/invoices/{lago_id}/finalize", methods=["PUT"])
def finalize_invoice(lago_id: str):
    organization = current_organization(invoices.current_request)
    clock = customer_time(organization, utc_now())
    return _one(wiring.invoice_requests().finalize(organization, lago_id, clock))

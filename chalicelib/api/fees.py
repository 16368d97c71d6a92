"""`/api/v1/fees`: the pay-in-advance fees (one per event of a pay-in-advance charge), listed newest first or read
by lago_id. Fees of periodic invoices are read through their invoice (docs/api-coverage.md, Fees)."""
from __future__ import annotations

from chalice import Response

from chalicelib.api.auth import current_organization
from chalicelib.api.billing_documents import document_page, stored_document
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.pagination import list_request
from chalicelib.rendering.invoices import stored_fee_json

fees = ApiBlueprint(__name__)


@fees.route("/api/v1/fees", methods=["GET"])
def list_fees() -> Response:
    listing = list_request(fees.current_request)
    return document_page(listing, "fees", stored_fee_json,
                         external_subscription_id=listing.query.get("external_subscription_id") or None)


@fees.route("/api/v1/fees/{lago_id}", methods=["GET"])
def get_fee(lago_id: str) -> Response:
    return stored_document(current_organization(fees.current_request), "fees", lago_id, "fee", stored_fee_json)

"""`/api/v1/fees`: the pay-in-advance fees (one per event of a pay-in-advance charge), listed newest first or read
by lago_id. Fees of periodic invoices are read through their invoice (docs/api-coverage.md, Fees)."""
from __future__ import annotations

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.pagination import UNKNOWN_CUSTOMER, customer_filter, page_from_query
from chalicelib.api.serialize import json_response
from chalicelib.domain.errors import NotFound
from chalicelib.rendering.invoices import stored_fee_json
from chalicelib.store.repositories import repositories
from chalicelib.usecases.shown_records import GatherShownRecords

fees = ApiBlueprint(__name__)


@fees.route("/api/v1/fees", methods=["GET"])
def list_fees():
    request = fees.current_request
    organization = current_organization(request)
    query = request.query_params or {}
    page = page_from_query(query)
    stores = repositories()
    filters = {"external_subscription_id": query.get("external_subscription_id") or None,
               "customer_id": customer_filter(stores, organization.id, query)}
    if filters["customer_id"] is UNKNOWN_CUSTOMER:
        return json_response({"fees": [], "meta": page.meta(0)})
    listed = stores.fees.list_page(organization.id, page.number, page.per_page, **filters)
    records = GatherShownRecords(stores)(organization, fees=listed)
    return json_response({"fees": [stored_fee_json(fee, records) for fee in listed],
                          "meta": page.meta(stores.fees.count(organization.id, **filters))})


@fees.route("/api/v1/fees/{lago_id}", methods=["GET"])
def get_fee(lago_id):
    organization = current_organization(fees.current_request)
    stores = repositories()
    fee = stores.fees.get(organization.id, lago_id)
    if fee is None:
        raise NotFound("fee")
    return json_response({"fee": stored_fee_json(fee, GatherShownRecords(stores)(organization, fees=[fee]))})

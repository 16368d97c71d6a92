"""`/api/v1/credit_notes`: list (newest first, by customer) and read by lago_id. Credit notes are created by the
biller (a pay-in-advance plan's unused days), not over HTTP: docs/api-coverage.md (Credit notes)."""
from __future__ import annotations

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.pagination import UNKNOWN_CUSTOMER, customer_filter, page_from_query
from chalicelib.api.serialize import json_response
from chalicelib.domain.errors import NotFound
from chalicelib.rendering.credit_notes import credit_note_json
from chalicelib.store.repositories import repositories
from chalicelib.usecases.shown_records import GatherShownRecords

credit_notes = ApiBlueprint(__name__)


@credit_notes.route("/api/v1/credit_notes", methods=["GET"])
def list_credit_notes():
    request = credit_notes.current_request
    organization = current_organization(request)
    query = request.query_params or {}
    page = page_from_query(query)
    stores = repositories()
    customer_id = customer_filter(stores, organization.id, query)
    if customer_id is UNKNOWN_CUSTOMER:
        return json_response({"credit_notes": [], "meta": page.meta(0)})
    listed = stores.credit_notes.list_page(organization.id, page.number, page.per_page, customer_id)
    records = GatherShownRecords(stores)(organization, credit_notes=listed)
    return json_response({"credit_notes": [credit_note_json(note, records) for note in listed],
                          "meta": page.meta(stores.credit_notes.count(organization.id, customer_id))})


@credit_notes.route("/api/v1/credit_notes/{lago_id}", methods=["GET"])
def get_credit_note(lago_id):
    organization = current_organization(credit_notes.current_request)
    stores = repositories()
    note = stores.credit_notes.get(organization.id, lago_id)
    if note is None:
        raise NotFound("credit_note")
    records = GatherShownRecords(stores)(organization, credit_notes=[note])
    return json_response({"credit_note": credit_note_json(note, records)})

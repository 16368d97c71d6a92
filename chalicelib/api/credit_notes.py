"""`/api/v1/credit_notes`: list (newest first, by customer) and read by lago_id. Credit notes are created by the
biller (a pay-in-advance plan's unused days), not over HTTP: docs/api-coverage.md (Credit notes)."""
from __future__ import annotations

from chalice import Response

from chalicelib.api.auth import current_organization
from chalicelib.api.billing_documents import document_page, stored_document
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.pagination import list_request
from chalicelib.rendering.credit_notes import credit_note_json

credit_notes = ApiBlueprint(__name__)


@credit_notes.route("/api/v1/credit_notes", methods=["GET"])
def list_credit_notes() -> Response:
    return document_page(list_request(credit_notes.current_request), "credit_notes", credit_note_json)


@credit_notes.route("/api/v1/credit_notes/{lago_id}", methods=["GET"])
def get_credit_note(lago_id: str) -> Response:
    return stored_document(current_organization(credit_notes.current_request), "credit_notes", lago_id,
                           "credit_note", credit_note_json)

"""`GET /api/v1/openapi.json`: the service's OpenAPI 3.1 description, built once from the app's routes. Public (no
API key): it describes the API, holds no organization's data, and tools load it before they have a key."""
from __future__ import annotations

import functools

import simplejson
from chalice import Chalice, Response

from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.openapi.document import openapi_document

DESCRIPTION_PATH = "/api/v1/openapi.json"

description = ApiBlueprint(__name__)


@functools.cache
def _document_text(app: Chalice) -> str:
    return simplejson.dumps(openapi_document(app.routes), use_decimal=True)


@description.route(DESCRIPTION_PATH, methods=["GET"])
def get_openapi_description():
    return Response(body=_document_text(description.current_app), status_code=200,
                    headers={"Content-Type": "application/json"})

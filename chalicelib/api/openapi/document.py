"""The OpenAPI 3.1 document: one operation per route of the Chalice app, each described by OPERATIONS, schemas
generated from the models. A route without a description, or a description without a route, stops the build."""
from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic.json_schema import models_json_schema

from chalicelib.api.openapi import errors
from chalicelib.api.openapi.operations import OPERATIONS, Operation
from chalicelib.api.openapi.shapes import Model, sent_fields_only

SCHEMA_REF = "#/components/schemas/{model}"
API_VERSION = "1.0.0"
_PATH_PARAMETER = re.compile(r"{(\w+)}")
_PATH_PARAMETER_TEXT = {
    "external_id": "The external id your application gave it (percent-encoded; any unicode, up to 255 characters).",
    "code": "Its code (percent-encoded).",
    "lago_id": "The id the service gave it.",
    "transaction_id": "The event's transaction_id (percent-encoded).",
}
_JSON = "application/json"
# The web console's HTML pages (chalicelib/console, docs/console.md) share the app but are not the API.
_CONSOLE_PATH = "/console"


class DescriptionMismatch(Exception):
    """The app's routes and the described operations differ."""


def api_routes(routes: Mapping[str, Mapping[str, object]]) -> set[tuple[str, str]]:
    """The (path, method) of every route of the app but the console's pages."""
    return {(path, method) for path, methods in routes.items() for method in methods
            if path != _CONSOLE_PATH and not path.startswith(f"{_CONSOLE_PATH}/")}


def check_every_route_described(routes: Mapping[str, Mapping[str, object]]) -> None:
    implemented = api_routes(routes)
    described = set(OPERATIONS)
    if implemented != described:
        raise DescriptionMismatch(f"routes without a description: {sorted(implemented - described)}; "
                                  f"descriptions without a route: {sorted(described - implemented)}")


def _error(model: type[Model], description: str) -> dict:
    return {"description": description, "content": {_JSON: {"schema": {"$ref": SCHEMA_REF.format(
        model=model.__name__)}}}}


def _shared_refusals(path: str, method: str, operation: Operation) -> dict[int, tuple[type[Model], str]]:
    """The statuses every operation of its kind gives: auth, body, unknown id, size, media type, lost races."""
    shared = {413: (errors.ApiErrorPayloadTooLarge, "A body over 1 MB."),
              415: (errors.ApiErrorUnsupportedMediaType, "A `Content-Type` other than `application/json`.")}
    if not operation.public:
        shared[401] = (errors.ApiErrorUnauthorized, "No API key, or one no organization has.")
    if operation.body is not None:
        shared[400] = (errors.ApiErrorBadRequest, "The body is not JSON (or holds NaN, Infinity, nesting deeper than "
                                                  "32), or Lago's root key is missing or empty.")
        shared[422] = (errors.ApiErrorUnprocessableEntity, "Field errors, per field (docs/api-coverage.md); a number "
                                                           "DynamoDB cannot store (over 38 digits, or a magnitude "
                                                           "under 1e-130 or from 1e126), wherever it is in the body, "
                                                           "is `value_is_invalid` on its path.")
    if _PATH_PARAMETER.search(path):
        shared[404] = (errors.ApiErrorNotFound, "No such id in the organization: `<resource>_not_found`.")
    if method != "GET" and not operation.public:
        shared[503] = (errors.ApiErrorServiceUnavailable, "Retry: concurrent writers kept winning "
                                                          "(`concurrent_modification`) or a write failed part-way.")
    return shared


_REFUSAL_MODELS = {400: errors.ApiErrorBadRequest, 404: errors.ApiErrorNotFound, 405: errors.ApiErrorNotAllowed,
                   422: errors.ApiErrorUnprocessableEntity, 503: errors.ApiErrorServiceUnavailable}


def _responses(path: str, method: str, operation: Operation) -> dict:
    answers = _shared_refusals(path, method, operation)
    for status, text in operation.refusals.items():
        model, shared_text = answers.get(status, (_REFUSAL_MODELS[status], ""))
        answers[status] = (model, f"{shared_text} {text}".strip())
    responses = {"200": {"description": "OK", "content": {_JSON: {"schema": {"$ref": SCHEMA_REF.format(
        model=operation.response.__name__)}}}}}
    for status in sorted(answers):
        responses[str(status)] = _error(*answers[status])
    return responses


def _parameter_schema(field: dict) -> dict:
    """A query field's schema as a parameter's: an absent parameter is the field's null, so `null` is dropped."""
    schema = {key: value for key, value in field.items() if key not in ("description", "default", "title")}
    present = [choice for choice in schema.pop("anyOf", ()) if choice != {"type": "null"}]
    if len(present) == 1:
        schema.update(present[0])
    elif present:
        schema["anyOf"] = present
    return schema


def _query_parameters(model: type[Model] | None) -> list[dict]:
    if model is None:
        return []
    schema = model.model_json_schema(by_alias=True)
    assert "$defs" not in schema, f"{model.__name__}: a query parameter must have an inline schema"
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required,
             **({"description": field["description"]} if "description" in field else {}),
             "schema": _parameter_schema(field)}
            for name, field in schema["properties"].items()]


def _path_parameters(path: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "description": _PATH_PARAMETER_TEXT[name],
             "schema": {"type": "string", "minLength": 1}} for name in _PATH_PARAMETER.findall(path)]


def _operation(path: str, method: str, operation: Operation) -> dict:
    described = {"operationId": operation.operation_id, "summary": operation.summary, "tags": [operation.tag]}
    parameters = _path_parameters(path) + _query_parameters(operation.query)
    if parameters:
        described["parameters"] = parameters
    if operation.body is not None:
        described["requestBody"] = {"required": True, "content": {_JSON: {"schema": {"$ref": SCHEMA_REF.format(
            model=operation.body.__name__)}}}}
    described["responses"] = _responses(path, method, operation)
    if operation.public:
        described["security"] = []
    return described


def _component_schemas() -> dict:
    """Every model's JSON schema: responses as they are written, bodies as they are read."""
    responses = {operation.response for operation in OPERATIONS.values()} | {
        model for model in vars(errors).values() if isinstance(model, type) and issubclass(model, Model)
        and model is not Model}
    bodies = {operation.body for operation in OPERATIONS.values() if operation.body is not None}
    keyed = sorted([(model, "serialization") for model in responses] + [(model, "validation") for model in bodies],
                   key=lambda pair: pair[0].__name__)
    _, schemas = models_json_schema(keyed, ref_template=SCHEMA_REF)
    for schema in schemas["$defs"].values():
        sent_fields_only(schema)
    return schemas["$defs"]


def openapi_document(routes: Mapping[str, Mapping[str, object]]) -> dict:
    """The description of the app whose route table is `routes` (`app.routes`: path -> method -> entry)."""
    check_every_route_described(routes)
    paths: dict[str, dict] = {}
    for (path, method), operation in sorted(OPERATIONS.items()):
        paths.setdefault(path, {})[method.lower()] = _operation(path, method, operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lago serverless billing API", "version": API_VERSION,
                 "description": "Lago's public API v1 as this service implements it; departures and extensions: "
                                "docs/api-coverage.md."},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {"schemas": _component_schemas(),
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }

"""Lago's error bodies, as chalicelib/api/errors.py writes them: `{"status", "error"[, "code"][, "error_details"]}`."""
from __future__ import annotations

from typing import Literal

from chalicelib.api.openapi.shapes import Model


class ApiErrorBadRequest(Model):
    """Malformed JSON, NaN or Infinity, nesting deeper than 32, or Lago's root key missing or empty."""

    status: Literal[400]
    error: str


class ApiErrorUnauthorized(Model):
    """No `Authorization: Bearer <key>`, or a key no organization has."""

    status: Literal[401]
    error: Literal["Unauthorized"]


class ApiErrorNotFound(Model):
    """`<resource>_not_found`, or `resource_not_found` for a path no route has."""

    status: Literal[404]
    error: Literal["Not Found"]
    code: str


class ApiErrorNotAllowed(Model):
    """What the resource's state refuses, named by `code`."""

    status: Literal[405]
    error: Literal["Method Not Allowed"]
    code: str


class ApiErrorPayloadTooLarge(Model):
    """A body over 1 MB."""

    status: Literal[413]
    error: str


class ApiErrorUnsupportedMediaType(Model):
    """A `Content-Type` other than `application/json`."""

    status: Literal[415]
    error: str


class ApiErrorUnprocessableEntity(Model):
    """Field errors: `error_details` maps each field (dotted when nested, an index for a batch) to its codes."""

    status: Literal[422]
    error: Literal["Unprocessable Entity"]
    code: Literal["validation_errors"]
    error_details: dict[str, list[str] | dict[str, list[str]]]


class ApiErrorServiceUnavailable(Model):
    """Retryable: `concurrent_modification` (lost races), `service_unavailable` (a write failed part-way),
    `usage_not_aggregated_yet`."""

    status: Literal[503]
    error: Literal["Service Unavailable"]
    code: str

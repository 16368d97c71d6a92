"""Lago-shaped error answers: `{"status", "error"[, "code"][, "error_details"]}`, and the one mapping from
domain failures to them."""
from __future__ import annotations

import functools
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from chalice import Response

from chalicelib.domain.errors import (
    Contention,
    DomainError,
    NotAllowed,
    NotFound,
    NotReadyYet,
    Unavailable,
    ValidationFailed,
)

JSON_HEADERS = {"Content-Type": "application/json"}


def lago_error_body(status: int, *, error: str | None = None, code: str | None = None,
                    details: dict | None = None) -> dict:
    body = {"status": status, "error": error or HTTPStatus(status).phrase}
    if code is not None:
        body["code"] = code
    if details is not None:
        body["error_details"] = details
    return body


def lago_error(status: int, **fields) -> Response:
    return Response(body=lago_error_body(status, **fields), status_code=status, headers=dict(JSON_HEADERS))


class ApiError(Exception):
    """An HTTP-level refusal (bad body, bad auth) raised anywhere below a route and answered as is."""

    def __init__(self, status: int, **fields):
        super().__init__(fields.get("error") or HTTPStatus(status).phrase)
        self.response = lago_error(status, **fields)


def unauthorized() -> ApiError:
    return ApiError(401, error="Unauthorized")


def missing_root_key(root_key: str) -> ApiError:
    return ApiError(400, error=f"BadRequest: param is missing or the value is empty: {root_key}")


def invalid_fields(details: dict) -> ApiError:
    return ApiError(422, code="validation_errors", details=details)


def resource_not_found() -> Response:
    return lago_error(404, code="resource_not_found")


def domain_error_response(failure: DomainError) -> Response:
    if isinstance(failure, NotFound):
        return lago_error(404, code=failure.code)
    if isinstance(failure, ValidationFailed):
        return lago_error(422, code="validation_errors", details=failure.details)
    if isinstance(failure, NotAllowed):
        return lago_error(405, code=failure.code)
    if isinstance(failure, Contention):
        return lago_error(503, code="concurrent_modification")
    if isinstance(failure, Unavailable):
        return lago_error(503, code="service_unavailable")
    if isinstance(failure, NotReadyYet):
        return lago_error(503, code=failure.code)
    return lago_error(422, code="unprocessable_entity")


def answering_refusals(function: Callable[..., Response]) -> Callable[..., Response]:
    """`function`, answering an ApiError or a DomainError it raises with its Lago-shaped response."""

    @functools.wraps(function)
    def answer(*args: Any, **kwargs: Any) -> Response:
        try:
            return function(*args, **kwargs)
        except ApiError as refusal:
            return refusal.response
        except DomainError as failure:
            return domain_error_response(failure)

    return answer

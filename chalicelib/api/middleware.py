"""The one HTTP middleware: body size, authentication, and every failure answered in Lago's shape."""
from __future__ import annotations

from collections.abc import Callable

from chalice import Response
from chalice.app import Request

from chalicelib.api.auth import authenticate
from chalicelib.api.body import MAX_BODY_BYTES
from chalicelib.api.description import DESCRIPTION_PATH
from chalicelib.api.errors import ApiError, answering_refusals, lago_error, resource_not_found
from chalicelib.observability import logger

API_PREFIX = "/api/v1/"
# Routes under API_PREFIX that answer without an API key (docs/api-coverage.md, "The API's description").
PUBLIC_PATHS = frozenset({DESCRIPTION_PATH})


def _chalice_error_as_lago(response: Response) -> Response:
    """Chalice answers some requests itself with `{"Code", "Message"}`; give them Lago's shape."""
    if not (isinstance(response.body, dict) and "Code" in response.body and "Message" in response.body):
        return response
    if response.status_code == 405:
        # API Gateway, which serves the deployed API, answers an undefined method as an unknown route.
        return resource_not_found()
    return lago_error(response.status_code)


@answering_refusals
def _admitted(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """The route's answer, once the body's size and the API key are accepted."""
    if event.raw_body is not None and len(event.raw_body) > MAX_BODY_BYTES:
        raise ApiError(413)
    resource_path = event.context.get("resourcePath", "")
    if resource_path.startswith(API_PREFIX) and resource_path not in PUBLIC_PATHS:
        event.context["organization"] = authenticate(event.headers.get("authorization"))
    return _chalice_error_as_lago(get_response(event))


def lago_http(event: Request, get_response: Callable[[Request], Response]) -> Response:
    try:
        return _admitted(event, get_response)
    except Exception:  # noqa: BLE001 - the last line of defence: log it, answer JSON, never leak a trace
        logger.exception("unhandled error", extra={"path": event.path, "method": event.method})
        return lago_error(500)

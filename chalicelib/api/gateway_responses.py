"""Lago-shaped answers for requests that never reach a route: one definition, used by the deployment
template (API Gateway's GatewayResponses) and by the local stack's emulation of API Gateway."""
from __future__ import annotations

import json

from chalicelib.api.errors import lago_error_body

# API Gateway response type -> (HTTP status, Lago body). An unknown path or an undefined method is
# MISSING_AUTHENTICATION_TOKEN (or, when the request carries an Authorization header, INCOMPLETE_SIGNATURE
# or a SigV4 error) in API Gateway; Lago (Rails) answers both with 404 resource_not_found.
GATEWAY_RESPONSES: dict[str, tuple[int, dict]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, lago_error_body(404, code="resource_not_found")),
    "INCOMPLETE_SIGNATURE": (404, lago_error_body(404, code="resource_not_found")),
    "INVALID_SIGNATURE": (404, lago_error_body(404, code="resource_not_found")),
    "UNSUPPORTED_MEDIA_TYPE": (415, lago_error_body(415)),
    "REQUEST_TOO_LARGE": (413, lago_error_body(413)),
    "THROTTLED": (429, lago_error_body(429)),
    "QUOTA_EXCEEDED": (429, lago_error_body(429)),
    "INTEGRATION_TIMEOUT": (504, lago_error_body(504)),
    "DEFAULT_4XX": (400, lago_error_body(400)),
    "DEFAULT_5XX": (502, lago_error_body(502)),
}

UNKNOWN_ROUTE = "MISSING_AUTHENTICATION_TOKEN"


def sam_gateway_responses() -> dict:
    """The `GatewayResponses` property of the `AWS::Serverless::Api`."""
    return {
        response_type: {
            "StatusCode": str(status),
            "ResponseTemplates": {"application/json": json.dumps(body)},
            "ResponseParameters": {"Headers": {"Content-Type": "'application/json'"}},
        }
        for response_type, (status, body) in GATEWAY_RESPONSES.items()
    }


def lambda_proxy_response(response_type: str) -> dict:
    """The same answer in the Lambda-proxy shape the local gateway returns."""
    status, body = GATEWAY_RESPONSES[response_type]
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
            "body": json.dumps(body)}

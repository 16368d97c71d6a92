"""Bodies are returned as JSON strings, so Chalice never turns a Decimal into a float (`100` -> `100.0`)."""
from __future__ import annotations

import simplejson
from chalice import Response


def json_response(body: dict, status_code: int = 200) -> Response:
    """A JSON answer whose Decimals are written exactly as JSON numbers (never through a float)."""
    return Response(body=simplejson.dumps(body, use_decimal=True), status_code=status_code,
                    headers={"Content-Type": "application/json"})

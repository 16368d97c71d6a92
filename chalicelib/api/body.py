"""Reading request bodies: size limit, JSON with exact Decimal numbers, and Lago's root key."""
from __future__ import annotations

import json
from decimal import Decimal

from chalicelib.api.errors import ApiError, invalid_fields, missing_root_key
from chalicelib.store.dynamo import is_storable_number

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _unstorable_numbers(value: object, path: str, depth: int = 0) -> dict:
    """Field paths holding numbers DynamoDB cannot store; raises on nesting deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise ApiError(400, error="BadRequest: the JSON body is nested too deeply")
    if isinstance(value, dict):
        children = ((f"{path}.{key}" if path else str(key), item) for key, item in value.items())
    elif isinstance(value, list):
        children = ((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    else:
        if isinstance(value, Decimal) and not is_storable_number(value):
            return {path: ["value_is_invalid"]}
        return {}
    found: dict = {}
    for child_path, child in children:
        found.update(_unstorable_numbers(child, child_path, depth + 1))
    return found


def parse_json(raw_body: bytes | None, root_key: str | None = None):
    """The body as JSON; every number a Decimal. Malformed JSON, NaN, Infinity and over-deep nesting are
    400; numbers DynamoDB cannot store are 422, their fields named relative to `root_key`'s object, as
    Lago names fields (`vat_rate`, not `customer.vat_rate`).

    (The middleware has already refused bodies over MAX_BODY_BYTES.)"""
    if not raw_body:
        return None
    try:
        document = json.loads(raw_body.decode("utf-8"), parse_float=Decimal, parse_int=Decimal,
                              parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, error="BadRequest: the body is not valid JSON") from None
    unstorable = _unstorable_numbers(document, "")
    if unstorable:
        prefix = f"{root_key}." if root_key else ""
        raise invalid_fields({path.removeprefix(prefix): codes for path, codes in unstorable.items()})
    return document


def root_object(raw_body: bytes | None, root_key: str) -> dict:
    """The object under Lago's root key (`{"customer": {...}}`); 400 as Rails answers when it is missing."""
    document = parse_json(raw_body, root_key)
    if not isinstance(document, dict) or not isinstance(document.get(root_key), dict) or not document[root_key]:
        raise missing_root_key(root_key)
    return document[root_key]

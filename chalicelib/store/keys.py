"""The key scheme: every key of the control table, and the encoding of ids that users choose.

Every item of an organization lives under its partition `ORG#<organization id>`; the organization id is
ours (a UUID), so a user's id can never name another organization's partition. A user's id (an
external_id, a code) is only ever one component of a sort key, encoded by `encode_user_id`.
"""
from __future__ import annotations

import hashlib

SEPARATOR = "#"
# Longest encoded user id kept readable; longer ones are hashed, so a key stays far below
# DynamoDB's 1,024-byte sort-key limit whatever the id (255 four-byte characters are 1,020 bytes).
MAX_READABLE_ID_BYTES = 512
_ESCAPES = (("%", "%25"), ("#", "%23"))
# `%` followed by a non-hex letter never appears in an escaped id, so this prefix cannot collide.
_HASHED_PREFIX = "%H"


def encode_user_id(user_id: str) -> str:
    """An injective, separator-free, size-bounded form of an id a user chose.

    `%` and `#` are percent-escaped (so the result never contains the separator, and two different ids
    never escape to the same string); an escaped id over MAX_READABLE_ID_BYTES becomes `%H` plus its
    SHA-256, and the item stores the id itself so that a reader can check it.
    """
    escaped = user_id
    for raw, escape in _ESCAPES:
        escaped = escaped.replace(raw, escape)
    if len(escaped.encode("utf-8")) <= MAX_READABLE_ID_BYTES:
        return escaped
    return _HASHED_PREFIX + hashlib.sha256(user_id.encode("utf-8")).hexdigest()


def organization_pk(organization_id: str) -> str:
    return f"ORG{SEPARATOR}{organization_id}"


ORGANIZATION_SK = "ORGANIZATION"
CUSTOMER_COUNTER_SK = "COUNTER#customers"
CUSTOMER_SK_PREFIX = f"CUSTOMER{SEPARATOR}"
DELETED_CUSTOMER_SK_PREFIX = f"DELETED_CUSTOMER{SEPARATOR}"
API_KEY_SK_PREFIX = f"API_KEY{SEPARATOR}"


def customer_sk(customer_id: str) -> str:
    return CUSTOMER_SK_PREFIX + customer_id


def deleted_customer_sk(customer_id: str) -> str:
    return DELETED_CUSTOMER_SK_PREFIX + customer_id


def customer_external_id_sk(external_id: str) -> str:
    return f"CUSTOMER_EXTERNAL_ID{SEPARATOR}{encode_user_id(external_id)}"


def api_key_pk(key_hash: str) -> str:
    """The global item that resolves an API key's hash to its organization."""
    return f"API_KEY{SEPARATOR}{key_hash}"


API_KEY_LOOKUP_SK = "API_KEY"


def organization_api_key_sk(key_id: str) -> str:
    """The organization's own record of one of its keys (to list and revoke them)."""
    return API_KEY_SK_PREFIX + key_id

"""`parse_json`: numbers as exact Decimals, no NaN or Infinity, bounded nesting, and only numbers that
DynamoDB can store."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.api.body import parse_json, root_object
from chalicelib.api.errors import ApiError

BAD_JSON = {"status": 400, "error": "BadRequest: the body is not valid JSON"}
TOO_DEEP = {"status": 400, "error": "BadRequest: the JSON body is nested too deeply"}


def refusal(raw: bytes, root_key: str | None = None):
    with pytest.raises(ApiError) as raised:
        parse_json(raw, root_key)
    return raised.value.response.status_code, raised.value.response.body


def invalid(*fields: str) -> tuple[int, dict]:
    return 422, {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
                 "error_details": {field: ["value_is_invalid"] for field in fields}}


def test_numbers_are_exact_decimals():
    document = parse_json(b'{"int": 20, "fraction": 0.1, "zeros": 1.50, "exponent": 1e2, "negative": -3}')
    assert document == {"int": Decimal("20"), "fraction": Decimal("0.1"), "zeros": Decimal("1.50"),
                        "exponent": Decimal("1E+2"), "negative": Decimal("-3")}
    assert all(type(value) is Decimal for value in document.values())
    assert str(document["zeros"]) == "1.50"


def test_other_values_are_plain_json():
    assert parse_json(b'{"a": [true, null, "x"], "b": {}}') == {"a": [True, None, "x"], "b": {}}


def test_empty_body_is_none():
    assert parse_json(b"") is None
    assert parse_json(None) is None


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b"NaN",
                                 b'{"a": 1', b'{"a": 1} {}', b"\xff", b"{'a': 1}"])
def test_not_json_is_400(raw):
    assert refusal(raw) == (400, BAD_JSON)


def test_nesting_is_bounded():
    # 33 nested arrays put the innermost at depth 32, the deepest allowed; one more is refused.
    assert parse_json(b"[" * 33 + b"]" * 33) is not None
    assert refusal(b"[" * 34 + b"]" * 34) == (400, TOO_DEEP)
    assert refusal(b'{"a": ' * 100 + b"1" + b"}" * 100) == (400, TOO_DEEP)
    # Deep enough to exhaust the decoder's own recursion: still a 400, never a crash.
    assert refusal(b"[" * 100_000 + b"]" * 100_000) == (400, BAD_JSON)


def test_38_digits_are_kept_exactly():
    digits = "1234567890123456789012345678901234567.8"  # 38 digits
    assert parse_json(f'{{"n": {digits}}}'.encode()) == {"n": Decimal(digits)}
    assert str(parse_json(f'{{"n": {digits}}}'.encode())["n"]) == digits
    assert parse_json(b'{"n": 12345678901234567890123456789012345678}')["n"] == Decimal(
        "12345678901234567890123456789012345678")


@pytest.mark.parametrize("number", [
    "1.00000000000000000000000000000000000001",  # 39 significant digits
    "123456789012345678901234567890123456789",   # 39-digit integer
    "20." + "0" * 37,                            # 39 digits written, trailing zeros included
    "1e126", "1e400", "-1e400", "1e-131", "1e-400", "0e1000",
])
def test_numbers_dynamodb_cannot_store_are_422_naming_the_field(number):
    assert refusal(f'{{"n": {number}}}'.encode()) == invalid("n")


@pytest.mark.parametrize("number", ["1e125", "9.9999999999999999999999999999999999999e125", "1e-130", "-1e-130",
                                    "0", "-0", "0.0", "1" + "0" * 37])
def test_numbers_at_dynamodbs_limits_are_accepted(number):
    assert parse_json(f'{{"n": {number}}}'.encode()) == {"n": Decimal(number)}


def test_unstorable_numbers_are_named_by_their_path():
    raw = b'{"customer": {"vat_rate": 1e400, "billing_configuration": {"vat_rate": 1e400}, "list": [1, 1e400]}}'
    assert refusal(raw) == invalid("customer.vat_rate", "customer.billing_configuration.vat_rate", "customer.list.1")
    # Under Lago's root key, fields are named as Lago names them: relative to the root object.
    assert refusal(raw, "customer") == invalid("vat_rate", "billing_configuration.vat_rate", "list.1")


@pytest.mark.parametrize("raw", [b"", b"[]", b'"customer"', b'{"customer": null}', b'{"customer": []}',
                                 b'{"customer": {}}', b'{"client": {"a": 1}}'])
def test_root_object_requires_a_non_empty_object_under_the_root_key(raw):
    with pytest.raises(ApiError) as raised:
        root_object(raw, "customer")
    assert raised.value.response.status_code == 400
    assert raised.value.response.body == {"status": 400,
                                          "error": "BadRequest: param is missing or the value is empty: customer"}


def test_root_object_returns_the_object():
    assert root_object(b'{"customer": {"vat_rate": 20}}', "customer") == {"vat_rate": Decimal(20)}

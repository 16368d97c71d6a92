"""moto's responses at the cost of their content, for the local stack and the tests (nothing here runs in AWS).

moto 5.2.5 serializes each response by walking the operation's output shape, and for every member of every structure
it works out again the names the value might hide under (aliases by shape, by class, by model, each also in
snake_case). A DynamoDB attribute value is a structure of ten members: reading one item of ten attributes built a
hundred contexts and hundreds of candidate names, about a third of the CPU time of a test on moto. For a plain dict
(what moto's DynamoDB and SQS responses hold) the candidates depend only on the key and the shape, so they are worked
out once per (picker, key, shape, parent shape) and kept; the value picked is the same, in the same order of
preference. And DynamoDB's item operations (GetItem, Query, PutItem, ...), whose results are already
DynamoDB's JSON, are written with `json.dumps` instead of the shape walk, the None members left out as the serializer
leaves them (the same bytes' meaning: tests/integration/test_moto_fixes.py compares both on every kind of item).

`install()` is idempotent."""
from __future__ import annotations

import json
from typing import Any

from botocore.model import OperationModel
from moto.core import serialize
from moto.core.responses import ActionContext
from moto.core.utils import MISSING, get_value
from moto.dynamodb.responses import DynamoResult

_original_pick = serialize.AttributePicker.__call__
_candidates: dict[tuple, tuple[str, ...]] = {}


def _pick(picker: serialize.AttributePicker, context: serialize.AttributePickerContext) -> Any:
    """`AttributePicker.__call__`, with the candidate names of a plain dict's member remembered."""
    if type(context.obj) is not dict:
        return _original_pick(picker, context)
    shape = context.shape
    cache_key = (type(picker), tuple(picker.alias_providers), context.key, shape, getattr(shape, "parent", None))
    names = _candidates.get(cache_key)
    if names is None:
        names = _candidates[cache_key] = tuple(picker.get_possible_keys(context))
    value = None
    for name in names:
        found = get_value(context.obj, name, MISSING)
        if found is not MISSING:
            value = found
            break
    if picker.response_transformers:
        key_path = f"{context.key_path}.{context.key}"
        for transform_path, transform in picker.response_transformers.items():
            if key_path.endswith(transform_path):
                return transform(value)
    return value


# DynamoDB's item operations: their results hold only items and keys (strings, numbers, booleans, nulls, lists and
# maps of them), which moto's JSON serializer writes out as they are, but for the members that are None.
_ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                              "TransactGetItems"})
_JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.0"}


def _plain(value: Any) -> Any:
    """The value without None members, or MISSING when it holds anything but JSON's own types (bytes of a binary
    attribute, a datetime): those keep moto's serializer."""
    if isinstance(value, dict):
        plain = {}
        for key, member in value.items():
            if member is None:
                continue
            member = _plain(member)
            if member is MISSING:
                return MISSING
            plain[key] = member
        return plain
    if isinstance(value, list):
        items = [_plain(member) for member in value]
        return MISSING if any(item is MISSING for item in items) else items
    return value if isinstance(value, (str, int, float, bool)) else MISSING


def plain_json_result(result: object, operation: OperationModel) -> tuple[int, dict[str, str], str] | None:
    """(status, headers, body) of an item operation's result, written as JSON directly (its members that the
    operation's output has, as the serializer keeps); None for any other."""
    if operation.name not in _ITEM_OPERATIONS or not isinstance(result, dict) or operation.output_shape is None:
        return None
    members = operation.output_shape.members
    plain = _plain({name: value for name, value in result.items() if name in members})
    return None if plain is MISSING else (200, dict(_JSON_HEADERS), json.dumps(plain))


_original_execute = DynamoResult.execute_result


def _execute_result(result: DynamoResult, context: ActionContext) -> Any:
    """`DynamoResult.execute_result`, an item operation's plain result written without walking its shape."""
    written = plain_json_result(result.result, context.operation_model)
    return written if written is not None else _original_execute(result, context)


def install() -> None:
    serialize.AttributePicker.__call__ = _pick
    DynamoResult.execute_result = _execute_result  # type: ignore[method-assign]

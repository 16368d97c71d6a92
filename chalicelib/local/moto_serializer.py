"""moto's responses at the cost of their content, for the local stack and the tests (nothing here runs in AWS).

moto 5.2.5 serializes each response by walking the operation's output shape, and for every member of every structure
it works out again the names the value might hide under (aliases by shape, by class, by model, each also in
snake_case). A DynamoDB attribute value is a structure of ten members: reading one item of ten attributes built a
hundred contexts and hundreds of candidate names, about a third of the CPU time of a test on moto. For a plain dict
(what moto's DynamoDB and SQS responses hold) the candidates depend only on the key and the shape, so they are worked
out once per (picker, key, shape, parent shape) and kept; the value picked is the same, in the same order of
preference.

`install()` is idempotent."""
from __future__ import annotations

from typing import Any

from moto.core import serialize
from moto.core.utils import MISSING, get_value

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


def install() -> None:
    serialize.AttributePicker.__call__ = _pick

"""Pricing groups (Lago's `pricing_group_keys`, formerly `grouped_by`): a charge bucket whose properties name group
keys aggregates and prices each distinct combination of the events' values of those keys on its own."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from chalicelib.domain.aggregations.events import scalar_text

# A group: (key, value) in the bucket's key order; the value is the property as Lago's `properties->>key` reads it,
# None when the event lacks the key (or it is null). `()` is an ungrouped bucket's only group.
PricingGroup = tuple[tuple[str, str | None], ...]
UNGROUPED: PricingGroup = ()


def pricing_group(keys: Sequence[str], properties: Mapping[str, object]) -> PricingGroup:
    """The group an event with these properties falls in, for a bucket grouped by `keys` (none: `UNGROUPED`)."""
    return tuple((key, _group_value(properties.get(key))) for key in keys)


def empty_group(keys: Sequence[str]) -> PricingGroup:
    """What a grouped bucket without usage shows (Lago: every key null); `UNGROUPED` when not grouped."""
    return tuple((key, None) for key in keys)


def is_group_of(group: PricingGroup, keys: Sequence[str]) -> bool:
    """Whether a stored group belongs to a bucket grouped by `keys` now: a changed key list is a new bucket, as a
    changed filter is."""
    return tuple(key for key, _ in group) == tuple(keys)


def _group_value(value: object) -> str | None:
    """Lago groups on the property's text (`properties->>key`): 8 and "8" are one group, true is "true"; an object
    or array is its JSON text."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return scalar_text(value)

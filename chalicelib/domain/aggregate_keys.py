"""Which aggregate a contribution goes to, and what an aggregate holds: `AggregateKey` and the names of its parts
(a charge filter's bucket, a percentage bucket's transactions, the applied-events pseudo-charge). How they are laid
out in the usage table is the store's (chalicelib/store/keys.py); docs/data-model.md ("Usage table")."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.aggregations.moments import Moments
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.unique_count import Histories
from chalicelib.domain.pricing.groups import UNGROUPED, PricingGroup

DEFAULT_BUCKET = "default"
SEQUENCE_DIGITS = 40  # stream sequence numbers are decimal strings that can exceed DynamoDB's 38-digit numbers
# The pseudo-charge of a period's applied-events counter: every event the aggregator applied to the period,
# whatever its charges (a charge id is a UUID: this one cannot collide).
APPLIED_EVENTS_CHARGE = "applied-events"


def bucket_key(charge_filter_values: Mapping[str, Iterable[str]] | None) -> str:
    """The filter bucket of a charge filter's `values` (None: the charge's default bucket). Filters have no ids:
    the canonical JSON (keys and values sorted) is hashed, so a changed filter is a new bucket."""
    if charge_filter_values is None:
        return DEFAULT_BUCKET
    canonical = json.dumps({key: sorted(values) for key, values in charge_filter_values.items()},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "F" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def transactions_bucket(bucket: str) -> str:
    """The aggregate beside a percentage charge's bucket holding its per-event `Transactions`."""
    return f"{bucket}#transactions"


@dataclass(frozen=True)
class AggregateKey:
    organization_id: str
    subscription_id: str
    period_start_ms: int
    charge_id: str
    bucket: str
    group: PricingGroup = UNGROUPED


def applied_events_key(organization_id: str, subscription_id: str, period_start_ms: int) -> AggregateKey:
    return AggregateKey(organization_id, subscription_id, period_start_ms, APPLIED_EVENTS_CHARGE, DEFAULT_BUCKET)


def aggregate_part(key: AggregateKey) -> str:
    """The name, in a dead letter, of an aggregate (or a unique-count charge's values) an event was not applied to."""
    return json.dumps([key.subscription_id, key.period_start_ms, key.charge_id, key.bucket])


def padded_sequence(sequence_number: str | int) -> str:
    """A shard's watermark: its sequence number zero-padded, so that string order is numeric order."""
    return f"{int(sequence_number):0{SEQUENCE_DIGITS}d}"


def is_additive(state: Any) -> bool:
    """Whether a state combines by addition alone (count, sum, weighted sum): applied without reading it first."""
    return isinstance(state, (int, Totals, Moments)) and not isinstance(state, bool)


@dataclass(frozen=True)
class StoredAggregate:
    """One aggregate as stored: the aggregation's state and the number of events applied to it."""

    state: Any
    events_count: int
    window_start_ms: int | None = None
    period_end_ms: int | None = None

    @classmethod
    def of_values(cls, histories: Histories) -> StoredAggregate:
        """A unique-count bucket read as its values' operations (the state a prorated or recurring count prices),
        one event counted per operation."""
        return cls(histories, sum(len(operations) for operations in histories.values()))


@dataclass(frozen=True)
class AggregateItem:
    """An aggregate as the aggregator reads it back: its state, shard watermarks and revision."""

    state: Any
    watermarks: dict[str, str]
    revision: int


class WatermarkConflict(Exception):
    """The conditional update found the shard's watermark at or past the group's first record (a replay), or
    a max/latest aggregate changed since it was read: read it again and retry with what is left."""

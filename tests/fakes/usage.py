"""In-memory twins of the data-plane ports the stream aggregator and rebuild-usage use (chalicelib/usage/ports.py):
the usage aggregates with their shard watermarks, the events' data-plane reads and marks, the dead letters, the
stream's shard lineage, and the pay-in-advance charges' states and fees (written in an event's fee transaction).
They answer and refuse as the DynamoDB adapters do (chalicelib/store/usage.py, events.py, dead_letters.py,
stream_lineage.py, in_advance.py, fees.py); tests/integration/test_data_plane_contracts.py and
test_billing_port_contracts.py run one suite against both."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fakes.control_plane import InMemoryEvents
from fakes.unit_of_work import in_memory

from chalicelib.domain.aggregate_keys import (
    APPLIED_EVENTS_CHARGE,
    AggregateItem,
    AggregateKey,
    StoredAggregate,
    WatermarkConflict,
    applied_events_key,
    is_additive,
    padded_sequence,
)
from chalicelib.domain.aggregations.pay_in_advance import InAdvanceState
from chalicelib.domain.aggregations.unique_count import ActiveValues, CountedValue, ValueWrite
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.dead_events import DeadEvent
from chalicelib.domain.errors import FeeAlreadyCreated, StaleWrite
from chalicelib.domain.events import Event, UnbillableReason, iso_ms
from chalicelib.domain.fees import PayInAdvanceFee
from chalicelib.domain.pricing.groups import PricingGroup
from chalicelib.store import keys
from chalicelib.store.usage import TRANSACTION_VALUES
from chalicelib.usage.ports import Revised
from chalicelib.usecases.ports import UnitOfWork


@dataclass
class _Aggregate:
    """An aggregate item: its state, the last window written, each shard's watermark and its revision."""

    state: Any
    window_start_ms: int | None  # None: a unique count's summary (not one window's)
    period_end_ms: int | None
    watermarks: dict[str, str] = field(default_factory=dict)
    revision: int = 0

    def as_read(self) -> AggregateItem:
        return AggregateItem(self.state, dict(self.watermarks), self.revision)


def _events_count(state: Any) -> int:
    return state if isinstance(state, int) else state.events_count


class InMemoryUsage:
    """The UsageStore port: aggregates (unique counts' summaries among them) by key, and each unique-count value with
    its revision by (key, value)."""

    def __init__(self) -> None:
        self.aggregates: dict[AggregateKey, _Aggregate] = {}
        self.values: dict[tuple[AggregateKey, str], Revised[CountedValue]] = {}

    # ------------------------------------------------------------------------------------------- reads
    def _of(self, organization_id: str, subscription_id: str) -> Iterator[tuple[AggregateKey, _Aggregate]]:
        return ((key, aggregate) for key, aggregate in self.aggregates.items()
                if (key.organization_id, key.subscription_id) == (organization_id, subscription_id))

    def period_aggregates(self, organization_id: str, subscription_id: str, period_start_ms: int
                          ) -> dict[tuple[str, str, PricingGroup], StoredAggregate]:
        return {(key.charge_id, key.bucket, key.group): StoredAggregate(
                    aggregate.state, _events_count(aggregate.state), aggregate.window_start_ms,
                    aggregate.period_end_ms)
                for key, aggregate in self._of(organization_id, subscription_id)
                if key.period_start_ms == period_start_ms and key.charge_id != APPLIED_EVENTS_CHARGE}

    def stored_values(self, organization_id: str, subscription_id: str, period_start_ms: int | None = None
                      ) -> dict[AggregateKey, dict[str, CountedValue]]:
        values: dict[AggregateKey, dict[str, CountedValue]] = {}
        for (key, value), stored in self.values.items():
            if ((key.organization_id, key.subscription_id) == (organization_id, subscription_id)
                    and period_start_ms in (None, key.period_start_ms)):
                values.setdefault(key, {})[value] = stored.value
        return values

    def counted_values(self, key: AggregateKey, values: Iterable[str]) -> dict[str, Revised[CountedValue]]:
        return {value: self.values.get((key, value), Revised(CountedValue(), 0)) for value in values}

    def all_aggregates(self, organization_id: str, subscription_id: str) -> dict[AggregateKey, AggregateItem]:
        return {key: aggregate.as_read() for key, aggregate in self._of(organization_id, subscription_id)}

    def applied_events(self, organization_id: str, subscription_id: str, period_start_ms: int) -> int:
        item = self.get_aggregate(applied_events_key(organization_id, subscription_id, period_start_ms))
        return item.state if item else 0

    def get_aggregate(self, key: AggregateKey) -> AggregateItem | None:
        aggregate = self.aggregates.get(key)
        return aggregate.as_read() if aggregate else None

    # ------------------------------------------------------------------------------------------ writes
    def apply(self, key: AggregateKey, state: Any, *, shard: str, first_sequence: str, last_sequence: str,
              window_start_ms: int, period_end_ms: int, read: AggregateItem | None = None,
              read_done: bool = False, settled_shards: Iterable[str] = ()) -> None:
        """Refused (WatermarkConflict) when the shard's watermark is at or past `first_sequence`, or, for a max or
        latest state, when the item is not at the revision of `read` (absent when `read` is None)."""
        current = self.aggregates.get(key)
        watermark = current.watermarks.get(shard) if current else None
        if watermark is not None and watermark >= padded_sequence(first_sequence):
            raise WatermarkConflict(key)
        additive = is_additive(state)
        if not additive:
            if not read_done:
                raise ValueError("a max/latest aggregate is SET from the item as read")
            if (current is not None) if read is None else (current is None or current.revision != read.revision):
                raise WatermarkConflict(key)
        stored = current.state + state if additive and current is not None else state
        watermarks = {settled: mark for settled, mark in (current.watermarks if current else {}).items()
                      if settled == shard or settled not in set(settled_shards)}
        watermarks[shard] = padded_sequence(last_sequence)
        self.aggregates[key] = _Aggregate(stored, window_start_ms, period_end_ms, watermarks,
                                          (current.revision if current else 0) + 1)

    def write_values(self, key: AggregateKey, writes: Mapping[str, ValueWrite]) -> None:
        """As DynamoDB: each value that moves nothing alone, then the others in transactions of TRANSACTION_VALUES
        with their summary's change; a value no longer at its read revision refuses its own write or transaction
        (StaleWrite), the ones before it stay written."""
        moving = [(value, write) for value, write in writes.items() if write.change != ActiveValues()]
        for value, write in writes.items():
            if write.change == ActiveValues():
                self._write_together(key, [(value, write)], moves_summary=False)
        for first in range(0, len(moving), TRANSACTION_VALUES):
            self._write_together(key, moving[first:first + TRANSACTION_VALUES], moves_summary=True)

    def _write_together(self, key: AggregateKey, writes: list[tuple[str, ValueWrite]], moves_summary: bool) -> None:
        if any(self.values.get((key, value), Revised(CountedValue(), 0)).revision != write.read_revision
               for value, write in writes):
            raise StaleWrite()
        for value, write in writes:
            self.values[(key, value)] = Revised(write.written, write.read_revision + 1)
        if moves_summary:
            summary = sum((write.change for _, write in writes), ActiveValues())
            current = self.aggregates.get(key)
            self.aggregates[key] = _Aggregate((current.state if current else ActiveValues()) + summary, None, None,
                                              {}, (current.revision if current else 0) + 1)

    def replace_value(self, key: AggregateKey, value: str, written: CountedValue) -> None:
        if written.operations:
            self.values[(key, value)] = Revised(written, 1)
        else:
            self.values.pop((key, value), None)

    def replace_summary(self, key: AggregateKey, summary: ActiveValues) -> None:
        self.aggregates[key] = _Aggregate(summary, None, None, {}, 1)

    def replace_aggregate(self, key: AggregateKey, state: Any, *, window_start_ms: int, period_end_ms: int,
                          kept: AggregateItem | None, watermarks: Mapping[str, str] | None = None) -> None:
        """Refused (StaleWrite; the adapter lets DynamoDB's ConditionalCheckFailed through) when the item moved
        since `kept` was read."""
        current = self.aggregates.get(key)
        if (current is not None) if kept is None else (current is None or current.revision != kept.revision):
            raise StaleWrite()
        self.aggregates[key] = _Aggregate(state, window_start_ms, period_end_ms,
                                          dict(kept.watermarks if kept else (watermarks or {})),
                                          (kept.revision if kept else 0) + 1)


def _time_order(event: Event) -> tuple[int, str]:
    """The events index's order: timestamp, then the transaction id as its key encodes it."""
    return event.timestamp_ms, keys.encode_user_id(event.transaction_id)


class InMemoryEventStore(InMemoryEvents):
    """The events of the control plane's fake, with what the aggregator, the biller and rebuild-usage read and mark."""

    def _of_subscription(self, organization_id: str, external_subscription_id: str) -> list[Event]:
        return sorted((event for event in self.stored.values() if event.organization_id == organization_id
                       and event.external_subscription_id == external_subscription_id), key=_time_order)

    def in_window(self, organization_id: str, external_subscription_id: str, from_ms: int,
                  to_ms: int) -> list[Event]:
        return [event for event in self._of_subscription(organization_id, external_subscription_id)
                if from_ms <= event.timestamp_ms <= to_ms]

    def stored_images(self, organization_id: str, external_subscription_id: str) -> Iterator[dict[str, Any]]:
        """Each event's fields as stored (numbers as Python ints where DynamoDB gives Decimals; no key attributes)."""
        for event in self._of_subscription(organization_id, external_subscription_id):
            yield event.model_dump(exclude_none=True)

    def mark_unbillable(self, organization_id: str, transaction_id: str, external_subscription_id: str,
                        timestamp_ms: int, reason: UnbillableReason) -> None:
        key = (organization_id, transaction_id, external_subscription_id)
        if key in self.stored:  # an event no longer stored has nothing to mark
            self.stored[key] = self.stored[key].model_copy(update={"unbillable_reason": reason})


@dataclass
class _DeadLetter:
    image: dict[str, Any]
    reason: str
    attempts: int = 0
    parts: tuple[str, ...] | None = None
    dead_lettered_at: datetime | None = None  # set once buried


class InMemoryDeadLetters:
    """The DeadLetterStore port: failed deliveries counted per event, and the events set aside."""

    def __init__(self) -> None:
        self.letters: dict[tuple[str, str, str], _DeadLetter] = {}

    @staticmethod
    def _key(image: Mapping[str, Any]) -> tuple[str, str, str]:
        return image["organization_id"], image["external_subscription_id"], image["transaction_id"]

    def count_failure(self, image: dict[str, Any], reason: str) -> int:
        letter = self.letters.setdefault(self._key(image), _DeadLetter(image, reason))
        letter.reason, letter.attempts = reason, letter.attempts + 1
        return letter.attempts

    def bury(self, image: dict[str, Any], reason: str, parts: tuple[str, ...] | None, now: datetime) -> None:
        letter = self.letters.setdefault(self._key(image), _DeadLetter(image, reason))
        letter.image, letter.reason, letter.parts = image, reason, parts
        letter.dead_lettered_at = letter.dead_lettered_at or now

    def dead_events(self, organization_id: str, external_subscription_id: str | None = None) -> list[DeadEvent]:
        """By external subscription id, then transaction id, as their keys encode them."""
        found = [DeadEvent(organization, subscription, transaction, letter.image, letter.reason, letter.attempts,
                           letter.parts, letter.dead_lettered_at)
                 for (organization, subscription, transaction), letter in self.letters.items()
                 if organization == organization_id and letter.dead_lettered_at is not None
                 and external_subscription_id in (None, subscription)]
        return sorted(found, key=lambda dead: keys.dead_event_sk(dead.external_subscription_id, dead.transaction_id))

    def forget(self, dead: DeadEvent) -> None:
        self.letters.pop(self._key(dead.image), None)


class InMemoryShardLineage:
    """The ShardLineage port on a stream's parent links, as DescribeStream would give them."""

    def __init__(self, parents: Mapping[str, Mapping[str, str | None]] | None = None) -> None:
        self.parents: dict[str, dict[str, str | None]] = {arn: dict(links) for arn, links in (parents or {}).items()}

    def ancestors(self, stream_arn: str, shard_id: str) -> tuple[str, ...]:
        links = self.parents.get(stream_arn, {})
        found: list[str] = []
        current = links.get(shard_id)
        while current is not None and current not in found:
            found.append(current)
            current = links.get(current)
        return tuple(found)


class InMemoryInAdvance:
    """The InAdvanceStore port: each pay-in-advance bucket's state and each unique-count value's presence, with their
    revisions (0: absent), written in the event's fee transaction on condition that they are still at the revision
    read (else StaleWrite)."""

    def __init__(self) -> None:
        self.states: dict[AggregateKey, Revised[InAdvanceState]] = {}
        self.presences: dict[tuple[AggregateKey, str], Revised[bool]] = {}

    def state(self, key: AggregateKey) -> Revised[InAdvanceState]:
        return self.states.get(key, Revised(InAdvanceState(), 0))

    def presence(self, key: AggregateKey, value: str) -> Revised[bool]:
        return self.presences.get((key, value), Revised(False, 0))

    def stage_state(self, unit: UnitOfWork, key: AggregateKey, state: InAdvanceState, read_revision: int) -> None:
        in_memory(unit).add(lambda: self.state(key).revision == read_revision,
                            lambda: self.states.__setitem__(key, Revised(state, read_revision + 1)),
                            item=("in-advance state", key))

    def stage_presence(self, unit: UnitOfWork, key: AggregateKey, value: str, active: bool,
                       read_revision: int) -> None:
        in_memory(unit).add(lambda: self.presence(key, value).revision == read_revision,
                            lambda: self.presences.__setitem__((key, value), Revised(active, read_revision + 1)),
                            item=("in-advance presence", key, value))


def _fee_order(fee: PayInAdvanceFee) -> str:
    """Where a fee's list copies sort: its event's reception, then its id."""
    return keys.list_order(iso_ms(epoch_ms(fee.created_at)), fee.id)


class InMemoryFees:
    """The FeeStore port and what the API reads: pay-in-advance fees by id, listed newest first."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], PayInAdvanceFee] = {}

    def get(self, organization_id: str, fee_id: str) -> PayInAdvanceFee | None:
        return self.stored.get((organization_id, fee_id))

    def list_page(self, organization_id: str, page: int, per_page: int, *, customer_id: str | None = None,
                  external_subscription_id: str | None = None) -> list[PayInAdvanceFee]:
        return self._listed(organization_id, customer_id, external_subscription_id)[(page - 1) * per_page:
                                                                                     page * per_page]

    def count(self, organization_id: str, *, customer_id: str | None = None,
              external_subscription_id: str | None = None) -> int:
        return len(self._listed(organization_id, customer_id, external_subscription_id))

    def _listed(self, organization_id: str, customer_id: str | None,
                external_subscription_id: str | None) -> list[PayInAdvanceFee]:
        return sorted((fee for (organization, _), fee in self.stored.items()
                       if organization == organization_id and customer_id in (None, fee.customer_id)
                       and external_subscription_id in (None, fee.external_subscription_id)),
                      key=_fee_order, reverse=True)

    def stage_create(self, unit: UnitOfWork, fee: PayInAdvanceFee) -> None:
        """Refused with FeeAlreadyCreated when the fee exists (its event's fee is created once)."""
        key = (fee.organization_id, fee.id)
        in_memory(unit).add(lambda: key not in self.stored, lambda: self.stored.__setitem__(key, fee),
                            lambda: FeeAlreadyCreated(fee.id), item=("fee", *key))

"""The stream aggregator: a batch of events-table INSERT records becomes per-period aggregates, exactly once.

Each record is routed (chalicelib/usage/routing.py) to the aggregates of the charges that bill it; the batch is
grouped by (aggregate, shard) and each group applied with ONE conditional UpdateItem that also advances the
shard's watermark on the aggregate; records at or below the watermark are dropped on a condition failure and
the rest retried. The unique-count values a batch touches are read once per bucket and each written once, their
bucket's summary moved by their changes in the same transaction (`_count_values`: a set union and each value's
`counted`, no watermark needed). An event of a pay-in-advance charge then gets its own fee
(chalicelib/usage/in_advance.py).
Why this is exactly-once: docs/data-model.md ("Usage table") and docs/pay-in-advance.md."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from typing import Any

from chalicelib.domain.aggregate_keys import (
    APPLIED_EVENTS_CHARGE,
    AggregateKey,
    WatermarkConflict,
    aggregate_part,
    is_additive,
    padded_sequence,
)
from chalicelib.domain.aggregations.unique_count import (
    Operation,
    UniqueCountAggregation,
    ValueWrite,
    summary_change,
)
from chalicelib.domain.aggregations.windows import from_epoch_ms
from chalicelib.domain.dead_events import POISON_ATTEMPTS, DeadEvent
from chalicelib.domain.errors import Contention, StaleWrite
from chalicelib.domain.events import UnbillableReason
from chalicelib.observability import failure_reason, logger
from chalicelib.setup_cache import SetupCache
from chalicelib.usage.in_advance import InAdvanceBilling
from chalicelib.usage.ports import UsageStores
from chalicelib.usage.routing import DraftToRefresh, Routed, Router, StoredEvent

MAX_ATTEMPTS = 5
REPLAY_SEQUENCE = "1"  # a replay is the only record of its shard


@dataclass(frozen=True)
class StreamRecord:
    sequence_number: str
    shard: str
    new_image: dict[str, Any]
    stream_arn: str | None = None

    @property
    def position(self) -> int:
        return int(self.sequence_number)


@dataclass
class _Group:
    """The records of one batch that go to one aggregate from one shard, in sequence order."""

    shard: str
    entries: list[tuple[StreamRecord, Routed]] = field(default_factory=list)


@dataclass
class _ValueChange:
    """What one batch brings to one unique-count value: its operations, the ends of the periods they were routed
    to, and the records they came from."""

    operations: set[Operation] = field(default_factory=set)
    period_ends_ms: set[int] = field(default_factory=set)
    sources: list[StreamRecord] = field(default_factory=list)

    def add(self, operations: Iterable[Operation], period_end_ms: int, record: StreamRecord) -> None:
        self.operations.update(operations)
        self.period_ends_ms.add(period_end_ms)
        self.sources.append(record)


UNBILLABLE_PART = "unbillable"
IN_ADVANCE_PART = "in_advance"


@dataclass
class _Fault:
    """A record that raised itself: the first error, and the parts it raised for (None: its routing failed)."""

    record: StreamRecord
    error: Exception
    parts: set[str] | None


@dataclass
class _Failures:
    """The records of a batch not applied: those that raised (faults), and those held back behind one."""

    records: list[StreamRecord] = field(default_factory=list)
    faults: dict[str, _Fault] = field(default_factory=dict)

    def add(self, record: StreamRecord, error: Exception, part: str | None) -> None:
        self.records.append(record)
        fault = self.faults.setdefault(record.sequence_number, _Fault(record, error, set()))
        if part is None or fault.parts is None:
            fault.parts = None
        else:
            fault.parts.add(part)

    def hold(self, records: Iterable[StreamRecord]) -> None:
        self.records.extend(records)

    def forgive(self, sequence_numbers: set[str]) -> None:
        """Take the dead-lettered records out: the shard goes on past them."""
        self.records = [record for record in self.records if record.sequence_number not in sequence_numbers]


@dataclass(frozen=True)
class BatchOutcome:
    """What the stream should redeliver (a failed record and every later record of its shard) and how many records
    this batch set aside as dead letters."""

    not_applied: set[str]
    dead_lettered: int


class Aggregator:
    def __init__(self, repositories: UsageStores, now: datetime, setup: SetupCache | None = None):
        self._usage = repositories.usage
        self._events = repositories.events
        self._router = Router(repositories, now, setup)
        self._lineage = repositories.stream_lineage
        self._invoices = repositories.invoices
        self._dead_letters = repositories.dead_letters
        self._is_transient = repositories.is_transient_failure
        self._in_advance = InAdvanceBilling(repositories)
        self._now = now

    def apply_batch(self, records: Iterable[StreamRecord]) -> BatchOutcome:
        """Apply the records. A record that keeps failing for a reason of its own is set aside after POISON_ATTEMPTS
        deliveries (docs/operations.md, "Dead-lettered events"), so it never holds up its shard."""
        records = sorted(records, key=lambda record: (record.shard, record.position))
        groups: dict[tuple[AggregateKey, str], _Group] = {}
        values: dict[AggregateKey, dict[str, _ValueChange]] = defaultdict(lambda: defaultdict(_ValueChange))
        failed = _Failures()
        unbillable: list[tuple[StreamRecord, UnbillableReason, Routed | None]] = []
        drafts: dict[DraftToRefresh, StreamRecord] = {}
        in_advance: list[tuple[StreamRecord, list[Routed]]] = []
        unroutable_shards: set[str] = set()
        for record in records:
            if record.shard in unroutable_shards:
                # Behind a record of its shard that could not be routed: that one's aggregates are unknown, so no
                # aggregate may have its watermark moved past it by a later record. Both come again.
                failed.hold([record])
                continue
            try:
                routing = self._router.route(StoredEvent.of(record.new_image))
                routes = routing.routes
                if routing.unbillable_reason is not None:
                    unbillable.append((record, routing.unbillable_reason, _counter_route(routes)))
                if charged := [routed for routed in routes if routed.in_advance is not None]:
                    in_advance.append((record, charged))
                for routed in routes:
                    if routed.draft is not None:
                        drafts.setdefault(routed.draft, record)
                    if isinstance(routed.aggregation, UniqueCountAggregation):
                        for value, operations in routed.contribution().items():
                            values[routed.key][value].add(operations, routed.period_end_ms, record)
                    else:
                        groups.setdefault((routed.key, record.shard), _Group(record.shard)).entries.append(
                            (record, routed))
            except Exception as error:  # noqa: BLE001 - a record that cannot be routed is reported, not the batch
                logger.exception("event record not routed", extra={"sequence_number": record.sequence_number})
                failed.add(record, error, None)
                unroutable_shards.add(record.shard)
        counters = {key: group for key, group in groups.items() if key[0].charge_id == APPLIED_EVENTS_CHARGE}
        for (key, _), group in groups.items():
            if key.charge_id != APPLIED_EVENTS_CHARGE:
                self._apply_or_isolate(key, group, failed)
        for key, changes in values.items():
            self._count_or_isolate(key, changes, failed)
        for record, reason, counter in unbillable:  # kept (a late one applied all the same), and listed as such
            try:
                if counter is not None and self._counted_before(counter, record):
                    continue  # counted by an earlier delivery, before its period was invoiced: the invoice bills it
                image = record.new_image
                self._events.mark_unbillable(image["organization_id"], image["transaction_id"],
                                             image["external_subscription_id"], int(image["timestamp_ms"]), reason)
            except Exception as error:  # noqa: BLE001
                logger.exception("unbillable event not marked", extra={"sequence_number": record.sequence_number})
                failed.add(record, error, UNBILLABLE_PART)
        self._bill_in_advance(in_advance, failed)
        buried = self._set_aside_poison(failed)
        failed.forgive(buried)
        # The applied-events counters last, and only for records whose every write is done: a counted event is
        # an applied one, which is what lets the biller trust the count (docs/data-model.md). A record set aside
        # is not counted: its period waits for its replay.
        not_applied = _with_later_records(records, failed.records) | buried
        for (key, _), group in counters.items():
            group.entries = [entry for entry in group.entries if entry[0].sequence_number not in not_applied]
            if group.entries:  # none left when every record of the group failed: nothing to count
                self._apply_or_isolate(key, group, failed)
        not_applied = _with_later_records(records, failed.records)
        self._request_refreshes(drafts, not_applied | buried)
        return BatchOutcome(not_applied, len(buried))

    def _counted_before(self, counter: Routed, record: StreamRecord) -> bool:
        """Whether an earlier delivery of `record` moved its period's applied-events counter (one GetItem)."""
        item = self._usage.get_aggregate(counter.key)
        watermark = item.watermarks.get(record.shard) if item is not None else None
        return watermark is not None and watermark >= padded_sequence(record.sequence_number)

    def _set_aside_poison(self, failed: _Failures) -> set[str]:
        """Count one more failed delivery of the first failed record of each shard when it failed for a reason of
        its own, and set it aside once that reached POISON_ATTEMPTS; returns the sequence numbers set aside. Only
        the first: nothing before it held it back, so its fault's parts are all it misses. A transient failure
        (throttling, a lost race) is not counted: the record is only redelivered."""
        first: dict[str, int] = {}
        for record in failed.records:
            first[record.shard] = min(first.get(record.shard, record.position), record.position)
        buried = set()
        for sequence_number, fault in failed.faults.items():
            if first[fault.record.shard] != fault.record.position or self._is_transient(fault.error):
                continue
            image, reason = fault.record.new_image, failure_reason(fault.error)
            try:
                if self._dead_letters.count_failure(image, reason) < POISON_ATTEMPTS:
                    continue
                parts = None if fault.parts is None else tuple(sorted(fault.parts))
                self._dead_letters.bury(image, reason, parts, self._now)
            except Exception:  # noqa: BLE001 - not set aside: redelivered, counted again next time
                logger.exception("dead letter not written", extra={"sequence_number": sequence_number})
                continue
            logger.error("event set aside as a dead letter", extra={
                "organization_id": image["organization_id"], "transaction_id": image["transaction_id"],
                "external_subscription_id": image["external_subscription_id"], "reason": reason})
            buried.add(sequence_number)
        return buried

    def replay(self, dead: DeadEvent) -> None:
        """Apply what a dead-lettered event missed (its applied-events count last), under a shard of its own: each
        part's watermark makes a second replay, or a replay resumed after a crash, apply nothing twice. Raises what
        the event raises again."""
        record = StreamRecord(REPLAY_SEQUENCE, dead.replay_shard, dead.image)
        event = StoredEvent.of(dead.image)
        routing = self._router.route(event)
        missed = (lambda part: True) if dead.parts is None else dead.parts.__contains__
        for routed in routing.routes:
            if routed.key.charge_id == APPLIED_EVENTS_CHARGE or not missed(aggregate_part(routed.key)):
                continue
            if isinstance(routed.aggregation, UniqueCountAggregation):
                self._count_values(routed.key, {value: _ValueChange(set(operations), {routed.period_end_ms})
                                                for value, operations in routed.contribution().items()})
            else:
                self._apply_group(routed.key, _Group(record.shard, [(record, routed)]))
        if routing.unbillable_reason is not None and missed(UNBILLABLE_PART):
            self._events.mark_unbillable(event.organization_id, event.usage.transaction_id,
                                         event.external_subscription_id, event.usage.timestamp_ms,
                                         routing.unbillable_reason)
        if missed(IN_ADVANCE_PART):
            for routed in routing.routes:
                if routed.in_advance is not None:
                    self._in_advance.bill(routed, datetime.fromisoformat(str(dead.image["received_at"])))
        for routed in routing.routes:
            if routed.key.charge_id == APPLIED_EVENTS_CHARGE:
                self._apply_group(routed.key, _Group(record.shard, [(record, routed)]))
        self._request_refreshes({routed.draft: record for routed in routing.routes if routed.draft is not None},
                                set())

    def _request_refreshes(self, drafts: dict[DraftToRefresh, StreamRecord], not_applied: set[str]) -> None:
        """Ask the biller to refresh each draft an applied event of this batch belongs to (once per draft). Best
        effort: a draft is refreshed again when it is finalized, whatever happens here."""
        for draft, record in drafts.items():
            if record.sequence_number in not_applied:
                continue
            try:
                self._invoices.request_refresh(draft.organization_id, draft.customer_id, draft.invoice_id,
                                               from_epoch_ms(int(record.new_image["timestamp_ms"])))
            except Exception:  # noqa: BLE001
                logger.exception("draft refresh not requested", extra={"invoice_id": draft.invoice_id})

    def _bill_in_advance(self, entries: list[tuple[StreamRecord, list[Routed]]], failed: _Failures) -> None:
        """Each record's pay-in-advance fees, record by record in shard order; a record at or after a failed one of
        its shard is left to its redelivery, so that its fees follow the shard's order (docs/pay-in-advance.md)."""
        for record, routes in entries:
            if any(other.shard == record.shard and other.position < record.position for other in failed.records):
                failed.hold([record])
                continue
            if (fault := failed.faults.get(record.sequence_number)) is not None:
                failed.add(record, fault.error, IN_ADVANCE_PART)  # its fee waits with the rest of it
                continue
            try:
                for routed in routes:
                    self._in_advance.bill(routed, datetime.fromisoformat(record.new_image["received_at"]))
            except Exception as error:  # noqa: BLE001 - reported as batchItemFailures, retried by the event source
                logger.exception("pay-in-advance fee not created", extra={"sequence_number": record.sequence_number})
                failed.add(record, error, IN_ADVANCE_PART)

    def _apply_or_isolate(self, key: AggregateKey, group: _Group, failed: _Failures) -> None:
        """Apply the group in one write; if that fails, record by record in shard order, so that the record at
        fault is found: it fails, the records after it are held back (its redelivery must come first), the ones
        before it are applied."""
        try:
            self._apply_group(key, group)
            return
        except Exception:  # noqa: BLE001 - reported as batchItemFailures, retried by the event source
            logger.exception("aggregate not applied", extra={"sort_key": key})
        for index, entry in enumerate(group.entries):
            try:
                self._apply_group(key, _Group(group.shard, [entry]))
            except Exception as error:  # noqa: BLE001
                failed.add(entry[0], error, aggregate_part(key))
                failed.hold(record for record, _ in group.entries[index + 1:])
                return

    def _settled(self, record: StreamRecord) -> tuple[str, ...]:
        """The ancestors of the record's shard (none when the event names no shard, or no stream)."""
        if record.stream_arn is None or record.shard == record.stream_arn:
            return ()
        try:
            return self._lineage.ancestors(record.stream_arn, record.shard)
        except Exception:  # noqa: BLE001 - pruning only saves space: never fail a write for it
            logger.exception("shard lineage not read", extra={"shard": record.shard})
            return ()

    def _count_or_isolate(self, key: AggregateKey, changes: dict[str, _ValueChange], failed: _Failures) -> None:
        """Count the bucket's values together; if that fails, value by value, so that only the records of a value
        that fails on its own are reported."""
        try:
            self._count_values(key, changes)
            return
        except Exception:  # noqa: BLE001 - reported as batchItemFailures, retried by the event source
            logger.exception("unique-count values not applied", extra={"sort_key": key})
        for value, change in changes.items():
            try:
                self._count_values(key, {value: change})
            except Exception as error:  # noqa: BLE001
                for record in change.sources:
                    failed.add(record, error, aggregate_part(key))

    def _count_values(self, key: AggregateKey, changes: dict[str, _ValueChange]) -> None:
        """Add the operations to the bucket's values and move its summary by exactly the change of what each value
        counts, each value written once, conditioned on the revision it was read at (read again and retried when
        another writer moved one). A redelivery finds its operations there and the values counted: nothing is
        written."""
        for _ in range(MAX_ATTEMPTS):
            writes = {}
            for value, (stored, revision) in self._usage.counted_values(key, changes).items():
                written = stored.with_operations(changes[value].operations, changes[value].period_ends_ms)
                if written != stored:
                    writes[value] = ValueWrite(written, revision, summary_change(stored, written))
            if not writes:
                return
            try:
                self._usage.write_values(key, writes)
                return
            except StaleWrite:
                continue
        raise Contention(f"unique-count values of {key}")

    def _apply_group(self, key: AggregateKey, group: _Group) -> None:
        entries = group.entries
        aggregation, additive = entries[0][1].aggregation, None
        read, read_done = None, False
        for _ in range(MAX_ATTEMPTS):
            if read_done and read is not None and group.shard in read.watermarks:
                watermark = read.watermarks[group.shard]
                entries = [entry for entry in entries if padded_sequence(entry[0].sequence_number) > watermark]
            if not entries:
                return  # everything in the group was applied before (a redelivery)
            batch_state = reduce(aggregation.combine, (routed.contribution() for _, routed in entries),
                                 aggregation.empty)
            if batch_state == aggregation.empty:
                return  # no numeric value: nothing to store
            additive = is_additive(batch_state)
            if not additive and not read_done:
                read, read_done = self._usage.get_aggregate(key), True
                continue
            state = batch_state if additive else aggregation.combine(read.state if read else aggregation.empty,
                                                                     batch_state)
            routed = entries[0][1]
            first = entries[0][0]
            try:
                self._usage.apply(key, state, shard=group.shard, first_sequence=entries[0][0].sequence_number,
                                  last_sequence=entries[-1][0].sequence_number,
                                  window_start_ms=routed.window.start_ms, period_end_ms=routed.period_end_ms,
                                  read=read, read_done=read_done, settled_shards=self._settled(first))
                return
            except WatermarkConflict:
                read, read_done = self._usage.get_aggregate(key), True
        raise Contention(f"aggregate {key}")


def _counter_route(routes: list[Routed]) -> Routed | None:
    """The route to the period's applied-events counter (every route of an event in a charges window has one)."""
    return next((routed for routed in routes if routed.key.charge_id == APPLIED_EVENTS_CHARGE), None)


def _with_later_records(records: list[StreamRecord], failed: list[StreamRecord]) -> set[str]:
    first_failed: dict[str, int] = {}
    for record in failed:
        first_failed[record.shard] = min(first_failed.get(record.shard, record.position), record.position)
    return {record.sequence_number for record in records
            if record.shard in first_failed and record.position >= first_failed[record.shard]}

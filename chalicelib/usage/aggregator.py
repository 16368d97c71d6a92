"""The stream aggregator: a batch of events-table INSERT records becomes per-period aggregates, exactly once.

Each record is routed (chalicelib/usage/routing.py) to the aggregates of the charges that bill it; the batch is
grouped by (aggregate, shard) and each group applied with ONE conditional UpdateItem that also advances the
shard's watermark on the aggregate; records at or below the watermark are dropped on a condition failure and
the rest retried. Unique-count values are ADDed to their per-value string sets (set union: idempotent, no
watermark needed). An event of a pay-in-advance charge then gets its own fee (chalicelib/usage/in_advance.py).
Why this is exactly-once: docs/data-model.md ("Usage table") and docs/pay-in-advance.md."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce

from chalicelib.domain.aggregations.unique_count import UniqueCountAggregation
from chalicelib.domain.aggregations.windows import EPOCH
from chalicelib.domain.events import UnbillableReason
from chalicelib.observability import logger
from chalicelib.store.dynamo import from_attributes
from chalicelib.store.usage import (
    APPLIED_EVENTS_CHARGE,
    AggregateKey,
    WatermarkConflict,
    is_additive,
    padded_sequence,
)
from chalicelib.usage.in_advance import InAdvanceBilling
from chalicelib.usage.routing import DraftToRefresh, Routed, Router, StoredEvent

MAX_ATTEMPTS = 5
EVENT_FIELDS = frozenset({"organization_id", "external_subscription_id", "transaction_id", "code", "timestamp_ms"})


@dataclass(frozen=True)
class StreamRecord:
    sequence_number: str
    shard: str
    new_image: dict
    stream_arn: str | None = None

    @property
    def position(self) -> int:
        return int(self.sequence_number)


def stream_records(raw_event: dict) -> list[StreamRecord]:
    """The INSERT records of a Lambda DynamoDB-stream event. The shard is the event's `shardId` (Lambda sets it
    when the mapping has a tumbling window; the local poller always does), else the stream itself."""
    records = []
    for record in raw_event.get("Records", []):
        if record.get("eventName") != "INSERT":
            continue
        shard = raw_event.get("shardId") or record.get("eventSourceARN", "stream")
        dynamodb = record["dynamodb"]
        image = from_attributes(dynamodb["NewImage"])
        if not EVENT_FIELDS <= image.keys():
            # Not an event item: no retry can route it, so it is logged and passed over, not reported as failed.
            logger.error("stream record is not an event", extra={"sequence_number": dynamodb["SequenceNumber"]})
            continue
        records.append(StreamRecord(dynamodb["SequenceNumber"], shard, image, record.get("eventSourceARN")))
    return records


@dataclass
class _Group:
    """The records of one batch that go to one aggregate from one shard, in sequence order."""

    shard: str
    entries: list[tuple[StreamRecord, Routed]] = field(default_factory=list)


class Aggregator:
    def __init__(self, repositories):
        self._usage = repositories.usage
        self._events = repositories.events
        self._router = Router(repositories)
        self._lineage = repositories.stream_lineage
        self._invoices = repositories.invoices
        self._in_advance = InAdvanceBilling(repositories)

    def apply_batch(self, records: Iterable[StreamRecord]) -> set[str]:
        """Apply the records; returns the sequence numbers not applied (each failed record and every later
        record of its shard, since Lambda redelivers a shard from its first reported failure)."""
        records = sorted(records, key=lambda record: (record.shard, record.position))
        groups: dict[tuple[AggregateKey, str], _Group] = {}
        values: dict[tuple[AggregateKey, str], tuple[set, list[StreamRecord]]] = defaultdict(lambda: (set(), []))
        failed: list[StreamRecord] = []
        unbillable: list[tuple[StreamRecord, UnbillableReason]] = []
        drafts: dict[DraftToRefresh, StreamRecord] = {}
        in_advance: list[tuple[StreamRecord, list[Routed]]] = []
        for record in records:
            try:
                routing = self._router.route(StoredEvent.of(record.new_image))
                routes = routing.routes
                if routing.unbillable_reason is not None:
                    unbillable.append((record, routing.unbillable_reason))
                if charged := [routed for routed in routes if routed.in_advance is not None]:
                    in_advance.append((record, charged))
                for routed in routes:
                    if routed.draft is not None:
                        drafts.setdefault(routed.draft, record)
                    if isinstance(routed.aggregation, UniqueCountAggregation):
                        for value, operations in routed.contribution().items():
                            operations_of_value, sources = values[(routed.key, value)]
                            operations_of_value.update(operations)
                            sources.append(record)
                    else:
                        groups.setdefault((routed.key, record.shard), _Group(record.shard)).entries.append(
                            (record, routed))
            except Exception:  # noqa: BLE001 - a record that cannot be routed is reported, not the whole batch
                logger.exception("event record not routed", extra={"sequence_number": record.sequence_number})
                failed.append(record)
        counters = {key: group for key, group in groups.items() if key[0].charge_id == APPLIED_EVENTS_CHARGE}
        for (key, _), group in groups.items():
            if key.charge_id != APPLIED_EVENTS_CHARGE:
                self._apply_or_report(key, group, failed)
        for (key, value), (operations, sources) in values.items():
            try:
                self._usage.add_operations(key, value, operations)
            except Exception:  # noqa: BLE001
                logger.exception("unique-count value not applied")
                failed.extend(sources)
        for record, reason in unbillable:  # kept (a late one applied all the same), and listed as unbillable
            try:
                image = record.new_image
                self._events.mark_unbillable(image["organization_id"], image["transaction_id"],
                                             image["external_subscription_id"], int(image["timestamp_ms"]), reason)
            except Exception:  # noqa: BLE001
                logger.exception("unbillable event not marked", extra={"sequence_number": record.sequence_number})
                failed.append(record)
        self._bill_in_advance(in_advance, failed)
        # The applied-events counters last, and only for records whose every write is done: a counted event is
        # an applied one, which is what lets the biller trust the count (docs/data-model.md).
        not_applied = _with_later_records(records, failed)
        for (key, _), group in counters.items():
            group.entries = [entry for entry in group.entries if entry[0].sequence_number not in not_applied]
            if group.entries:  # none left when every record of the group failed: nothing to count
                self._apply_or_report(key, group, failed)
        self._request_refreshes(drafts, _with_later_records(records, failed))
        return _with_later_records(records, failed)

    def _request_refreshes(self, drafts: dict[DraftToRefresh, StreamRecord], not_applied: set[str]) -> None:
        """Ask the biller to refresh each draft an applied event of this batch belongs to (once per draft). Best
        effort: a draft is refreshed again when it is finalized, whatever happens here."""
        for draft, record in drafts.items():
            if record.sequence_number in not_applied:
                continue
            try:
                self._invoices.request_refresh(draft.organization_id, draft.customer_id, draft.invoice_id,
                                               EPOCH + timedelta(milliseconds=int(record.new_image["timestamp_ms"])))
            except Exception:  # noqa: BLE001
                logger.exception("draft refresh not requested", extra={"invoice_id": draft.invoice_id})

    def _bill_in_advance(self, entries: list[tuple[StreamRecord, list[Routed]]], failed: list[StreamRecord]) -> None:
        """Each record's pay-in-advance fees, record by record in shard order; a record at or after a failed one of
        its shard is left to its redelivery, so that its fees follow the shard's order (docs/pay-in-advance.md)."""
        for record, routes in entries:
            if any(other.shard == record.shard and other.position <= record.position for other in failed):
                continue
            try:
                for routed in routes:
                    self._in_advance.bill(routed, datetime.fromisoformat(record.new_image["received_at"]))
            except Exception:  # noqa: BLE001 - reported as batchItemFailures, retried by the event source
                logger.exception("pay-in-advance fee not created", extra={"sequence_number": record.sequence_number})
                failed.append(record)

    def _apply_or_report(self, key: AggregateKey, group: _Group, failed: list[StreamRecord]) -> None:
        try:
            self._apply_group(key, group)
        except Exception:  # noqa: BLE001 - reported as batchItemFailures, retried by the event source
            logger.exception("aggregate not applied", extra={"sort_key": key})
            failed.extend(record for record, _ in group.entries)

    def _settled(self, record: StreamRecord) -> tuple[str, ...]:
        """The ancestors of the record's shard (none when the event names no shard, or no stream)."""
        if record.stream_arn is None or record.shard == record.stream_arn:
            return ()
        try:
            return self._lineage.ancestors(record.stream_arn, record.shard)
        except Exception:  # noqa: BLE001 - pruning only saves space: never fail a write for it
            logger.exception("shard lineage not read", extra={"shard": record.shard})
            return ()

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
        raise RuntimeError(f"aggregate {key} still contended after {MAX_ATTEMPTS} attempts")


def _with_later_records(records: list[StreamRecord], failed: list[StreamRecord]) -> set[str]:
    first_failed: dict[str, int] = {}
    for record in failed:
        first_failed[record.shard] = min(first_failed.get(record.shard, record.position), record.position)
    return {record.sequence_number for record in records
            if record.shard in first_failed and record.position >= first_failed[record.shard]}

"""The events table's stream handler: its records read from DynamoDB's stream format, the aggregator
(chalicelib/usage/aggregator.py) built on the environment's stores applies the whole batch
grouped by aggregate, then Powertools' partial-batch processing reports what it could not apply, so the event
source redelivers the shard from the first such record. Events set aside as dead letters are counted in the
`DeadLetteredEvents` metric (CloudWatch embedded metric format, on the function's log)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.domain.clock import utc_now
from chalicelib.observability import DEAD_LETTERED_EVENTS, count, logger
from chalicelib.setup_cache import CONTAINER_SETUP
from chalicelib.store.dynamo import from_attributes
from chalicelib.store.repositories import repositories
from chalicelib.usage.aggregator import Aggregator, StreamRecord

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
EVENT_FIELDS = frozenset({"organization_id", "external_subscription_id", "transaction_id", "code", "timestamp_ms"})


class RecordNotApplied(Exception):
    """The record's aggregate (or an earlier record of its shard) could not be applied; it will be redelivered."""


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


def handle_stream_batch(raw_event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    """Process a Lambda DynamoDB-stream event; returns `{"batchItemFailures": [...]}`, plus the (empty) `state`
    Lambda requires from a mapping with a tumbling window (without it the invocation counts as failed)."""
    window_state = {"state": {}} if "window" in raw_event else {}
    if not raw_event.get("Records"):
        return {"batchItemFailures": [], **window_state}  # a tumbling window's final invoke may carry none
    outcome = Aggregator(repositories(), utc_now(), CONTAINER_SETUP).apply_batch(stream_records(raw_event))
    if outcome.dead_lettered:
        count(DEAD_LETTERED_EVENTS, outcome.dead_lettered)

    def record_handler(record: DynamoDBRecord) -> None:
        if record.dynamodb.sequence_number in outcome.not_applied:
            raise RecordNotApplied(record.dynamodb.sequence_number)

    return {**process_partial_response(event=raw_event, record_handler=record_handler, processor=_processor,
                                       context=context), **window_state}

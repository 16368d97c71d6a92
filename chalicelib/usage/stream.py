"""The events table's stream handler: the aggregator (chalicelib/usage/aggregator.py) applies the whole batch
grouped by aggregate, then Powertools' partial-batch processing reports what it could not apply, so the event
source redelivers the shard from the first such record. Events set aside as dead letters are counted in the
`DeadLetteredEvents` metric (CloudWatch embedded metric format, on the function's log)."""
from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.domain.clock import utc_now
from chalicelib.observability import DEAD_LETTERED_EVENTS, count
from chalicelib.store.repositories import repositories
from chalicelib.usage.aggregator import Aggregator, stream_records

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class RecordNotApplied(Exception):
    """The record's aggregate (or an earlier record of its shard) could not be applied; it will be redelivered."""


def handle_stream_batch(raw_event: dict, context) -> dict:
    """Process a Lambda DynamoDB-stream event; returns `{"batchItemFailures": [...]}`, plus the (empty) `state`
    Lambda requires from a mapping with a tumbling window (without it the invocation counts as failed)."""
    window_state = {"state": {}} if "window" in raw_event else {}
    if not raw_event.get("Records"):
        return {"batchItemFailures": [], **window_state}  # a tumbling window's final invoke may carry none
    outcome = Aggregator(repositories(), utc_now()).apply_batch(stream_records(raw_event))
    if outcome.dead_lettered:
        count(DEAD_LETTERED_EVENTS, outcome.dead_lettered)

    def record_handler(record: DynamoDBRecord) -> None:
        if record.dynamodb.sequence_number in outcome.not_applied:
            raise RecordNotApplied(record.dynamodb.sequence_number)

    return {**process_partial_response(event=raw_event, record_handler=record_handler, processor=_processor,
                                       context=context), **window_state}

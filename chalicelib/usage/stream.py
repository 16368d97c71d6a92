"""The events table's stream handler. Events are not ingested yet (the usage-pipeline issue); until then
it accounts for each record it is given and reports none as failed, with Powertools' partial-batch
processing that the aggregator will use."""
from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.observability import logger

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _record_handler(record: DynamoDBRecord) -> None:
    logger.info("event record received", extra={"event_name": record.event_name,
                                                 "sequence_number": record.dynamodb.sequence_number})


def handle_stream_batch(raw_event: dict, context) -> dict:
    """Process a Lambda DynamoDB-stream event; returns `{"batchItemFailures": [...]}`."""
    return process_partial_response(event=raw_event, record_handler=_record_handler, processor=_processor,
                                    context=context)

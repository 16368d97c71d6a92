"""The local stand-in for Lambda's DynamoDB-stream event source mapping, against moto in-process: records
reach the handler in Lambda's shape and order, and a partial-batch failure is redelivered from the first
failed record, as Lambda does with ReportBatchItemFailures."""
from __future__ import annotations

import threading
import time

import boto3
import pytest

from chalicelib.local.stream_poller import StreamPoller, wake_on_stream_writes
from chalicelib.store.tables import EVENTS


@pytest.fixture
def stream_arn(dynamodb) -> str:
    return dynamodb.describe_table(TableName=EVENTS.name)["Table"]["LatestStreamArn"]


def put_event(dynamodb, number: int) -> None:
    dynamodb.put_item(TableName=EVENTS.name, Item={"pk": {"S": f"event#{number}"}, "sk": {"S": "event"},
                                                   "number": {"N": str(number)}})


def poller(stream_arn: str, handler, stop: threading.Event | None = None, batch_size: int = 100) -> StreamPoller:
    return StreamPoller(boto3.client("dynamodbstreams"), stream_arn, handler, batch_size, stop or threading.Event())


class RecordingHandler:
    """A stream handler that records each batch and reports the records `fail_once` names, once each."""

    def __init__(self, fail_once: set[str] | None = None):
        self.batches: list[list[dict]] = []
        self._fail_once = set(fail_once or ())

    def __call__(self, event: dict, context) -> dict:
        records = event["Records"]
        self.batches.append(records)
        failed = [record["dynamodb"]["SequenceNumber"] for record in records
                  if record["dynamodb"]["NewImage"]["pk"]["S"] in self._fail_once]
        self._fail_once -= {record["dynamodb"]["NewImage"]["pk"]["S"] for record in records}
        return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}

    def delivered_keys(self, batch: int) -> list[str]:
        return [record["dynamodb"]["NewImage"]["pk"]["S"] for record in self.batches[batch]]


def test_records_reach_the_handler_in_lambda_shape_and_order(dynamodb, stream_arn):
    put_event(dynamodb, 1)
    put_event(dynamodb, 2)
    handler = RecordingHandler()

    assert poller(stream_arn, handler).poll_once() == 2

    assert len(handler.batches) == 1
    assert handler.delivered_keys(0) == ["event#1", "event#2"]
    sequences = []
    for record in handler.batches[0]:
        assert record["eventSourceARN"] == stream_arn
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventName"] == "INSERT"
        assert record["awsRegion"] == "us-east-1"
        image = record["dynamodb"]
        created = image["ApproximateCreationDateTime"]
        assert isinstance(created, (int, float)) and not isinstance(created, bool)
        assert abs(created - time.time()) < 300
        assert image["StreamViewType"] == "NEW_IMAGE"
        assert isinstance(image["SizeBytes"], int)
        assert image["Keys"] == {"pk": image["NewImage"]["pk"], "sk": {"S": "event"}}
        sequences.append(int(image["SequenceNumber"]))
    assert sequences == sorted(sequences) and len(set(sequences)) == 2
    assert handler.batches[0][0]["dynamodb"]["NewImage"]["number"] == {"N": "1"}


def test_a_reported_failure_is_redelivered_from_that_record(dynamodb, stream_arn):
    for number in (1, 2, 3):
        put_event(dynamodb, number)
    handler = RecordingHandler(fail_once={"event#2"})
    source = poller(stream_arn, handler)

    assert source.poll_once() == 1  # only event#1 is done
    assert handler.delivered_keys(0) == ["event#1", "event#2", "event#3"]

    assert source.poll_once() == 2
    # Lambda retries from the first failed record: event#2 again, then what followed it; never event#1.
    assert handler.delivered_keys(1) == ["event#2", "event#3"]
    assert handler.batches[1][0]["dynamodb"]["SequenceNumber"] == handler.batches[0][1]["dynamodb"]["SequenceNumber"]

    # Caught up: nothing more to deliver until the table changes, then only the new record.
    assert source.poll_once() == 0
    assert len(handler.batches) == 2
    put_event(dynamodb, 4)
    assert source.poll_once() == 1
    assert handler.delivered_keys(2) == ["event#4"]


def test_a_failure_of_the_first_record_redelivers_the_whole_batch(dynamodb, stream_arn):
    put_event(dynamodb, 1)
    put_event(dynamodb, 2)
    handler = RecordingHandler(fail_once={"event#1"})
    source = poller(stream_arn, handler)

    assert source.poll_once() == 0
    assert source.poll_once() == 2
    assert handler.delivered_keys(1) == ["event#1", "event#2"]


def test_batches_respect_the_batch_size(dynamodb, stream_arn):
    for number in (1, 2, 3):
        put_event(dynamodb, number)
    handler = RecordingHandler()
    source = poller(stream_arn, handler, batch_size=2)

    assert source.poll_once() == 2
    assert source.poll_once() == 1
    assert [handler.delivered_keys(0), handler.delivered_keys(1)] == [["event#1", "event#2"], ["event#3"]]


def test_the_real_stream_handler_reports_no_failures(dynamodb, stream_arn):
    import app

    put_event(dynamodb, 1)
    put_event(dynamodb, 2)
    results: list[dict] = []
    batches: list[dict] = []

    def real_handler(event, context):
        batches.append(event)
        results.append(app.aggregate_usage(event, context))
        return results[-1]

    assert poller(stream_arn, real_handler).poll_once() == 2
    assert len(batches[0]["Records"]) == 2
    assert results == [{"batchItemFailures": []}]


def test_the_real_stream_handler_answers_a_tumbling_window_with_state(dynamodb, stream_arn):
    """As deployed, the mapping has a tumbling window: Lambda adds shardId/window/state to the event and counts
    an answer without `state` as a failed invocation."""
    import app

    put_event(dynamodb, 1)
    answers: list[dict] = []

    def windowed_handler(event, context):
        windowed = {**event, "shardId": "shardId-00000001", "window": {"start": "2026-11-25T00:00:00Z",
                                                                        "end": "2026-11-25T00:01:00Z"},
                    "state": {}, "isFinalInvokeForWindow": False, "isWindowTerminatedEarly": False}
        answers.append(app.aggregate_usage(windowed, context))
        return answers[-1]

    assert poller(stream_arn, windowed_handler).poll_once() == 1
    final_invoke = {"Records": [], "shardId": "shardId-00000001", "window": {"start": "2026-11-25T00:00:00Z",
                                                                              "end": "2026-11-25T00:01:00Z"},
                    "state": {}, "isFinalInvokeForWindow": True, "isWindowTerminatedEarly": False}
    answers.append(app.aggregate_usage(final_invoke, None))
    assert answers == [{"batchItemFailures": [], "state": {}}, {"batchItemFailures": [], "state": {}}]


def test_the_poller_thread_stops_when_asked(dynamodb, stream_arn):
    stop = threading.Event()
    handler = RecordingHandler()
    source = poller(stream_arn, handler, stop)
    source.start()
    try:
        put_event(dynamodb, 1)
        deadline = time.monotonic() + 5
        while not handler.batches and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handler.delivered_keys(0) == ["event#1"]
    finally:
        stop.set()
        source.join(timeout=2)
    assert not source.is_alive()


def test_an_idle_poller_wakes_as_soon_as_its_stream_takes_a_record(dynamodb, stream_arn):
    """Its back-off would sleep 30 s here; the record written meanwhile ends the sleep after its first step (0.25 s),
    and only once."""
    wake_on_stream_writes()
    idle = poller(stream_arn, RecordingHandler())
    idle.idle(0)  # what was written before is the poll's, not a reason to wake
    put_event(dynamodb, 1)
    started = time.monotonic()
    idle.idle(30)
    assert time.monotonic() - started < 1
    started = time.monotonic()
    idle.idle(0.3)
    assert time.monotonic() - started >= 0.3

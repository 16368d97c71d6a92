"""Local stand-in for Lambda's DynamoDB-stream event source mapping: reads a table's stream and calls the
stream handler with Lambda-shaped events, re-delivering from the first record it reports as failed.

An idle poller backs off up to 2 s (polling.py), but moto runs in the local stack's process: its stream wakes the
table's poller when it takes a record (`wake_on_stream_writes`), so an event reaches the aggregator within the
first back-off step (0.25 s) even after a quiet spell."""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

from botocore.client import BaseClient
from chalice.local import LambdaContext
from moto.dynamodb.models.table import StreamShard

from chalicelib.local.polling import IDLE_SECONDS, LambdaHandler, PollingThread

# Set when a table's stream takes a record, by table name; cleared by the table's poller before it polls.
_WRITTEN: defaultdict[str, threading.Event] = defaultdict(threading.Event)
# How often an idle stream poller looks whether the stack is stopping.
STOP_CHECK_SECONDS = 0.2


def wake_on_stream_writes() -> None:
    """moto's stream shards wake their table's poller when they take a record (idempotent)."""
    if getattr(StreamShard.add, "wakes_pollers", False):
        return
    original = StreamShard.add

    def add(self: StreamShard, *arguments: Any, **options: Any) -> None:
        original(self, *arguments, **options)
        _WRITTEN[self.table.name].set()

    add.wakes_pollers = True  # type: ignore[attr-defined]
    StreamShard.add = add  # type: ignore[method-assign]


def _table_name(stream_arn: str) -> str:
    """`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`'s table name."""
    return stream_arn.split(":table/", 1)[1].split("/stream/", 1)[0]


def lambda_stream_record(record: dict, stream_arn: str) -> dict:
    """A GetRecords record in the shape Lambda delivers it (eventSourceARN, epoch-seconds timestamps)."""
    shaped = dict(record)
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    shaped["dynamodb"] = dynamodb
    shaped["eventSourceARN"] = stream_arn
    return shaped


class StreamPoller(PollingThread):
    def __init__(self, streams_client: BaseClient, stream_arn: str, handler: LambdaHandler, batch_size: int,
                 stop: threading.Event):
        super().__init__("stream-poller", stream_arn, streams_client, handler, batch_size, stop)
        self._stream_arn = stream_arn
        self._iterators: dict[str, str] = {}
        self._pending: dict[str, list[dict]] = {}
        self._written = _WRITTEN[_table_name(stream_arn)]

    def idle(self, seconds: float) -> None:
        """The first back-off step in any case (Lambda's four polls a second: what a poll gathers stays as large),
        then until the stream takes a record, `seconds` pass or the stack stops."""
        deadline = time.monotonic() + seconds
        self._stop_requested.wait(min(seconds, IDLE_SECONDS))
        while not self._stop_requested.is_set() and (left := deadline - time.monotonic()) > 0:
            if self._written.wait(min(left, STOP_CHECK_SECONDS)):
                break
        self._written.clear()  # before the poll: a record written from now on wakes the next idle()

    def _refresh_shards(self) -> None:
        shards = self._client.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._client.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard["ShardId"],
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                self._pending[shard["ShardId"]] = []

    def _deliver(self, shard_id: str) -> None:
        batch = self._pending[shard_id][: self._batch_size]
        # `shardId` as Lambda sets it on a mapping with a tumbling window: the aggregator's watermark is per shard.
        event = {"Records": [lambda_stream_record(record, self._stream_arn) for record in batch], "shardId": shard_id}
        result = self._handler(event, LambdaContext("local-stream-handler", 512)) or {}
        failed = {failure["itemIdentifier"] for failure in result.get("batchItemFailures", [])}
        # As Lambda with ReportBatchItemFailures: retry from the first failed record, in order.
        first_failed = next((index for index, record in enumerate(batch)
                             if record["dynamodb"]["SequenceNumber"] in failed), len(batch))
        self._pending[shard_id] = self._pending[shard_id][first_failed:]

    def poll_once(self) -> int:
        """Fetch and deliver what the stream holds now; returns the number of records delivered."""
        self._refresh_shards()
        delivered = 0
        for shard_id, iterator in list(self._iterators.items()):
            if not self._pending[shard_id] and iterator:
                response = self._client.get_records(ShardIterator=iterator, Limit=self._batch_size)
                self._iterators[shard_id] = response.get("NextShardIterator")
                self._pending[shard_id] = response["Records"]
            if self._pending[shard_id]:
                before = len(self._pending[shard_id])
                self._deliver(shard_id)
                delivered += before - len(self._pending[shard_id])
        return delivered

"""Local stand-in for Lambda's DynamoDB-stream event source mapping: reads a table's stream and calls the
stream handler with Lambda-shaped events, re-delivering from the first record it reports as failed."""
from __future__ import annotations

import threading
from datetime import datetime

from botocore.client import BaseClient
from chalice.local import LambdaContext

from chalicelib.local.polling import LambdaHandler, PollingThread


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
        super().__init__(f"stream-poller-{stream_arn.rsplit('/', 1)[-1]}", stop)
        self._client = streams_client
        self._stream_arn = stream_arn
        self._handler = handler
        self._batch_size = batch_size
        self._iterators: dict[str, str] = {}
        self._pending: dict[str, list[dict]] = {}

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

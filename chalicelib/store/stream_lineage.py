"""Which stream shards came before a shard: DescribeStream's parent links, cached per stream.

Lambda reads a parent shard to its end before any record of its children, so once a child's record is being
applied, every ancestor's watermark on an aggregate is settled for good and can be removed. DescribeStream is
rate-limited (10 calls a second per account), so the links are read again only when a shard is unknown."""
from __future__ import annotations

import os

import boto3
from botocore.client import BaseClient


def streams_client():
    return boto3.client("dynamodbstreams", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


class ShardLineage:
    def __init__(self, client: BaseClient):
        self._client = client
        self._parents: dict[str, dict[str, str | None]] = {}

    def _describe(self, stream_arn: str) -> dict[str, str | None]:
        parents: dict[str, str | None] = {}
        request = {"StreamArn": stream_arn}
        while True:
            description = self._client.describe_stream(**request)["StreamDescription"]
            parents.update({shard["ShardId"]: shard.get("ParentShardId") for shard in description["Shards"]})
            if not description.get("LastEvaluatedShardId"):
                return parents
            request["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]

    def ancestors(self, stream_arn: str, shard_id: str) -> tuple[str, ...]:
        """The shard's parent, grandparent, ... as far as the stream still describes them."""
        parents = self._parents.get(stream_arn)
        if parents is None or shard_id not in parents:
            parents = self._parents[stream_arn] = self._describe(stream_arn)
            parents.setdefault(shard_id, None)  # not described (yet): no ancestors, and no call per record
        found, current = [], parents.get(shard_id)
        while current is not None and current not in found:
            found.append(current)
            current = parents.get(current)
        return tuple(found)

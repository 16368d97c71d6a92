"""Stream shards roll over every few hours; an aggregate keeps one watermark per shard that wrote to it, so the
aggregator drops the watermarks of the shard's ancestors (read to their end before it) as it writes."""
from __future__ import annotations

import pytest
from usage_fixtures import STARTED, STREAM_ARN, deliver, event_item, setup_usage, store_events, stream_record

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.dynamo import from_attributes
from chalicelib.store.repositories import repositories
from chalicelib.store.stream_lineage import ShardLineage
from chalicelib.store.tables import USAGE


class FixedLineage:
    """Shard parents as DescribeStream would give them after two roll-overs."""

    PARENTS = {"shardId-grandparent": None, "shardId-parent": "shardId-grandparent",
               "shardId-child": "shardId-parent"}

    def ancestors(self, stream_arn, shard_id):
        return ShardLineage(_DescribingClient([list(self.PARENTS.items())])).ancestors(stream_arn, shard_id)


class _DescribingClient:
    """A DescribeStream that pages through the given shards, counting its calls."""

    def __init__(self, pages):
        self.pages, self.calls = pages, 0

    def describe_stream(self, StreamArn, ExclusiveStartShardId=None):
        index = 0 if ExclusiveStartShardId is None else int(ExclusiveStartShardId.rsplit("#", 1)[1])
        self.calls += 1
        shards = [{"ShardId": shard, **({"ParentShardId": parent} if parent else {})}
                  for shard, parent in self.pages[index]]
        description = {"Shards": shards}
        if index + 1 < len(self.pages):
            description["LastEvaluatedShardId"] = f"page#{index + 1}"
        return {"StreamDescription": description}


def test_lineage_follows_parents_across_describe_pages_and_reads_once():
    client = _DescribingClient([[("g", None), ("p", "g")], [("c", "p"), ("other", None)]])
    lineage = ShardLineage(client)
    assert lineage.ancestors(STREAM_ARN, "c") == ("p", "g")
    assert lineage.ancestors(STREAM_ARN, "g") == ()
    assert client.calls == 2  # both pages once; then from the cache
    assert lineage.ancestors(STREAM_ARN, "unknown") == ()
    assert lineage.ancestors(STREAM_ARN, "unknown") == ()
    assert client.calls == 4  # an unknown shard re-reads the stream once, then is remembered


@pytest.fixture
def usage(api, tenant):
    return setup_usage(api)


def stored_items(dynamodb) -> list[dict]:
    return [from_attributes(item) for item in dynamodb.scan(TableName=USAGE.name)["Items"]]


def test_writing_from_a_child_shard_drops_its_ancestors_watermarks(tenant, usage, dynamodb, monkeypatch):
    monkeypatch.setitem(repositories().__dict__, "stream_lineage", FixedLineage())
    org, t = tenant.organization_id, epoch_ms(STARTED)
    items = [event_item(org, name, t + offset, "calls") for offset, name in enumerate(("a", "b", "c"))]
    store_events(dynamodb, items)
    for item, shard in zip(items, ("shardId-grandparent", "shardId-parent", "shardId-child")):
        assert deliver([stream_record(item)], shard=shard) == {"batchItemFailures": []}
        aggregates = [stored for stored in stored_items(dynamodb) if stored["sk"].startswith("AGG#")]
        assert len(aggregates) == 2  # the calls charge's and the period's applied-events counter
        for aggregate in aggregates:
            watermarks = sorted(name for name in aggregate if name.startswith("watermark#"))
            assert watermarks == [f"watermark#{shard}"]  # only the shard that wrote last, its ancestors settled
    # Three events counted once each, whichever shard carried them.
    assert aggregate["events_count"] == 3

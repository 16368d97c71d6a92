"""Ingestion: the API process dies after each event it stored, or DynamoDB throttles each call; the client sends
the same request again (same transaction_ids) until it is answered. Then the stream is aggregated and current usage
read."""
from __future__ import annotations

from reliability.catalog import ingest_batch, ingest_one_by_one, prepare_catalog, usage_counts, usage_events
from reliability.scenario import Scenario
from reliability.scenarios.pipeline import aggregate

CUSTOMERS = 2


def _prepare(world) -> None:
    prepare_catalog(world, CUSTOMERS)


def _aggregate(world) -> None:
    aggregate(world, duplicate=False)


SCENARIOS = [
    Scenario("ingestion-single-crash", "ingestion",
             "4 events of 2 customers, one POST /api/v1/events each; the API crashes after each stored event and "
             "the client retries the request.",
             "crash_after_write", _prepare,
             act=lambda world: ingest_one_by_one(world, usage_events(4, CUSTOMERS)),
             judge=usage_counts, settle=_aggregate),
    Scenario("ingestion-batch-crash", "ingestion",
             "One POST /api/v1/events/batch of 6 events of 2 customers (stored by parallel threads); the API "
             "crashes after each stored event and the client retries the whole batch.",
             "crash_after_write", _prepare,
             act=lambda world: ingest_batch(world, usage_events(6, CUSTOMERS)),
             judge=usage_counts, settle=_aggregate),
    Scenario("ingestion-batch-throttled", "ingestion",
             "A batch of 4 events; each DynamoDB call of the request in turn (authentication, lookups, puts) fails "
             "with ProvisionedThroughputExceeded; the client retries on the 5xx.",
             "throughput_exceeded", _prepare,
             act=lambda world: ingest_batch(world, usage_events(4, CUSTOMERS)),
             judge=usage_counts, settle=_aggregate),
]

"""Ingestion: the API process dies after each event it stored, or DynamoDB throttles each call; the client sends
the same request again (same transaction_ids) until it is answered. Then the stream is aggregated and current usage
read."""
from __future__ import annotations

from collections.abc import Callable

from reliability.catalog import ingest_batch, ingest_one_by_one, prepare_catalog, usage_counts, usage_events
from reliability.faults import FaultKind
from reliability.scenario import Scenario
from reliability.scenarios.pipeline import aggregate
from reliability.world import World

CUSTOMERS = 2


def _prepare(world) -> None:
    prepare_catalog(world, CUSTOMERS)


def _aggregate(world) -> None:
    aggregate(world, duplicate=False)


def _ingestion(name: str, summary: str, fault: FaultKind, ingest: Callable[[World, list[dict]], None],
               events: int) -> Scenario:
    """`events` events of the customers sent by `ingest` under `fault`, then aggregated and counted."""
    return Scenario(name, "ingestion", summary, fault, _prepare,
                    act=lambda world: ingest(world, usage_events(events, CUSTOMERS)),
                    judge=usage_counts, settle=_aggregate)


SCENARIOS = [
    _ingestion("ingestion-single-crash",
               "4 events of 2 customers, one POST /api/v1/events each; the API crashes after each stored event and "
               "the client retries the request.",
               "crash_after_write", ingest_one_by_one, 4),
    _ingestion("ingestion-batch-crash",
               "One POST /api/v1/events/batch of 6 events of 2 customers (stored by parallel threads); the API "
               "crashes after each stored event and the client retries the whole batch.",
               "crash_after_write", ingest_batch, 6),
    _ingestion("ingestion-batch-throttled",
               "A batch of 4 events; each DynamoDB call of the request in turn (authentication, lookups, puts) fails "
               "with ProvisionedThroughputExceeded; the client retries on the 5xx.",
               "throughput_exceeded", ingest_batch, 4),
]

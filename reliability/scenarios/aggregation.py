"""Aggregation: 6 events stored (two by two per customer), then the events table's stream delivered to the
aggregator in batches of 2. The handler crashes after each of its writes (Lambda delivers the batch again), or each
of its calls is throttled (a partial batch failure: Lambda delivers again from the first failed record)."""
from __future__ import annotations

from reliability.catalog import ingest_one_by_one, prepare_catalog, usage_counts, usage_events
from reliability.scenario import Scenario
from reliability.scenarios.pipeline import aggregate

CUSTOMERS = 2


def _prepare(world) -> None:
    prepare_catalog(world, CUSTOMERS)
    ingest_one_by_one(world, usage_events(6, CUSTOMERS))


SCENARIOS = [
    Scenario("aggregation-crash", "aggregation",
             "The stream handler crashes after each of its writes and the batch is delivered again; every batch "
             "is delivered twice, and the whole stream once more at the end.",
             "crash_after_write", _prepare, act=aggregate, judge=usage_counts, settle=aggregate),
    Scenario("aggregation-throttled", "aggregation",
             "Each DynamoDB call of the stream handler in turn fails with ProvisionedThroughputExceeded; the "
             "handler reports the records it could not apply and the batch is delivered again from the first.",
             "throughput_exceeded", _prepare, act=lambda world: aggregate(world, duplicate=False),
             judge=usage_counts),
]

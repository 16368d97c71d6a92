"""Issue 19's table: for each figure of results.json, its path, the figure the issue measured before the work
("today"), and the goal (a bound on the median; none for the figures to keep)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    key: str
    path: str
    today: str
    bound: float | None  # the median must be at most this; None: reported only

    def met(self, median: float) -> bool | None:
        return None if self.bound is None else median <= self.bound


GOALS = (
    Goal("ingest_write_units_per_event", "ingestion, write units per event (100-event batches)", "2", 1.1),
    Goal("single_event_requests", "single POST /events, DynamoDB requests (warm)", "7", 2),
    Goal("keep_single_event_cpu_over_raw_put", "single POST /events, CPU over a raw PutItem", "8.9x", 3),
    Goal("aggregation_requests_per_event_spread", "aggregator, requests per event, 100 subscriptions per batch",
         "7.02", 1.5),
    Goal("aggregation_write_units_per_event_spread", "aggregator, write units per event, same", "2", 1.1),
    Goal("current_usage_requests_per_read", "current usage, requests per read", "9", 4),
    Goal("unique_count_read_units_10k_over_10", "current usage, unique_count read units 10,000 over 10 values",
         "716 / 9.5 = 75", 1.0),
    Goal("biller_requests_per_customer", "biller, requests per customer", "20", 10),
    Goal("biller_write_units_per_customer", "biller, write units per customer", "22", 12),
    Goal("biller_read_units_per_customer_1000_events", "biller, read units per customer at 1,000 events",
         "79.5 (grows with events)", None),
    Goal("cost_per_million_events_concentrated", "AWS $ per million events, one subscription per batch",
         "1.35-1.65", 0.75),
    Goal("cost_per_million_events_spread", "AWS $ per million events, 100 subscriptions per batch", "4.00-4.21",
         1.00),
    Goal("event_to_usage_lag_ms_p99", "event to current usage, p99 ms (local stack, idle)", "242 median", 1000),
    Goal("local_stack_slowdown_100k", "local stack after 100,000 events, slowdown (larger ratio)", "-", 2),
    Goal("keep_sum_current_usage_read_units_10_events", "sum current usage, read units (10 events)", "8.5", None),
    Goal("keep_sum_current_usage_read_units_10000_events", "sum current usage, read units (10,000 events)", "8.5",
         None),
    Goal("keep_batch_ingestion_requests_per_event", "batch ingestion, requests per event", "1.06", 1.06),
    Goal("keep_batch_cpu_over_raw_puts", "HTTP batch path, CPU over raw puts", "1.09x", None),
)

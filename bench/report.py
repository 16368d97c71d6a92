"""The table `make bench` prints and writes into docs/performance.md's marked section."""
from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from bench.goals import GOALS

BEGIN = "<!-- bench:results:begin (bench/run.py writes this section from bench/results.json) -->"
END = "<!-- bench:results:end -->"
# How a figure grows: (what, its key at the small size, at the large size, the sizes).
GROWTH = (
    ("sum current usage, read units per read", "keep_sum_current_usage_read_units_10_events",
     "keep_sum_current_usage_read_units_10000_events", "10 -> 10,000 events"),
    ("unique_count current usage, read units per read", "unique_count_read_units_10k_over_10",
     "unique_count_read_units_10k_over_10", "10 -> 10,000 distinct values"),
    ("biller, requests per customer", "biller_requests_per_customer", "biller_requests_per_customer_1000_events",
     "10 -> 1,000 events a customer"),
    ("biller, write units per customer", "biller_write_units_per_customer",
     "biller_write_units_per_customer_1000_events", "10 -> 1,000 events a customer"),
    ("biller, read units per customer", "biller_read_units_per_customer", "biller_read_units_per_customer_1000_events",
     "10 -> 1,000 events a customer"),
    ("aggregator, requests per event", "aggregation_requests_per_event_concentrated",
     "aggregation_requests_per_event_spread", "1 -> 100 subscriptions per 100-event batch"),
    ("aggregator, write units per event", "aggregation_write_units_per_event_concentrated",
     "aggregation_write_units_per_event_spread", "1 -> 100 subscriptions per 100-event batch"),
    ("AWS $ per million events", "cost_per_million_events_concentrated", "cost_per_million_events_spread",
     "1 -> 100 subscriptions per 100-event batch"),
)


def _cell(value: dict[str, Any]) -> str:
    return f"{value['median']:g} [{value['min']:g}-{value['max']:g}] ({value['rounds']} rounds)"


def table(results: dict[str, Any]) -> str:
    rows = ["| path | today (issue 19) | goal | measured median [min-max] | met |", "| --- | --- | --- | --- | --- |"]
    for goal in GOALS:
        value = results.get(goal.key)
        bound = "-" if goal.bound is None else f"<= {goal.bound:g}"
        if value is None:
            rows.append(f"| {goal.path} | {goal.today} | {bound} | not measured | no |")
            continue
        met = goal.met(value["median"])
        rows.append(f"| {goal.path} | {goal.today} | {bound} | {_cell(value)} | "
                    f"{'-' if met is None else 'yes' if met else 'no'} |")
    return "\n".join(rows)


def _median(results: dict[str, Any], key: str, raw: str | None) -> float | None:
    value = results.get(key)
    if value is None:
        return None
    return statistics.median(value[raw]) if raw else value["median"]


def growth(results: dict[str, Any]) -> str:
    """How the figures grow with events, subscriptions per batch and values: the medians at both sizes."""
    rows = ["| figure | grows with | small | large | large / small |", "| --- | --- | --- | --- | --- |"]
    for what, small_key, large_key, sizes in GROWTH:
        unique = small_key == large_key  # its two sizes are raw counts of one figure
        small = _median(results, small_key, "read_units_10" if unique else None)
        large = _median(results, large_key, "read_units_many" if unique else None)
        if small is None or large is None:
            rows.append(f"| {what} | {sizes} | not measured | not measured | - |")
            continue
        rows.append(f"| {what} | {sizes} | {small:g} | {large:g} | {large / small:.2f} |")
    return "\n".join(rows)


def write_section(document: Path, text: str) -> None:
    """Replace what lies between the markers of `document` by `text`."""
    content = document.read_text()
    head, rest = content.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    document.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")

"""Draft finalization: with a 2-day grace period January's invoices are drafts; the biller finalizes them (numbering
them) when the grace period ends, crashed after each write and fired again."""
from __future__ import annotations

from datetime import UTC, datetime

from reliability.catalog import ingest_one_by_one, invoiced_counts, prepare_catalog, usage_events
from reliability.scenario import Scenario
from reliability.scenarios.pipeline import aggregate, bill

CUSTOMERS = 2
GRACE_ENDED_RUN = datetime(2026, 2, 3, 0, 30, tzinfo=UTC)


def _prepare(world) -> None:
    prepare_catalog(world, CUSTOMERS, grace_days=2)
    ingest_one_by_one(world, usage_events(4, CUSTOMERS))
    aggregate(world, duplicate=False)
    bill(world, duplicate=False)  # the drafts


SCENARIOS = [
    Scenario("drafts-finalization-crash", "draft finalization",
             "2 customers' January drafts (grace period 2 days); the biller at 3 February 00:30 finalizes them, "
             "crashing after each write; the schedule fires again, then once more.",
             "crash_after_write", _prepare, act=lambda world: bill(world, GRACE_ENDED_RUN),
             judge=lambda world: invoiced_counts(world, expected_invoices=CUSTOMERS)),
]

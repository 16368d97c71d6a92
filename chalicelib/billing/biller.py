"""The biller, fired hourly. It takes "now" from its trigger, never from the wall clock, so any instant can
be replayed (`python -m chalicelib.cli bill --at ...`). Invoicing arrives with the billing issue; until then
there is nothing to bill and a run only records the instant it was given."""
from __future__ import annotations

from datetime import datetime

from chalicelib.observability import logger


def trigger_instant(scheduled_event: dict) -> datetime:
    """The instant of an EventBridge scheduled event (`"time": "2026-12-01T00:30:00Z"`)."""
    return datetime.fromisoformat(scheduled_event["time"].replace("Z", "+00:00"))


def run_biller(now: datetime) -> dict:
    logger.info("biller run", extra={"now": now.isoformat()})
    return {"now": now.isoformat(), "invoices_created": 0}

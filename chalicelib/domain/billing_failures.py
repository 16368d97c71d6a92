"""A customer the biller could not bill: how many runs failed, the last reason, and when (what `billing-failures`
shows the operator)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BillingFailure:
    organization_id: str
    customer_id: str
    attempts: int
    reason: str
    first_failed_at: datetime
    last_failed_at: datetime

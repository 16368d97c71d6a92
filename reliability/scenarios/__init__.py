"""Every scenario of the suite, in the order the report lists them."""
from __future__ import annotations

from reliability.scenarios import aggregation, billing, drafts, ingestion, mixed, pay_in_advance, webhooks

SCENARIOS = [*ingestion.SCENARIOS, *aggregation.SCENARIOS, *pay_in_advance.SCENARIOS, *billing.SCENARIOS,
             *drafts.SCENARIOS, *webhooks.SCENARIOS, *mixed.SCENARIOS]

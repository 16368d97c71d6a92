"""The composition root of the data plane: the use cases run on the adapters the environment names (DynamoDB
tables, SQS queues). Handlers, the CLI and tests that drive a whole run call these; the use cases themselves take
their ports as arguments."""
from __future__ import annotations

from datetime import datetime

from chalicelib.billing.biller import bill_due_customers
from chalicelib.billing.fanout import SqsWorkQueue
from chalicelib.store.repositories import repositories


def run_biller(now: datetime) -> dict:
    """The hourly biller's run as of `now` (its trigger's time)."""
    return bill_due_customers(repositories(), SqsWorkQueue(), now)

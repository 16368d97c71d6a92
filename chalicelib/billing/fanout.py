"""Fan-out of a biller run: past `BILLER_INLINE_CUSTOMERS` due customers (and when `BILLING_QUEUE_URL` names the
work queue) the hourly run only queues one message per customer, ten per SendMessageBatch, and the queue's worker
(`bill_customers` in app.py, running `BillingWorker`) bills them in parallel Lambdas. The arithmetic for 100,000
subscriptions due at one hour is in docs/operations.md. The same worker goes on with test clocks' advances that did
not finish within their request (`{"organization_id", "test_clock_id"}` messages: chalicelib/billing/clock_advance.py).
The queue itself is chalicelib/billing/work_queue.py."""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.billing.clock_advance import ClockAdvance
from chalicelib.billing.customer_billing import CustomerBilling
from chalicelib.billing.ports import BillingStores, WorkQueue
from chalicelib.domain.test_clocks import TestClock

# The worker's placeholder ARN; the deployment template points the event source at the real queue.
BILLING_QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:billing-work"
DEFAULT_INLINE_CUSTOMERS = 50
# The worker's timeout, and how long one invocation goes on with test clocks' advances within it.
WORKER_TIMEOUT_SECONDS = 300
WORKER_BUDGET_SECONDS = 240
# A message is dead-lettered after this many receives its worker failed.
MAX_RECEIVES = 5
_processor = BatchProcessor(event_type=EventType.SQS)


def inline_limit() -> int:
    return int(os.environ.get("BILLER_INLINE_CUSTOMERS", DEFAULT_INLINE_CUSTOMERS))


def work_message(organization_id: str, customer_id: str, now: datetime) -> str:
    return json.dumps({"organization_id": organization_id, "customer_id": customer_id, "now": now.isoformat()},
                      separators=(",", ":"))


def continuation_message(clock: TestClock) -> str:
    return json.dumps({"organization_id": clock.organization_id, "test_clock_id": clock.id}, separators=(",", ":"))


class BillingWorker:
    """The billing work queue's worker on the billing stores (a test clock's advance may queue its continuation)."""

    def __init__(self, stores: BillingStores, queue: WorkQueue):
        self._billing = CustomerBilling(stores)
        self._advance = ClockAdvance(stores, queue)

    def bill_queued(self, raw_event: dict[str, Any], context: LambdaContext | None,
                    has_time: Callable[[], bool]) -> PartialItemFailureResponse:
        """Bill each queued customer at its run's instant, or go on with a test clock's advance while `has_time()`.
        A message whose customer could not be billed is reported in `batchItemFailures`, so SQS redelivers that one
        alone (then, after 5 receives, dead-letters it)."""
        def bill(record: SQSRecord) -> None:
            work = json.loads(record.body)
            if "test_clock_id" in work:
                self._advance.continue_advance(work["organization_id"], work["test_clock_id"], has_time)
            elif self._billing.bill_isolated(work["organization_id"], work["customer_id"],
                                             datetime.fromisoformat(work["now"])) is None:
                raise CustomerNotBilled(work["customer_id"])

        return process_partial_response(event=raw_event, record_handler=bill, processor=_processor, context=context)


class CustomerNotBilled(Exception):
    """The message's customer was not billed (logged); SQS delivers the message again."""

"""What a million events cost on AWS (us-east-1 list prices), from the measured requests and units of their way in:
ingestion over the HTTP batch API and aggregation by the stream handler. Every price and assumption is in
docs/performance.md ("Cost model"); change them there and here together."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PRICES_AS_OF = "2026-12-08"
PRICE_SOURCES = ("https://aws.amazon.com/dynamodb/pricing/on-demand/", "https://aws.amazon.com/lambda/pricing/",
                 "https://aws.amazon.com/api-gateway/pricing/")
WRITE_REQUEST_UNIT = Decimal("0.625") / 10**6       # DynamoDB on demand, per write request unit
READ_REQUEST_UNIT = Decimal("0.125") / 10**6        # DynamoDB on demand, per read request unit
STORAGE_GB_MONTH = Decimal("0.25")                  # DynamoDB Standard table class, per GB-month
LAMBDA_REQUEST = Decimal("0.20") / 10**6            # per invocation
LAMBDA_GB_SECOND = Decimal("0.0000166667")          # x86, first tier
API_REQUEST = Decimal("3.50") / 10**6               # REST API (what Chalice deploys), first 333 million a month
# Assumptions (docs/performance.md): the prod stage's memory, DynamoDB's latency per request seen from Lambda,
# events kept one month, the stream read by Lambda's trigger (free), one API request and one stream batch per batch.
LAMBDA_MEMORY_GB = Decimal("0.5")
SECONDS_PER_REQUEST = Decimal("0.005")
MONTHS_STORED = 1


@dataclass(frozen=True)
class BatchCost:
    """The measured cost of one batch of events' way in (ingestion plus aggregation)."""

    events: int
    requests: int              # DynamoDB requests
    write_units: int
    read_units: Decimal
    cpu_seconds: Decimal       # the app's CPU in the two Lambda invocations, outside DynamoDB's calls
    stored_bytes: int          # bytes the events occupy in the table and its indexes (overhead included)


def dollars_per_million_events(batch: BatchCost) -> dict[str, Decimal]:
    """The cost of a million events by line (DynamoDB requests, storage, Lambda, API Gateway) and in total."""
    batches = Decimal(10**6) / batch.events
    lambda_seconds = batch.cpu_seconds + batch.requests * SECONDS_PER_REQUEST
    lines = {
        "dynamodb_writes": batch.write_units * WRITE_REQUEST_UNIT * batches,
        "dynamodb_reads": batch.read_units * READ_REQUEST_UNIT * batches,
        "dynamodb_storage": Decimal(batch.stored_bytes) / 2**30 * STORAGE_GB_MONTH * MONTHS_STORED * batches,
        "lambda_requests": 2 * LAMBDA_REQUEST * batches,  # the API's invocation and the stream handler's
        "lambda_duration": lambda_seconds * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND * batches,
        "api_gateway": API_REQUEST * batches,
    }
    return {**lines, "total": sum(lines.values(), Decimal(0))}

"""Shared by the aggregator tests: a tenant's metrics, a plan with filtered charges and a subscription (through
the API), events-table items as ingestion writes them, and Lambda-shaped stream events built from them."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from builders import create_customer, create_metric, create_plan, subscribe

from chalicelib.domain.aggregate_keys import bucket_key
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.handlers.usage_stream import handle_stream_batch
from chalicelib.store import keys
from chalicelib.store.dynamo import to_attributes
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import EVENTS

STARTED = datetime(2026, 1, 15, 10, tzinfo=UTC)
FEBRUARY = epoch_ms(datetime(2026, 2, 1, tzinfo=UTC))
MARCH = epoch_ms(datetime(2026, 3, 1, tzinfo=UTC))
JANUARY_START = epoch_ms(datetime(2026, 1, 1, tzinfo=UTC))
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/billing-events/stream/2026-01-01T00:00:00.000"
REGIONS = {"eu": {"region": ["eu"]}, "us": {"region": ["us"]}}
EU, US = (bucket_key(REGIONS[region]) for region in ("eu", "us"))  # the regions' filter buckets
_sequence = count(10**21)


def setup_usage(api) -> dict:
    """Metrics calls (count), bytes (sum of size), peak (max of size), last (latest of size), seen (unique count of
    size), each charged with a filter per region plus the default bucket; customer `cust` subscribed as `sub` from
    15 January 2026."""
    metrics = {}
    for code, aggregation, field in (("calls", "count_agg", None), ("bytes", "sum_agg", "size"),
                                     ("peak", "max_agg", "size"), ("last", "latest_agg", "size"),
                                     ("seen", "unique_count_agg", "size")):
        metric = create_metric(api, code, aggregation, field)
        response = api.put(f"/api/v1/billable_metrics/{code}", {"billable_metric": {
            "filters": [{"key": "region", "values": ["eu", "us"]}]}})
        assert response.status_code == 200, response.body
        metrics[code] = metric
    create_customer(api)
    charges = [{"billable_metric_id": metric["lago_id"], "charge_model": "standard", "properties": {"amount": "1"},
                "filters": [{"values": values, "properties": {"amount": "2"}} for values in REGIONS.values()]}
               for metric in metrics.values()]
    plan = create_plan(api, charges=charges)
    subscription = subscribe(api, subscription_at=STARTED.isoformat().replace("+00:00", "Z"))
    return {"plan": plan, "subscription": subscription,
            "charges": {charge["billable_metric_code"]: charge["lago_id"] for charge in plan["charges"]}}


def event_item(organization_id: str, transaction_id: str, timestamp_ms: int, code: str = "calls",
               properties: dict | None = None, external_subscription_id: str = "sub") -> dict:
    """An events-table item exactly as ingestion stores it (the stream's input contract)."""
    return {"pk": keys.event_pk(organization_id, transaction_id), "sk": keys.event_sk(external_subscription_id),
            "lago_id": f"lago-{transaction_id}", "organization_id": organization_id, "transaction_id": transaction_id,
            "external_subscription_id": external_subscription_id, "lago_subscription_id": None,
            "lago_customer_id": "customer", "code": code, "timestamp_ms": timestamp_ms,
            "properties": properties or {}, "precise_total_amount_cents": None,
            "timestamp_given": True, "received_at": "2026-01-20T00:00:00.000Z",
            "gsi1pk": keys.event_subscription_pk(organization_id, external_subscription_id),
            "gsi1sk": keys.event_time_sk(timestamp_ms, transaction_id)}


def store_events(dynamodb, items: list[dict]) -> None:
    for item in items:
        dynamodb.put_item(TableName=EVENTS.name, Item=to_attributes(item))


def stored_records(dynamodb, items: list[dict]) -> list[dict]:
    """Store the items as ingestion does; the stream records of their inserts."""
    store_events(dynamodb, items)
    return [stream_record(item) for item in items]


def store_and_deliver(dynamodb, items: list[dict]) -> None:
    """Store the items as ingestion does and deliver their records to the stream handler in one batch, all applied."""
    assert deliver(stored_records(dynamodb, items)) == {"batchItemFailures": []}


def stream_record(item: dict, sequence_number: int | None = None) -> dict:
    return {"eventID": f"id-{item['transaction_id']}", "eventName": "INSERT", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "eventSourceARN": STREAM_ARN,
            "dynamodb": {"ApproximateCreationDateTime": 1767225600.0,
                         "Keys": to_attributes({"pk": item["pk"], "sk": item["sk"]}),
                         "NewImage": to_attributes(item), "SequenceNumber": str(sequence_number or next(_sequence)),
                         "SizeBytes": 100, "StreamViewType": "NEW_IMAGE"}}


def deliver(records: list[dict], shard: str = "shardId-1") -> dict:
    return handle_stream_batch({"Records": records, "shardId": shard}, None)


def aggregates(organization_id: str, subscription_id: str, period_start_ms: int) -> dict:
    """The period's aggregates by (charge, bucket), and by (charge, bucket, group) for a pricing group's."""
    return {(charge, bucket, *([group] if group else [])): aggregate for (charge, bucket, group), aggregate
            in repositories().usage.period_aggregates(organization_id, subscription_id, period_start_ms).items()}


def decimal(text: str) -> Decimal:
    return Decimal(text)

"""The DynamoDB tables: ONE definition, used by the deployment template, the local stack and the tests."""
from __future__ import annotations

import os
from dataclasses import dataclass

from botocore.client import BaseClient


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index with string keys (on demand, like its table), projecting every attribute or
    only the keys."""

    name: str
    partition_key: str
    sort_key: str
    projection: str = "ALL"

    def definition(self) -> dict:
        return {"IndexName": self.name,
                "KeySchema": [{"AttributeName": self.partition_key, "KeyType": "HASH"},
                              {"AttributeName": self.sort_key, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": self.projection}}


@dataclass(frozen=True)
class TableSpec:
    """A table with a string partition key `pk` and sort key `sk`, billed on demand, and its indexes."""

    logical_id: str
    env_var: str
    default_name: str
    stream_view_type: str | None = None
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = None  # epoch seconds after which DynamoDB deletes the item

    @property
    def name(self) -> str:
        return os.environ.get(self.env_var, self.default_name)

    @property
    def stream_arn_placeholder(self) -> str:
        """What a stream handler's decorator names (decorator arguments are evaluated at import, by `chalice
        package` too): the merge template replaces it with the table's real stream ARN, and the local stack finds
        the table by it."""
        return (f"arn:aws:dynamodb:us-east-1:000000000000:table/{self.default_name}/stream/"
                "replaced-by-the-merge-template")

    def key_schema(self) -> list[dict]:
        return [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]

    def attribute_definitions(self) -> list[dict]:
        names = dict.fromkeys(["pk", "sk", *(name for index in self.indexes
                                             for name in (index.partition_key, index.sort_key))])
        return [{"AttributeName": name, "AttributeType": "S"} for name in names]

    def _with_indexes(self, properties: dict) -> dict:
        if self.indexes:
            properties["GlobalSecondaryIndexes"] = [index.definition() for index in self.indexes]
        return properties

    def create_table_request(self) -> dict:
        """Arguments of DynamoDB's CreateTable, as the local stack and the tests use them."""
        request = {
            "TableName": self.name,
            "KeySchema": self.key_schema(),
            "AttributeDefinitions": self.attribute_definitions(),
            "BillingMode": "PAY_PER_REQUEST",
        }
        self._with_indexes(request)
        if self.stream_view_type:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream_view_type}
        return request

    def cloudformation_resource(self) -> dict:
        """The same table as an `AWS::DynamoDB::Table`, with point-in-time recovery."""
        properties = {
            "KeySchema": self.key_schema(),
            "AttributeDefinitions": self.attribute_definitions(),
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        }
        self._with_indexes(properties)
        if self.stream_view_type:
            # CloudFormation has no `StreamEnabled` (CreateTable's name): the view type enables the stream.
            properties["StreamSpecification"] = {"StreamViewType": self.stream_view_type}
        if self.ttl_attribute:
            properties["TimeToLiveSpecification"] = {"AttributeName": self.ttl_attribute, "Enabled": True}
        return {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": properties,
        }


# Subscriptions by the instant of the biller's next action on them (sparse, keys only): docs/data-model.md.
CONTROL_BY_DUE = IndexSpec("by_due", "due_pk", "due_sk", projection="KEYS_ONLY")
# Subscriptions by the instant of their unbilled history's next invoice (sparse, keys only): `bill --backfill`.
CONTROL_BY_BACKFILL = IndexSpec("by_backfill", "backfill_pk", "backfill_sk", projection="KEYS_ONLY")
# Its one item with an expiry, a console session, is deleted by DynamoDB's TTL once its `expires_at` has passed.
CONTROL = TableSpec("ControlTable", "CONTROL_TABLE", "billing-control", indexes=(CONTROL_BY_DUE, CONTROL_BY_BACKFILL),
                    ttl_attribute="expires_at")
# Events of a subscription in time order (the aggregator's rebuild, GET /events): see docs/data-model.md.
EVENTS_BY_SUBSCRIPTION_TIME = IndexSpec("by_subscription_time", "gsi1pk", "gsi1sk")
# A subscription's unbillable events in time order (sparse: only those the aggregator marked), `billable=false`.
EVENTS_UNBILLABLE = IndexSpec("by_unbillable", "unbillable_pk", "unbillable_sk")
EVENTS = TableSpec("EventsTable", "EVENTS_TABLE", "billing-events", stream_view_type="NEW_IMAGE",
                   indexes=(EVENTS_BY_SUBSCRIPTION_TIME, EVENTS_UNBILLABLE))
USAGE = TableSpec("UsageTable", "USAGE_TABLE", "billing-usage")
# The webhook outbox: one item per webhook, written in the transaction of the change it reports; its stream feeds
# the delivery queue (docs/webhooks.md).
WEBHOOKS = TableSpec("WebhooksTable", "WEBHOOKS_TABLE", "billing-webhooks", stream_view_type="NEW_IMAGE",
                     ttl_attribute="expires_at")
ALL_TABLES = (CONTROL, EVENTS, USAGE, WEBHOOKS)


def create_tables(client: BaseClient) -> None:
    """Create every table that does not exist yet (local stack and tests)."""
    existing = set(client.list_tables()["TableNames"])
    for spec in ALL_TABLES:
        if spec.name not in existing:
            client.create_table(**spec.create_table_request())
            client.get_waiter("table_exists").wait(TableName=spec.name)
            if spec.ttl_attribute:
                client.update_time_to_live(TableName=spec.name, TimeToLiveSpecification={
                    "AttributeName": spec.ttl_attribute, "Enabled": True})


EVENTS_STREAM_ARN_PLACEHOLDER = EVENTS.stream_arn_placeholder
WEBHOOKS_STREAM_ARN_PLACEHOLDER = WEBHOOKS.stream_arn_placeholder


def table_of_stream_placeholder(stream_arn: str) -> TableSpec:
    """The table whose stream a handler's placeholder ARN names."""
    return next(spec for spec in ALL_TABLES if spec.stream_view_type and spec.stream_arn_placeholder == stream_arn)

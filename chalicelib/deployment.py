"""The merge template for `chalice package --merge-template infra/merge-template.json`, built from the code's
own definitions (tables, gateway responses). Chalice merges it key by key: dicts merge recursively, while a
list or a scalar replaces chalice's value whole (so each role's `Policies` here is its complete policy)."""
from __future__ import annotations

from chalicelib.api.gateway_responses import sam_gateway_responses
from chalicelib.store.tables import ALL_TABLES, CONTROL, EVENTS, USAGE, TableSpec

# Chalice's logical ids: function -> its role.
ROLES = {"APIHandler": "ApiHandlerRole", "AggregateUsage": "AggregateUsageRole", "Biller": "BillerRole"}
STREAM_FUNCTION = "AggregateUsage"
STREAM_EVENT = "AggregateUsageDynamodbEventSource"
FAILURE_QUEUE = "StreamFailuresQueue"

READ = ("GetItem", "Query")
READ_WRITE = READ + ("PutItem", "UpdateItem")
# TransactWriteItems is authorized per item: Put/Update/Delete/ConditionCheckItem.
TRANSACT_WRITE = READ_WRITE + ("ConditionCheckItem",)
STREAM_READ = ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")

# What each role may do to which table, and nothing else.
TABLE_ACCESS: dict[str, dict[TableSpec, tuple[str, ...]]] = {
    "ApiHandlerRole": {CONTROL: TRANSACT_WRITE + ("DeleteItem",), EVENTS: READ + ("PutItem",)},
    "AggregateUsageRole": {USAGE: READ_WRITE, CONTROL: READ},
    "BillerRole": {CONTROL: TRANSACT_WRITE, USAGE: READ, EVENTS: ("Query",)},
}

# Stream records live 24 h; give up on a record after 6 h so its shard and sequence range, sent to the
# failure queue, can still be replayed from the stream. The events themselves stay in the events table.
STREAM_SETTINGS = {
    "StartingPosition": "TRIM_HORIZON",
    "ParallelizationFactor": 1,  # the aggregator's per-shard watermark needs records in shard order
    # Only with a tumbling window does Lambda put `shardId` on the event, and the aggregator keeps one
    # watermark per shard: without it, concurrent shards would share one watermark and drop records.
    # The aggregator keeps no window state; the window length only bounds how long Lambda keeps `state`.
    "TumblingWindowInSeconds": 60,
    "FunctionResponseTypes": ["ReportBatchItemFailures"],
    "BisectBatchOnFunctionError": True,
    "MaximumRetryAttempts": 10,
    "MaximumRecordAgeInSeconds": 6 * 3600,
    "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [FAILURE_QUEUE, "Arn"]}}},
}

LOG_GROUPS = {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/*"}


def _arn(logical_id: str, attribute: str = "Arn") -> dict:
    return {"Fn::GetAtt": [logical_id, attribute]}


def _statement(sid: str, actions, resources: list) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def _table_statement(spec: TableSpec, actions: tuple[str, ...]) -> dict:
    resources = [_arn(spec.logical_id)]
    if spec.cloudformation_resource()["Properties"].get("GlobalSecondaryIndexes"):
        resources.append({"Fn::Sub": f"${{{spec.logical_id}.Arn}}/index/*"})
    return _statement(spec.logical_id, (f"dynamodb:{action}" for action in actions), resources)


def _role_statements(role: str) -> list[dict]:
    statements = [_statement("Logs", ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
                             [LOG_GROUPS])]
    statements += [_table_statement(spec, actions) for spec, actions in TABLE_ACCESS[role].items()]
    if role == ROLES[STREAM_FUNCTION]:
        statements.append(_statement("EventsStream", (f"dynamodb:{a}" for a in STREAM_READ),
                                     [_arn(EVENTS.logical_id, "StreamArn")]))
        statements.append(_statement("StreamFailures", ("sqs:SendMessage",), [_arn(FAILURE_QUEUE)]))
    return statements


def _role(role: str) -> dict:
    document = {"Version": "2012-10-17", "Statement": _role_statements(role)}
    return {"Properties": {"Policies": [{"PolicyName": f"{role}Policy", "PolicyDocument": document}]}}


def _function(name: str) -> dict:
    properties = {"Environment": {"Variables": {spec.env_var: {"Ref": spec.logical_id} for spec in ALL_TABLES}}}
    if name == STREAM_FUNCTION:
        stream = {"Stream": _arn(EVENTS.logical_id, "StreamArn"), **STREAM_SETTINGS}
        properties["Events"] = {STREAM_EVENT: {"Properties": stream}}
    return {"Properties": properties}


def merge_template() -> dict:
    """The template merged into chalice's SAM output: tables, failure queue, IAM, stream and API settings."""
    resources = {spec.logical_id: spec.cloudformation_resource() for spec in ALL_TABLES}
    resources[FAILURE_QUEUE] = {
        "Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 14 * 24 * 3600}}
    resources.update({role: _role(role) for role in ROLES.values()})
    resources.update({function: _function(function) for function in ROLES})
    resources["RestAPI"] = {"Properties": {"GatewayResponses": sam_gateway_responses()}}
    outputs = {f"{spec.logical_id}Name": {"Value": {"Ref": spec.logical_id}} for spec in ALL_TABLES}
    outputs[f"{FAILURE_QUEUE}Url"] = {"Value": {"Ref": FAILURE_QUEUE}}
    # Chalice's own EndpointURL output keeps its Value; the merge only adds a description.
    outputs["EndpointURL"] = {"Description": "The api_url for Lago's clients (they append api/v1/)"}
    return {"Resources": resources, "Outputs": outputs}

"""The merge template for `chalice package --merge-template infra/merge-template.json`, built from the code's
own definitions (tables, gateway responses). Chalice merges it key by key: dicts merge recursively, while a
list or a scalar replaces chalice's value whole (so each role's `Policies` here is its complete policy)."""
from __future__ import annotations

import json
from collections.abc import Iterable

from chalicelib.api.gateway_responses import sam_gateway_responses
from chalicelib.billing.fanout import MAX_RECEIVES, WORKER_TIMEOUT_SECONDS
from chalicelib.observability import (
    CUSTOMERS_NOT_BILLED,
    DEAD_LETTERED_EVENTS,
    METRICS_NAMESPACE,
    SERVICE_NAME,
    WEBHOOKS_FAILED,
)
from chalicelib.store.tables import ALL_TABLES, CONTROL, EVENTS, USAGE, WEBHOOKS, TableSpec
from chalicelib.webhooks.queue import DELIVERY_TIMEOUT_SECONDS, QUEUE_VISIBILITY_SECONDS, redrive_policy

# Chalice's logical ids: function -> its role.
ROLES = {"APIHandler": "ApiHandlerRole", "AggregateUsage": "AggregateUsageRole", "Biller": "BillerRole",
         "BillCustomers": "BillCustomersRole", "QueueWebhooks": "QueueWebhooksRole",
         "DeliverWebhooks": "DeliverWebhooksRole"}
API_FUNCTION = "APIHandler"
STREAM_FUNCTION = "AggregateUsage"
STREAM_EVENT = "AggregateUsageDynamodbEventSource"
FAILURE_QUEUE = "StreamFailuresQueue"
# The biller's fan-out: its work queue, the worker reading it, and where a message goes after 5 failed receives.
BILLER_FUNCTION = "Biller"
WORKER_FUNCTION = "BillCustomers"
WORKER_EVENT = "BillCustomersSqsEventSource"
WORK_QUEUE = "BillingWorkQueue"
WORK_DEAD_LETTERS = "BillingWorkDeadLetterQueue"
# The hourly run reads the due index and queues up to 100,000 customers (docs/operations.md): Lambda's maximum.
BILLER_TIMEOUT_SECONDS = 900
# Webhooks (docs/webhooks.md): the outbox's stream handler, the queue it feeds, and the delivery function.
WEBHOOK_STREAM_FUNCTION = "QueueWebhooks"
WEBHOOK_STREAM_EVENT = "QueueWebhooksDynamodbEventSource"
WEBHOOK_STREAM_FAILURES = "WebhookStreamFailuresQueue"
DELIVERY_FUNCTION = "DeliverWebhooks"
DELIVERY_EVENT = "DeliverWebhooksSqsEventSource"
WEBHOOK_QUEUE = "WebhookQueue"
WEBHOOK_DEAD_LETTERS = "WebhookDeadLetterQueue"

READ = ("GetItem", "BatchGetItem", "Query")
READ_WRITE = READ + ("PutItem", "UpdateItem")
# TransactWriteItems is authorized per item: Put/Update/Delete/ConditionCheckItem.
TRANSACT_WRITE = READ_WRITE + ("ConditionCheckItem",)
STREAM_READ = ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")
QUEUE_CONSUMER = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")
# A transaction's Put of an outbox item (chalicelib/store/webhooks.py): every role whose writes report a webhook.
OUTBOX_WRITE = ("PutItem",)
PURGE = ("BatchWriteItem",)

# What each role may do to which table, and nothing else.
TABLE_ACCESS: dict[str, dict[TableSpec, tuple[str, ...]]] = {
    # The API bills a terminated subscription's final invoice at once, hence usage reads; deleting a test clock
    # purges its customers' items from every table (chalicelib/store/customer_purge.py).
    "ApiHandlerRole": {CONTROL: TRANSACT_WRITE + ("DeleteItem",) + PURGE, EVENTS: READ + ("PutItem",) + PURGE,
                       USAGE: READ + PURGE, WEBHOOKS: OUTBOX_WRITE + ("BatchGetItem",) + PURGE},
    # It marks the events that arrive after their period was invoiced, asks for a draft's refresh, and creates
    # pay-in-advance fees: each in a transaction with its invoice (numbered, consuming credit notes: a consumed one's
    # marker is deleted) and the outbox item of its webhooks.
    "AggregateUsageRole": {USAGE: READ_WRITE, CONTROL: TRANSACT_WRITE + ("DeleteItem",), EVENTS: ("UpdateItem",),
                           WEBHOOKS: OUTBOX_WRITE},
    "BillerRole": {CONTROL: TRANSACT_WRITE + ("DeleteItem",), USAGE: READ, EVENTS: READ, WEBHOOKS: OUTBOX_WRITE},
    "BillCustomersRole": {CONTROL: TRANSACT_WRITE + ("DeleteItem",), USAGE: READ, EVENTS: READ,
                          WEBHOOKS: OUTBOX_WRITE},
    # The stream record carries what it queues.
    "QueueWebhooksRole": {},
    # It reads what a payload shows, moves the webhook's delivery state, and gives an organization created before
    # signing keys existed its key (UpdateItem on the control table).
    "DeliverWebhooksRole": {WEBHOOKS: ("GetItem", "UpdateItem"), CONTROL: READ + ("UpdateItem",)},
}


def _stream_source(failure_queue: str) -> dict:
    """A stream event source that reports partial failures and never drops a record silently. Stream records live
    24 h; give up on a record after 6 h so its shard and sequence range, sent to the failure queue, can still be
    replayed from the stream. The events and webhooks themselves stay in their tables."""
    return {"StartingPosition": "TRIM_HORIZON",
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 10,
            "MaximumRecordAgeInSeconds": 6 * 3600,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [failure_queue, "Arn"]}}}}


STREAM_SETTINGS = {
    **_stream_source(FAILURE_QUEUE),
    "ParallelizationFactor": 1,  # the aggregator's per-shard watermark needs records in shard order
    # Only with a tumbling window does Lambda put `shardId` on the event, and the aggregator keeps one
    # watermark per shard: without it, concurrent shards would share one watermark and drop records.
    # The aggregator keeps no window state; the window length only bounds how long Lambda keeps `state`.
    "TumblingWindowInSeconds": 60,
}

LOG_GROUPS = {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/*"}


def _arn(logical_id: str, attribute: str = "Arn") -> dict:
    return {"Fn::GetAtt": [logical_id, attribute]}


def _statement(sid: str, actions: Iterable[str], resources: list) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def _table_statement(spec: TableSpec, actions: tuple[str, ...]) -> dict:
    resources = [_arn(spec.logical_id)]
    if spec.cloudformation_resource()["Properties"].get("GlobalSecondaryIndexes"):
        resources.append({"Fn::Sub": f"${{{spec.logical_id}.Arn}}/index/*"})
    return _statement(spec.logical_id, (f"dynamodb:{action}" for action in actions), resources)


def _stream_read(sid: str, spec: TableSpec) -> dict:
    return _statement(sid, (f"dynamodb:{action}" for action in STREAM_READ), [_arn(spec.logical_id, "StreamArn")])


def _send(sid: str, *queues: str) -> dict:
    return _statement(sid, ("sqs:SendMessage",), [_arn(queue) for queue in queues])


# What each function does beyond its tables: streams read, queues written or consumed.
QUEUE_AND_STREAM_ACCESS = {
    STREAM_FUNCTION: [_stream_read("EventsStream", EVENTS), _send("StreamFailures", FAILURE_QUEUE)],
    BILLER_FUNCTION: [_send("BillingWork", WORK_QUEUE)],
    # A test clock's advance goes on in the worker, which queues what is left again.
    API_FUNCTION: [_send("BillingWork", WORK_QUEUE)],
    WORKER_FUNCTION: [_statement("BillingWork", QUEUE_CONSUMER, [_arn(WORK_QUEUE)]),
                      _send("BillingWorkAgain", WORK_QUEUE)],
    WEBHOOK_STREAM_FUNCTION: [_stream_read("WebhooksStream", WEBHOOKS),
                              _send("WebhookQueue", WEBHOOK_QUEUE, WEBHOOK_STREAM_FAILURES)],
    DELIVERY_FUNCTION: [_statement("WebhookQueue", QUEUE_CONSUMER, [_arn(WEBHOOK_QUEUE)])],
}


def _role_statements(function: str) -> list[dict]:
    statements = [_statement("Logs", ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
                             [LOG_GROUPS])]
    statements += [_table_statement(spec, actions) for spec, actions in TABLE_ACCESS[ROLES[function]].items()]
    return statements + QUEUE_AND_STREAM_ACCESS.get(function, [])


def _role(function: str) -> dict:
    role = ROLES[function]
    document = {"Version": "2012-10-17", "Statement": _role_statements(function)}
    return {"Properties": {"Policies": [{"PolicyName": f"{role}Policy", "PolicyDocument": document}]}}


def _function(name: str) -> dict:
    properties = {"Environment": {"Variables": {spec.env_var: {"Ref": spec.logical_id} for spec in ALL_TABLES}}}
    if name == STREAM_FUNCTION:
        stream = {"Stream": _arn(EVENTS.logical_id, "StreamArn"), **STREAM_SETTINGS}
        properties["Events"] = {STREAM_EVENT: {"Properties": stream}}
    if name in (API_FUNCTION, BILLER_FUNCTION, WORKER_FUNCTION):
        properties["Environment"]["Variables"]["BILLING_QUEUE_URL"] = {"Ref": WORK_QUEUE}
    if name == BILLER_FUNCTION:
        properties["Timeout"] = BILLER_TIMEOUT_SECONDS
    if name == WORKER_FUNCTION:
        properties["Timeout"] = WORKER_TIMEOUT_SECONDS
        properties["Events"] = {WORKER_EVENT: {"Properties": {
            "Queue": _arn(WORK_QUEUE), "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}
    if name in (WEBHOOK_STREAM_FUNCTION, DELIVERY_FUNCTION):
        properties["Environment"]["Variables"]["WEBHOOK_QUEUE_URL"] = {"Ref": WEBHOOK_QUEUE}
    if name == WEBHOOK_STREAM_FUNCTION:
        stream = {"Stream": _arn(WEBHOOKS.logical_id, "StreamArn"), **_stream_source(WEBHOOK_STREAM_FAILURES),
                  # Deliveries update their items too: only inserts are new webhooks, so only they invoke it.
                  "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]}}
        properties["Events"] = {WEBHOOK_STREAM_EVENT: {"Properties": stream}}
    if name == DELIVERY_FUNCTION:
        properties["Timeout"] = DELIVERY_TIMEOUT_SECONDS
        properties["Events"] = {DELIVERY_EVENT: {"Properties": {
            "Queue": _arn(WEBHOOK_QUEUE), "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}
    return {"Properties": properties}


def _queue(**properties) -> dict:
    return {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 14 * 24 * 3600, **properties}}


# The counts an operator acts on (chalicelib/observability.py; Powertools adds the `service` dimension from
# POWERTOOLS_SERVICE_NAME, .chalice/config.json): any in five minutes raises the alarm.
METRIC_ALARMS = {"DeadLetteredEventsAlarm": DEAD_LETTERED_EVENTS, "CustomersNotBilledAlarm": CUSTOMERS_NOT_BILLED,
                 "WebhooksFailedAlarm": WEBHOOKS_FAILED}
# Dead-letter queues holding work that gave up: any message in them raises the alarm.
QUEUE_ALARMS = {"BillingWorkDeadLettersAlarm": WORK_DEAD_LETTERS, "WebhookDeadLettersAlarm": WEBHOOK_DEAD_LETTERS,
                "StreamFailuresAlarm": FAILURE_QUEUE, "WebhookStreamFailuresAlarm": WEBHOOK_STREAM_FAILURES}


def _alarm(description: str, statistic: str, **metric) -> dict:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": description, "Statistic": statistic, "Period": 300, "EvaluationPeriods": 1,
        "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching", **metric}}


def alarms() -> dict:
    """One alarm per operator metric and per queue of given-up work (docs/operations.md, "What to watch")."""
    found = {name: _alarm(f"{metric} above zero: see docs/operations.md", "Sum", Namespace=METRICS_NAMESPACE,
                          MetricName=metric, Dimensions=[{"Name": "service", "Value": SERVICE_NAME}])
             for name, metric in METRIC_ALARMS.items()}
    found.update({name: _alarm(f"messages in {queue}: see docs/operations.md", "Maximum", Namespace="AWS/SQS",
                               MetricName="ApproximateNumberOfMessagesVisible",
                               Dimensions=[{"Name": "QueueName", "Value": _arn(queue, "QueueName")}])
                  for name, queue in QUEUE_ALARMS.items()})
    return found


def merge_template() -> dict:
    """The template merged into chalice's SAM output: tables, failure queue, IAM, stream and API settings."""
    resources = {spec.logical_id: spec.cloudformation_resource() for spec in ALL_TABLES}
    resources[FAILURE_QUEUE] = _queue()
    resources[WORK_DEAD_LETTERS] = _queue()
    # Lambda's guidance: a visibility timeout of six times the worker's timeout.
    resources[WORK_QUEUE] = _queue(VisibilityTimeout=6 * WORKER_TIMEOUT_SECONDS, RedrivePolicy={
        "deadLetterTargetArn": _arn(WORK_DEAD_LETTERS), "maxReceiveCount": MAX_RECEIVES})
    resources[WEBHOOK_STREAM_FAILURES] = _queue()
    resources[WEBHOOK_DEAD_LETTERS] = _queue()
    # Each message is received at most once per attempt: after the last one, SQS dead-letters it.
    resources[WEBHOOK_QUEUE] = _queue(VisibilityTimeout=QUEUE_VISIBILITY_SECONDS,
                                      RedrivePolicy=redrive_policy(_arn(WEBHOOK_DEAD_LETTERS)))
    resources.update({ROLES[function]: _role(function) for function in ROLES})
    resources.update({function: _function(function) for function in ROLES})
    resources["RestAPI"] = {"Properties": {"GatewayResponses": sam_gateway_responses()}}
    resources.update(alarms())
    outputs = {f"{spec.logical_id}Name": {"Value": {"Ref": spec.logical_id}} for spec in ALL_TABLES}
    outputs.update({f"{queue}Url": {"Value": {"Ref": queue}}
                    for queue in (FAILURE_QUEUE, WORK_QUEUE, WORK_DEAD_LETTERS, WEBHOOK_STREAM_FAILURES,
                                  WEBHOOK_QUEUE, WEBHOOK_DEAD_LETTERS)})
    # Chalice's own EndpointURL output keeps its Value; the merge only adds a description.
    outputs["EndpointURL"] = {"Description": "The api_url for Lago's clients (they append api/v1/)"}
    return {"Resources": resources, "Outputs": outputs}

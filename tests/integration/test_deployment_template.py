"""The deployment template: the committed merge template is the code's, and `chalice package` merged with it
gives durable tables, a safe stream consumer, least-privilege roles and Lago-shaped gateway errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.deployment import merge_template
from chalicelib.domain.webhooks import MAX_ATTEMPTS, MAX_RETRY_DELAY_SECONDS
from chalicelib.store.tables import ALL_TABLES, EVENTS_STREAM_ARN_PLACEHOLDER, WEBHOOKS_STREAM_ARN_PLACEHOLDER
from chalicelib.webhooks.queue import WEBHOOK_QUEUE_ARN_PLACEHOLDER

ROOT = Path(__file__).resolve().parents[2]
MERGE_TEMPLATE = ROOT / "infra" / "merge-template.json"
STREAM_EVENT = ("AggregateUsage", "AggregateUsageDynamodbEventSource")
FUNCTION_ROLES = {"APIHandler": "ApiHandlerRole", "AggregateUsage": "AggregateUsageRole", "Biller": "BillerRole",
                  "BillCustomers": "BillCustomersRole", "QueueWebhooks": "QueueWebhooksRole",
                  "DeliverWebhooks": "DeliverWebhooksRole"}


@pytest.fixture(scope="module")
def sam(tmp_path_factory) -> dict:
    """`chalice package` merged with the committed template, run once for the module."""
    out = tmp_path_factory.mktemp("package") / "out"
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    chalice = Path(sys.executable).parent / "chalice"
    result = subprocess.run([str(chalice), "package", "--stage", "prod", "--merge-template",
                             str(MERGE_TEMPLATE.relative_to(ROOT)), str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / "sam.json").read_text())


def _resources(sam: dict, type_: str) -> dict:
    return {name: r for name, r in sam["Resources"].items() if r.get("Type") == type_}


def _statements(sam: dict):
    """(role, statement) for every inline policy statement of every role."""
    for role_name, role in _resources(sam, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                yield role_name, statement


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _resource_target(resource) -> tuple[str, str] | str:
    """A statement resource as (logical id, attribute) for a Fn::GetAtt, else as JSON text."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return tuple(resource["Fn::GetAtt"])
    return json.dumps(resource, sort_keys=True)


def test_committed_template_is_the_code_s():
    expected = json.dumps(merge_template(), indent=2, sort_keys=True) + "\n"
    assert MERGE_TEMPLATE.read_text() == expected, "infra/merge-template.json is stale: run `make template`"


def test_merge_template_only_extends_resources_chalice_generates(sam):
    # A misspelt logical id in the merge template would silently add a resource without a Type.
    assert all("Type" in resource for resource in sam["Resources"].values())


def test_tables_are_on_demand_with_point_in_time_recovery(sam):
    for spec in ALL_TABLES:
        table = sam["Resources"][spec.logical_id]
        assert table["Type"] == "AWS::DynamoDB::Table"
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table["DeletionPolicy"] == "Retain"
    # CloudFormation's StreamSpecification has no StreamEnabled: the view type alone turns the stream on.
    assert sam["Resources"]["EventsTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


def assert_partial_batch_and_never_drops_silently(sam, properties: dict) -> None:
    """A stream source that reports partial failures, bisects, gives up in bounded time and keeps what it gave up."""
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert 0 <= properties["MaximumRetryAttempts"] <= 10_000  # -1 (forever) would block the shard
    assert 60 <= properties["MaximumRecordAgeInSeconds"] < 24 * 3600  # inside the stream's retention
    queue_id, attribute = properties["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"]
    queue = sam["Resources"][queue_id]
    assert (queue["Type"], attribute) == ("AWS::SQS::Queue", "Arn")
    assert queue["Properties"].get("SqsManagedSseEnabled") or queue["Properties"].get("KmsMasterKeyId")


def test_stream_consumer_is_ordered_partial_batch_and_never_drops_silently(sam):
    function, event = STREAM_EVENT
    source = sam["Resources"][function]["Properties"]["Events"][event]
    assert source["Type"] == "DynamoDB"
    properties = source["Properties"]
    assert properties["Stream"] == {"Fn::GetAtt": ["EventsTable", "StreamArn"]}
    assert properties["ParallelizationFactor"] == 1
    # Lambda sends `shardId` only with a tumbling window; the aggregator's per-shard watermarks need it.
    assert properties["TumblingWindowInSeconds"] > 0
    assert_partial_batch_and_never_drops_silently(sam, properties)


def test_the_webhook_outbox_stream_feeds_the_webhook_queue(sam):
    function = sam["Resources"]["QueueWebhooks"]["Properties"]
    source = function["Events"]["QueueWebhooksDynamodbEventSource"]
    assert source["Type"] == "DynamoDB"
    assert source["Properties"]["Stream"] == {"Fn::GetAtt": ["WebhooksTable", "StreamArn"]}
    assert_partial_batch_and_never_drops_silently(sam, source["Properties"])
    assert source["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["WebhookStreamFailuresQueue", "Arn"]}
    # The deliveries' own updates of their items never invoke it.
    [only_inserts] = source["Properties"]["FilterCriteria"]["Filters"]
    assert json.loads(only_inserts["Pattern"]) == {"eventName": ["INSERT"]}
    assert function["Environment"]["Variables"]["WEBHOOK_QUEUE_URL"] == {"Ref": "WebhookQueue"}
    assert sam["Resources"]["WebhooksTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert sam["Resources"]["WebhooksTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at", "Enabled": True}


def test_console_sessions_expire_by_the_control_tables_ttl(sam):
    assert sam["Resources"]["ControlTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at", "Enabled": True}


def test_webhook_delivery_retries_every_attempt_then_dead_letters(sam):
    function = sam["Resources"]["DeliverWebhooks"]["Properties"]
    source = function["Events"]["DeliverWebhooksSqsEventSource"]
    assert source["Type"] == "SQS"
    assert source["Properties"]["Queue"] == {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
    # A failed attempt is reported alone, its visibility set to its retry delay.
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert function["Environment"]["Variables"]["WEBHOOK_QUEUE_URL"] == {"Ref": "WebhookQueue"}
    queue = sam["Resources"]["WebhookQueue"]["Properties"]
    # One receive per attempt: the message reaches the dead-letter queue after the last one, not before.
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["WebhookDeadLetterQueue", "Arn"]},
                                      "maxReceiveCount": MAX_ATTEMPTS}
    # A crashed attempt's message comes back after the function's timeout (and the webhook's lease) has passed.
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    # Messages outlive every retry delay.
    assert queue["MessageRetentionPeriod"] > MAX_ATTEMPTS * MAX_RETRY_DELAY_SECONDS
    assert sam["Resources"]["WebhookDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_every_function_gets_every_table_name_and_keeps_chalice_s_variables(sam):
    functions = _resources(sam, "AWS::Serverless::Function")
    assert set(functions) == set(FUNCTION_ROLES)
    for function in functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        for spec in ALL_TABLES:
            assert variables[spec.env_var] == {"Ref": spec.logical_id}
        # Dicts merge recursively: the config's variables survive the merge.
        assert variables["POWERTOOLS_SERVICE_NAME"] == "billing"


def test_no_wildcard_actions_and_no_wildcard_data_resources(sam):
    statements = list(_statements(sam))
    assert statements
    for role, statement in statements:
        actions = _as_list(statement["Action"])
        assert not any(action == "*" or action.endswith(":*") for action in actions), (role, statement)
        if any(action.startswith(("dynamodb:", "sqs:")) for action in actions):
            assert "*" not in _as_list(statement["Resource"]), (role, statement)
        assert "NotAction" not in statement and "NotResource" not in statement


def test_each_role_has_logs_and_exactly_the_data_access_it_needs(sam):
    granted: dict[str, dict] = {role: {} for role in FUNCTION_ROLES.values()}
    for role, statement in _statements(sam):
        actions = set(_as_list(statement["Action"]))
        for resource in _as_list(statement["Resource"]):
            granted[role].setdefault(_resource_target(resource), set()).update(actions)
    logs = json.dumps({"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                                  "log-group:/aws/lambda/*"})
    crud = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"}
    stream_read = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                   "dynamodb:ListStreams"}
    # The events table has a GSI: its statements also name the table's indexes.
    events_indexes = json.dumps({"Fn::Sub": "${EventsTable.Arn}/index/*"})
    for role, targets in granted.items():
        assert targets.pop(logs, None) == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    # Every role whose transactions report a change puts the webhook's outbox item, and does nothing else there.
    outbox = {("WebhooksTable", "Arn"): {"dynamodb:PutItem"}}
    # What is left are Fn::GetAtt ARNs (and the events table's indexes): every data permission is scoped to a
    # resource of this stack.
    read = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
    control_indexes = json.dumps({"Fn::Sub": "${ControlTable.Arn}/index/*"})
    # The biller and its worker: transactions on the control table (copies of a subscription moving status are
    # deleted), usage and events read.
    billing = {("ControlTable", "Arn"): crud | {"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem",
                                                "dynamodb:DeleteItem"},
               ("UsageTable", "Arn"): read, ("EventsTable", "Arn"): read, events_indexes: read, **outbox}
    billing[control_indexes] = billing[("ControlTable", "Arn")]
    worker_queue = {"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage"}
    assert granted == {
        # TransactWriteItems is authorized per item: its Put/Update/ConditionCheck need their own actions. Deleting
        # a test clock purges its customers' items from every table (BatchWriteItem's deletes).
        "ApiHandlerRole": {
            ("ControlTable", "Arn"): crud | {"dynamodb:BatchGetItem", "dynamodb:DeleteItem",
                                             "dynamodb:ConditionCheckItem", "dynamodb:BatchWriteItem"},
            control_indexes: crud | {"dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
                                     "dynamodb:BatchWriteItem"},
            ("EventsTable", "Arn"): read | {"dynamodb:PutItem", "dynamodb:BatchWriteItem"},
            events_indexes: read | {"dynamodb:PutItem", "dynamodb:BatchWriteItem"},
            ("UsageTable", "Arn"): read | {"dynamodb:BatchWriteItem"},
            ("WebhooksTable", "Arn"): {"dynamodb:PutItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"},
            # A test clock's advance left to the worker.
            ("BillingWorkQueue", "Arn"): {"sqs:SendMessage"},
        },
        # Pay-in-advance fees: transactions on the control table (the fee, its invoice, the credit notes it
        # consumes), their webhooks put in the outbox.
        "AggregateUsageRole": {
            ("EventsTable", "StreamArn"): stream_read,
            ("UsageTable", "Arn"): crud | {"dynamodb:BatchGetItem"},
            ("ControlTable", "Arn"): crud | {"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem",
                                             "dynamodb:DeleteItem"},
            control_indexes: crud | {"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem"},
            ("EventsTable", "Arn"): {"dynamodb:UpdateItem"},  # marks late events
            events_indexes: {"dynamodb:UpdateItem"},
            ("StreamFailuresQueue", "Arn"): {"sqs:SendMessage"},
            **outbox,  # fee.created, with a pay-in-advance fee
        },
        "BillerRole": {**billing, ("BillingWorkQueue", "Arn"): {"sqs:SendMessage"}},
        # It queues again what is left of a test clock's advance.
        "BillCustomersRole": {**billing, ("BillingWorkQueue", "Arn"): worker_queue | {"sqs:SendMessage"}},
        # No table: the stream record carries the ids it queues.
        "QueueWebhooksRole": {
            ("WebhooksTable", "StreamArn"): stream_read,
            ("WebhookQueue", "Arn"): {"sqs:SendMessage"},
            ("WebhookStreamFailuresQueue", "Arn"): {"sqs:SendMessage"},
        },
        # Reads what a payload shows; moves a webhook's delivery state; gives an organization without a signing
        # key its key. Never writes a customer, subscription or invoice through any other action.
        "DeliverWebhooksRole": {
            ("WebhooksTable", "Arn"): {"dynamodb:GetItem", "dynamodb:UpdateItem"},
            ("ControlTable", "Arn"): read | {"dynamodb:UpdateItem"},
            control_indexes: read | {"dynamodb:UpdateItem"},
            ("WebhookQueue", "Arn"): worker_queue,
        },
    }
    # The work queue redrives to its dead-letter queue and outlasts the worker's timeout.
    queue = sam["Resources"]["BillingWorkQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["BillingWorkDeadLetterQueue", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * sam["Resources"]["BillCustomers"]["Properties"]["Timeout"]
    # A message whose customer failed is redelivered alone, not its whole batch.
    worker_event = sam["Resources"]["BillCustomers"]["Properties"]["Events"]["BillCustomersSqsEventSource"]
    assert worker_event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_unknown_routes_answer_lago_s_404(sam):
    responses = sam["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    unknown_route = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert unknown_route["StatusCode"] == "404"
    assert json.loads(unknown_route["ResponseTemplates"]["application/json"]) == {
        "status": 404, "error": "Not Found", "code": "resource_not_found"}
    assert unknown_route["ResponseParameters"]["Headers"]["Content-Type"] == "'application/json'"


def test_placeholder_arns_are_gone(sam):
    for placeholder in (EVENTS_STREAM_ARN_PLACEHOLDER, WEBHOOKS_STREAM_ARN_PLACEHOLDER, WEBHOOK_QUEUE_ARN_PLACEHOLDER):
        assert placeholder not in json.dumps(sam)


def test_an_operator_is_alarmed_by_each_count_of_given_up_work(sam):
    """The metrics the code emits (dead-lettered events, customers not billed, webhooks given up) and every queue of
    given-up work each have an alarm at any value above zero; the metrics' `service` dimension is the one
    Powertools takes from the functions' POWERTOOLS_SERVICE_NAME."""
    from chalicelib.observability import CUSTOMERS_NOT_BILLED, DEAD_LETTERED_EVENTS, WEBHOOKS_FAILED

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    alarms = {name: alarm["Properties"] for name, alarm in _resources(sam, "AWS::CloudWatch::Alarm").items()}
    by_metric = {(alarm["Namespace"], alarm["MetricName"]): alarm for alarm in alarms.values()
                 if alarm["Namespace"] == "Billing"}
    assert set(by_metric) == {("Billing", metric) for metric in (DEAD_LETTERED_EVENTS, CUSTOMERS_NOT_BILLED,
                                                                 WEBHOOKS_FAILED)}
    for alarm in by_metric.values():
        assert alarm["Dimensions"] == [{"Name": "service", "Value": config["environment_variables"][
            "POWERTOOLS_SERVICE_NAME"]}]
        assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
            "Sum", 0, "GreaterThanThreshold")
    queues = {alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for alarm in alarms.values()
              if alarm["Namespace"] == "AWS/SQS"}
    assert queues == {"BillingWorkDeadLetterQueue", "WebhookDeadLetterQueue", "StreamFailuresQueue",
                      "WebhookStreamFailuresQueue"} <= set(_resources(sam, "AWS::SQS::Queue"))

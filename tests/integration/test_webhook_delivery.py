"""Webhook delivery through the real path: API call -> outbox item (same transaction) -> webhooks-table stream ->
`queue_webhooks` -> SQS (moto) -> `deliver_webhooks` -> a real HTTP receiver on loopback. Retries wait the delay the
handler sets on the message (recorded through a botocore hook, and honoured: the message is not received before)."""
from __future__ import annotations

import json
import time

from builders import create_customer, create_plan, subscribe
from interleaving import competing
from webhook_fixtures import RETRY_BASE_SECONDS, hmac_key_of, pipeline, receiver, set_webhook_url
from webhook_receiver import Receiver, verifies

import app
from chalicelib.domain.webhooks import webhook_id
from chalicelib.store.repositories import repositories

__all__ = ["pipeline", "receiver"]  # fixtures


def webhooks_of(tenant) -> dict[str, object]:
    """The organization's outbox items by webhook type."""
    return {webhook.webhook_type: webhook for webhook in repositories().webhooks.list(tenant.organization_id)}


def delay_after(attempt: int) -> int:
    """The delay the test expects after failed attempt `attempt`: the base, doubled at each attempt."""
    return RETRY_BASE_SECONDS * 2 ** (attempt - 1)


def wait_and_pump(pipeline, seconds: float) -> int:
    """Nothing is received before `seconds` have passed; then the message is."""
    assert pipeline.pump_queue() == 0, "received before its retry delay"
    time.sleep(seconds)
    return pipeline.pump_queue()


def test_two_failures_then_a_signed_delivery_with_one_unique_key_per_webhook(api, tenant, pipeline, receiver):
    receiver.script = [500, "drop"]
    set_webhook_url(api, receiver.url)
    customer = create_customer(api, "acme")

    assert pipeline.pump_stream() == 1  # the outbox insert, queued
    assert pipeline.pump_queue() == 1  # attempt 1: 500
    create_customer(api, "acme", name="Renamed after the first attempt")
    assert wait_and_pump(pipeline, delay_after(1)) == 1  # attempt 2: connection dropped
    assert wait_and_pump(pipeline, delay_after(2)) == 1  # attempt 3: 200
    assert pipeline.visibility_changes == [delay_after(1), delay_after(2)]
    assert pipeline.pump_queue() == 0  # delivered: the message is gone

    first, second, third = receiver.received
    # Rendered once, at the first attempt: the same bytes on every attempt, whatever changed since.
    assert first.body == second.body == third.body
    assert first.json()["customer"]["name"] == "Customer acme"
    assert first.unique_key == second.unique_key == third.unique_key == webhook_id(
        tenant.organization_id, "customer.created", customer["lago_id"])
    assert verifies(third, hmac_key_of(tenant.organization_id))
    assert third.headers["Content-Type"] == "application/json"
    assert third.path == "/hooks"
    body = third.json()
    assert (body["webhook_type"], body["object_type"], body["organization_id"]) == (
        "customer.created", "customer", tenant.organization_id)
    assert body["customer"]["lago_id"] == customer["lago_id"]

    delivered = webhooks_of(tenant)["customer.created"]
    assert (delivered.status, delivered.attempts, delivered.last_status_code) == ("delivered", 3, 200)
    assert delivered.delivered_at is not None and delivered.payload.encode() == third.body

    # A second webhook: another unique key, delivered at its first attempt now that the receiver answers.
    create_plan(api)
    subscription = subscribe(api, external_customer_id="acme")
    pipeline.run()
    started = receiver.received[-1]
    assert len(receiver.received) == 4
    assert started.unique_key == webhook_id(tenant.organization_id, "subscription.started", subscription["lago_id"])
    assert started.unique_key != third.unique_key
    assert verifies(started, hmac_key_of(tenant.organization_id))


def test_a_receiver_down_for_a_while_loses_nothing(api, tenant, pipeline):
    down = Receiver().start()
    port = down.port
    down.stop()  # nothing listens on the port: every attempt is refused
    set_webhook_url(api, f"http://127.0.0.1:{port}/hooks")
    create_customer(api, "acme")
    create_plan(api)
    subscribe(api, external_customer_id="acme")

    assert pipeline.pump_stream() == 2
    assert pipeline.pump_queue() == 2
    time.sleep(delay_after(1))
    assert pipeline.pump_queue() == 2
    assert [webhook.status for webhook in webhooks_of(tenant).values()] == ["pending", "pending"]
    assert "Connection refused" in webhooks_of(tenant)["customer.created"].last_error

    back = Receiver().start(port)
    try:
        time.sleep(delay_after(2))
        pipeline.run()
    finally:
        back.stop()
    assert sorted(received.json()["webhook_type"] for received in back.received) == [
        "customer.created", "subscription.started"]
    assert {webhook.status for webhook in webhooks_of(tenant).values()} == {"delivered"}
    assert {webhook.attempts for webhook in webhooks_of(tenant).values()} == {3}


def test_redelivered_records_and_messages_send_nothing_twice(api, tenant, pipeline, receiver):
    set_webhook_url(api, receiver.url)
    create_customer(api, "acme")
    pipeline.pump_stream()
    [message] = pipeline.sqs.receive_message(QueueUrl=pipeline.queue_url, MaxNumberOfMessages=10,
                                             MessageSystemAttributeNames=["All"])["Messages"]
    pipeline.sqs.change_message_visibility(QueueUrl=pipeline.queue_url, ReceiptHandle=message["ReceiptHandle"],
                                           VisibilityTimeout=0)
    [record] = [record for record in _stream_records()]

    # The stream redelivers the insert: a second message, never a second outbox item.
    assert app.queue_webhooks({"Records": [record]}, None) == {"batchItemFailures": []}
    assert pipeline.messages_in(pipeline.queue_url) == 2
    pipeline.run()
    pipeline.run()

    assert len(receiver.received) == 1
    assert len(webhooks_of(tenant)) == 1
    assert pipeline.messages_in(pipeline.queue_url) == 0
    # The same SQS message again, after its delivery: settled without a request.
    assert app.deliver_webhooks(_sqs_event(message, receive_count=2), None) == {"batchItemFailures": []}
    assert len(receiver.received) == 1


def test_two_deliveries_at_once_send_one_request(api, tenant, pipeline, receiver):
    """The second message's attempt runs whole just before the first one claims the webhook: the first finds it
    delivered (its claim's condition fails) and sends nothing."""
    set_webhook_url(api, receiver.url)
    create_customer(api, "acme")
    pipeline.pump_stream()
    webhook = webhooks_of(tenant)["customer.created"]
    duplicate = {"messageId": "duplicate", "receiptHandle": "unused", "md5OfBody": "", "eventSource": "aws:sqs",
                 "body": json.dumps({"organization_id": tenant.organization_id, "webhook_id": webhook.id}),
                 "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                 "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:billing-webhooks", "awsRegion": "us-east-1"}

    with competing("UpdateItem", lambda: app.deliver_webhooks({"Records": [duplicate]}, None)) as competitor:
        assert pipeline.pump_queue() == 1

    assert competitor == [{"batchItemFailures": []}]
    assert len(receiver.received) == 1
    assert webhooks_of(tenant)["customer.created"].attempts == 1


def test_an_organization_without_webhook_url_skips(api, tenant, pipeline, receiver):
    create_customer(api, "acme")
    pipeline.run()

    skipped = webhooks_of(tenant)["customer.created"]
    assert (skipped.status, skipped.attempts, skipped.payload) == ("skipped", 0, None)
    assert pipeline.messages_in(pipeline.queue_url) == 0
    # Setting a URL later does not revive it (Lago sends to the endpoints configured when the event happened).
    set_webhook_url(api, receiver.url)
    pipeline.run()
    assert receiver.received == []


def test_the_last_attempt_marks_failed_and_dead_letters_then_an_admin_resends(api, tenant, pipeline, receiver,
                                                                                monkeypatch, capsys):
    from chalicelib.cli import main

    monkeypatch.setattr("chalicelib.webhooks.delivery.MAX_ATTEMPTS", 2)
    pipeline.sqs.set_queue_attributes(QueueUrl=pipeline.queue_url, Attributes={"RedrivePolicy": json.dumps({
        "deadLetterTargetArn": pipeline.sqs.get_queue_attributes(QueueUrl=pipeline.dead_letters_url,
                                                                 AttributeNames=["QueueArn"])["Attributes"]["QueueArn"],
        "maxReceiveCount": 2})})
    receiver.script = [503, 503]
    set_webhook_url(api, receiver.url)
    create_customer(api, "acme")

    pipeline.pump_stream()
    pipeline.pump_queue()
    assert wait_and_pump(pipeline, delay_after(1)) == 1
    # After the last attempt the message is visible at once, and its next receive moves it to the dead letters.
    assert pipeline.visibility_changes == [delay_after(1), 0]
    assert pipeline.pump_queue() == 0
    assert pipeline.messages_in(pipeline.dead_letters_url) == 1
    failed = webhooks_of(tenant)["customer.created"]
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 2, 503)
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "WebhooksFailed" in line]
    assert [metric["WebhooksFailed"] for metric in emitted] == [[1.0]]  # the metric an operator alarms on

    assert main(["webhooks", "--organization-id", tenant.organization_id, "--status", "failed"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 1 and failed.id in listing[0] and "customer.created" in listing[0]
    assert main(["resend-webhooks", "--organization-id", tenant.organization_id]) == 0
    assert capsys.readouterr().out.splitlines() == [f"resent {failed.id}", "1 webhooks resent"]

    pipeline.run()
    assert [received.unique_key for received in receiver.received] == [failed.id] * 3
    resent = webhooks_of(tenant)["customer.created"]
    assert (resent.status, resent.attempts) == ("delivered", 3)
    assert main(["resend-webhooks", "--organization-id", tenant.organization_id]) == 0
    assert capsys.readouterr().out.splitlines() == ["0 webhooks resent"]


def test_a_payload_that_cannot_be_rendered_is_retried_then_failed_and_resendable(api, tenant, pipeline, receiver,
                                                                                   monkeypatch):
    from chalicelib.cli import main
    from chalicelib.webhooks import payloads

    monkeypatch.setattr("chalicelib.webhooks.delivery.MAX_ATTEMPTS", 2)
    customer_renderer = payloads.RENDERERS["customer"]

    def broken(*_):
        raise payloads.ObjectNotFound("customer")

    monkeypatch.setitem(payloads.RENDERERS, "customer", broken)
    set_webhook_url(api, receiver.url)
    create_customer(api, "acme")
    pipeline.pump_stream()
    pipeline.pump_queue()
    pending = webhooks_of(tenant)["customer.created"]
    assert (pending.status, pending.attempts, pending.last_error) == ("pending", 1,
                                                                     "payload not rendered: customer")
    assert wait_and_pump(pipeline, delay_after(1)) == 1
    failed = webhooks_of(tenant)["customer.created"]
    assert (failed.status, failed.attempts, failed.payload) == ("failed", 2, None)
    assert receiver.received == []
    # Once it can be rendered, an admin's re-send delivers it.
    monkeypatch.setitem(payloads.RENDERERS, "customer", customer_renderer)
    assert main(["resend-webhooks", "--organization-id", tenant.organization_id]) == 0
    pipeline.run()
    assert [received.unique_key for received in receiver.received] == [failed.id]


def test_a_url_with_a_path_and_query_gets_them(api, tenant, pipeline, receiver):
    set_webhook_url(api, receiver.url + "/lago?token=abc")
    create_customer(api, "acme")
    pipeline.run()
    assert receiver.received[0].path == "/hooks/lago?token=abc"


def _stream_records() -> list[dict]:
    """The webhooks table's stream records, in Lambda's shape, read again from the start."""
    import boto3

    from chalicelib.local.stream_poller import lambda_stream_record
    from chalicelib.store.tables import WEBHOOKS

    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=WEBHOOKS.name)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return [lambda_stream_record(record, arn) for record in streams.get_records(ShardIterator=iterator)["Records"]]


def _sqs_event(message: dict, receive_count: int) -> dict:
    return {"Records": [{"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                         "body": message["Body"], "attributes": {"ApproximateReceiveCount": str(receive_count)},
                         "messageAttributes": {}, "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:billing-webhooks",
                         "awsRegion": "us-east-1"}]}

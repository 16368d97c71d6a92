"""The Chalice app: routes (one blueprint per resource), the events-stream handler, the hourly biller and its
queue worker, and the webhook sender (the outbox's stream handler and the delivery queue's)."""
import time

from chalice import Chalice, Rate
from chalice.app import CloudWatchEvent, DynamoDBEvent, SQSEvent

from chalicelib.api.billable_metrics import billable_metrics
from chalicelib.api.credit_notes import credit_notes
from chalicelib.api.current_usage import current_usage
from chalicelib.api.customers import customers
from chalicelib.api.description import description
from chalicelib.api.events import events
from chalicelib.api.fees import fees
from chalicelib.api.health import health
from chalicelib.api.invoices import invoices
from chalicelib.api.middleware import lago_http
from chalicelib.api.organizations import organizations
from chalicelib.api.plans import plans
from chalicelib.api.subscriptions import subscriptions
from chalicelib.api.test_clocks import test_clocks
from chalicelib.billing.biller import trigger_instant
from chalicelib.billing.fanout import BILLING_QUEUE_ARN_PLACEHOLDER, WORKER_BUDGET_SECONDS
from chalicelib.console.assets import assets as console_assets
from chalicelib.console.billable_metrics import billable_metrics as console_billable_metrics
from chalicelib.console.customer_invoices import customer_invoices as console_customer_invoices
from chalicelib.console.customer_subscriptions import customer_subscriptions as console_customer_subscriptions
from chalicelib.console.customers import customers as console_customers
from chalicelib.console.invoices import invoices as console_invoices
from chalicelib.console.plans import plans as console_plans
from chalicelib.console.sessions import sessions as console_sessions
from chalicelib.handlers.usage_stream import handle_stream_batch
from chalicelib.store.tables import EVENTS_STREAM_ARN_PLACEHOLDER, WEBHOOKS_STREAM_ARN_PLACEHOLDER
from chalicelib.webhooks.queue import WEBHOOK_QUEUE_ARN_PLACEHOLDER, queue_new_webhooks
from chalicelib.wiring import bill_queued_customers, deliver_queued_webhooks, run_biller

app = Chalice(app_name="lago-serverless-billing")
app.register_middleware(lago_http, "http")
for blueprint in (health, organizations, customers, billable_metrics, plans, subscriptions, events,
                  current_usage, invoices, credit_notes, fees, test_clocks, description):
    app.register_blueprint(blueprint)
# The web console, on the API's origin and Lambda (docs/console.md).
for blueprint in (console_sessions, console_customers, console_customer_subscriptions, console_customer_invoices,
                  console_billable_metrics, console_plans, console_invoices, console_assets):
    app.register_blueprint(blueprint, url_prefix="/console")


# The real stream ARN is set in the deployment template (Fn::GetAtt EventsTable.StreamArn).
@app.on_dynamodb_record(stream_arn=EVENTS_STREAM_ARN_PLACEHOLDER, batch_size=100, name="aggregate_usage")
def aggregate_usage(event: DynamoDBEvent):
    return handle_stream_batch(event.to_dict(), event.context)


@app.schedule(Rate(1, unit=Rate.HOURS), name="biller")
def bill(event: CloudWatchEvent):
    return run_biller(trigger_instant(event.to_dict()))


# The real queue is set in the deployment template (Fn::GetAtt BillingWorkQueue.Arn).
@app.on_sqs_message(queue_arn=BILLING_QUEUE_ARN_PLACEHOLDER, batch_size=10, name="bill_customers")
def bill_customers(event: SQSEvent):
    deadline = time.monotonic() + WORKER_BUDGET_SECONDS
    return bill_queued_customers(event.to_dict(), event.context, lambda: time.monotonic() < deadline)


# The real stream ARN is set in the deployment template (Fn::GetAtt WebhooksTable.StreamArn).
@app.on_dynamodb_record(stream_arn=WEBHOOKS_STREAM_ARN_PLACEHOLDER, batch_size=100, name="queue_webhooks")
def queue_webhooks(event: DynamoDBEvent):
    return queue_new_webhooks(event.to_dict(), event.context)


# The real queue is set in the deployment template (Fn::GetAtt WebhookQueue.Arn).
@app.on_sqs_message(queue_arn=WEBHOOK_QUEUE_ARN_PLACEHOLDER, batch_size=5, name="deliver_webhooks")
def deliver_webhooks(event: SQSEvent):
    return deliver_queued_webhooks(event.to_dict(), event.context)

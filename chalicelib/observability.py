"""Structured logging, shared by every handler (Powertools' JSON logger), and the counts an operator alarms on
(CloudWatch embedded metric format, namespace `Billing`, written on the function's log)."""
from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

# The logs' service, and the `service` dimension of the metrics (Powertools reads POWERTOOLS_SERVICE_NAME, which
# .chalice/config.json sets to it; the deployment's alarms name it).
SERVICE_NAME = "billing"
logger = Logger(service=SERVICE_NAME)
METRICS_NAMESPACE = "Billing"
# Events the aggregator set aside after they kept failing (docs/operations.md, "Dead-lettered events").
DEAD_LETTERED_EVENTS = "DeadLetteredEvents"
# A customer the biller could not bill (a run's failure, logged with the reason; `billing-failures` lists them).
CUSTOMERS_NOT_BILLED = "CustomersNotBilled"
# A webhook given up after its last attempt (`webhooks --status failed` lists them, `resend-webhooks` re-sends).
WEBHOOKS_FAILED = "WebhooksFailed"


def count(metric: str, value: int = 1) -> None:
    """Publish one count of `metric` at once (one log line)."""
    with single_metric(name=metric, unit=MetricUnit.Count, value=value, namespace=METRICS_NAMESPACE):
        pass


def failure_reason(error: BaseException) -> str:
    """How a failure is kept for an operator (a dead letter's, a billing failure's reason): `Type: message`, at
    most 1,000 characters."""
    return f"{type(error).__name__}: {error}"[:1000]

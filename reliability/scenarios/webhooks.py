"""Webhook delivery: the outbox's stream queues each webhook, the delivery handler claims, renders and posts it to a
real endpoint on loopback, and records the outcome. The promise (docs/webhooks.md): every webhook delivered, at least
once, always with the same X-Lago-Unique-Key and the same body."""
from __future__ import annotations

from reliability.catalog import ingest_one_by_one, invoiced_counts, prepare_catalog, usage_events, webhook_counts
from reliability.scenario import Scenario
from reliability.scenarios.pipeline import aggregate, bill, send_webhooks


def _prepared(customers: int):
    def prepare(world) -> None:
        prepare_catalog(world, customers)
        ingest_one_by_one(world, usage_events(customers, customers))
        aggregate(world, duplicate=False)
        bill(world, duplicate=False)  # invoice.created, beside customer.created and subscription.started
    return prepare


def _judged(customers: int):
    return lambda world: webhook_counts(world) + invoiced_counts(world, expected_invoices=customers)


SCENARIOS = [
    Scenario("webhooks-crash", "webhook delivery",
             "The 3 webhooks of a customer's month (customer.created, subscription.started, invoice.created), each "
             "stream batch and message delivered twice; the delivery handler crashes after each write (claim, "
             "stored body, outcome) and SQS brings the message back after its visibility timeout.",
             "crash_after_write", _prepared(1), act=send_webhooks, judge=_judged(1)),
    Scenario("webhooks-throttled", "webhook delivery",
             "The same webhooks; each DynamoDB call of the delivery handler in turn fails with "
             "ProvisionedThroughputExceeded; the message comes back.",
             "throughput_exceeded", _prepared(1), act=lambda world: send_webhooks(world, duplicate=False),
             judge=_judged(1)),
]

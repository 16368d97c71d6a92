"""The service's asynchronous paths as the scenarios drive them: the events stream into the aggregator, the biller's
schedule, the billing work queue, the webhook outbox's stream and the webhook delivery queue. With `twice`, every
batch and message is delivered twice (the crash scenarios); the throttling scenarios deliver once, so that their
one run per call stays short."""
from __future__ import annotations

import os
from datetime import UTC, datetime
from unittest import mock

import app
from chalicelib.wiring import run_biller
from reliability.redelivery import drain, fire_until_done, twice
from reliability.world import World

PERIOD_END_RUN = datetime(2026, 2, 1, 0, 30, tzinfo=UTC)  # the first hourly run after January
STREAM_BATCH = 2  # records per stream batch: a handful of events make several batches


def _delivered(handler, duplicate: bool):
    return twice(handler) if duplicate else handler


def aggregate(world: World, duplicate: bool = True) -> None:
    """The events table's stream into the aggregator, from the shard's start."""
    drain(world.events_stream(_delivered(app.aggregate_usage, duplicate), STREAM_BATCH))


def bill(world: World, at: datetime = PERIOD_END_RUN, duplicate: bool = True) -> None:
    """The hourly biller at `at`, fired again after a run that died (and, `duplicate`, once more: a schedule can
    fire twice)."""
    fire_until_done(lambda: run_biller(at))
    if duplicate:
        fire_until_done(lambda: run_biller(at))


def bill_through_queue(world: World, at: datetime = PERIOD_END_RUN) -> None:
    """The biller's fan-out: the run queues one message per due customer, the worker bills them (each message
    delivered twice)."""
    with mock.patch.dict(os.environ, {"BILLER_INLINE_CUSTOMERS": "0", "BILLING_QUEUE_URL": world.billing_queue_url}):
        fire_until_done(lambda: run_biller(at))
        drain(world.billing_queue(twice(app.bill_customers)))


def send_webhooks(world: World, duplicate: bool = True) -> None:
    """The outbox's stream into the webhook queue, then the queue into the delivery handler."""
    drain(world.webhooks_stream(_delivered(app.queue_webhooks, duplicate)))
    drain(world.webhook_queue(_delivered(app.deliver_webhooks, duplicate)))

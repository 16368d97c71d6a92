"""What the scenarios share: an organization whose customers subscribe on 1 January 2026 to a monthly plan with one
sum charge, events ingested through the API, and the figures read back through the API."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from reliability.counting import Counts, events_tally, finalized, invoices_tally, webhooks_tally
from reliability.redelivery import until_answered
from reliability.world import World

STARTED = "2026-01-01T00:00:00Z"
USAGE_DAY = datetime(2026, 1, 10, tzinfo=UTC)
METRIC = "calls"


def prepare_catalog(world: World, customers: int, *, pay_in_advance: bool = False, grace_days: int = 0) -> None:
    """Metric `calls` (sum of `value`), plan `monthly` (1000 cents in arrears, 0.01 EUR a unit, the charge in
    advance and invoiceable if asked), customers c1..cN each subscribed as sub-cN; the organization's webhooks go
    to the receiver."""
    api = world.api
    api.ok("PUT", "/api/v1/organizations", {"organization": {
        "webhook_url": world.receiver.url, "billing_configuration": {"invoice_grace_period": grace_days}}})
    metric = api.ok("POST", "/api/v1/billable_metrics", {"billable_metric": {
        "name": METRIC, "code": METRIC, "aggregation_type": "sum_agg", "field_name": "value"}})["billable_metric"]
    api.ok("POST", "/api/v1/plans", {"plan": {
        "name": "Monthly", "code": "monthly", "interval": "monthly", "amount_cents": 1000, "amount_currency": "EUR",
        "pay_in_advance": False, "charges": [{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                              "pay_in_advance": pay_in_advance, "properties": {"amount": "0.01"}}]}})
    for number in range(1, customers + 1):
        api.ok("POST", "/api/v1/customers", {"customer": {"external_id": f"c{number}", "name": f"Customer {number}"}})
        api.ok("POST", "/api/v1/subscriptions", {"subscription": {
            "external_customer_id": f"c{number}", "plan_code": "monthly", "external_id": f"sub-c{number}",
            "subscription_at": STARTED}})


def usage_events(count: int, customers: int, first: int = 0) -> list[dict]:
    """Events `tx-<n>` of the customers two by two (so that a stream batch of 2 holds two events of one aggregate),
    event n worth 2**n units."""
    return [{"transaction_id": f"tx-{number}", "external_subscription_id": f"sub-c{number // 2 % customers + 1}",
             "code": METRIC, "timestamp": int((USAGE_DAY + timedelta(minutes=number)).timestamp()),
             "properties": {"value": 2 ** number}} for number in range(first, first + count)]


def _accept(world: World, event: dict) -> None:
    world.accepted[event["transaction_id"]] = (event["external_subscription_id"], event["properties"]["value"])


def ingest_one_by_one(world: World, events: list[dict]) -> None:
    """POST /events for each event, retried by the client until answered."""
    for event in events:
        if until_answered(lambda: world.api.request("POST", "/api/v1/events", {"event": event})).status_code == 200:
            _accept(world, event)


def ingest_batch(world: World, events: list[dict]) -> None:
    """POST /events/batch of them all, retried by the client until answered."""
    answer = until_answered(lambda: world.api.request("POST", "/api/v1/events/batch", {"events": events}))
    if answer.status_code == 200:
        for event in events:
            _accept(world, event)


def _accepted_values(world: World) -> list[int]:
    return [value for _, value in world.accepted.values()]


def usage_counts(world: World) -> Counts:
    """Events and units of the current period as GET /customers/{id}/current_usage shows them."""
    events, units = 0, Decimal(0)
    for subscription in sorted({subscription for subscription, _ in world.accepted.values()}):
        customer = subscription.removeprefix("sub-")
        usage = world.api.ok("GET", f"/api/v1/customers/{customer}/current_usage?external_subscription_id="
                                    f"{subscription}")["customer_usage"]
        events += sum(charge["events_count"] for charge in usage["charges_usage"])
        units += sum(Decimal(charge["units"]) for charge in usage["charges_usage"])
    return events_tally(_accepted_values(world), events, units)


def invoices(world: World) -> list[dict]:
    return world.api.ok("GET", "/api/v1/invoices?per_page=100")["invoices"]


def invoiced_counts(world: World, expected_invoices: int) -> Counts:
    """Events and units of the charge fees of the finalized invoices, and the invoices themselves."""
    issued = invoices(world)
    fees = [fee for invoice in finalized(issued) for fee in invoice["fees"] if fee["item"]["type"] == "charge"]
    events = sum(fee["events_count"] for fee in fees)
    units = sum((Decimal(fee["units"]) for fee in fees), Decimal(0))
    return events_tally(_accepted_values(world), events, units) + invoices_tally(issued, expected_invoices)


def paid_in_advance_counts(world: World) -> Counts:
    """Events and units of the pay-in-advance fees (GET /fees), and their invoices: one each."""
    fees = [fee for fee in world.api.ok("GET", "/api/v1/fees?per_page=100")["fees"] if fee["pay_in_advance"]]
    events = sum(fee["events_count"] for fee in fees)
    units = sum((Decimal(fee["units"]) for fee in fees), Decimal(0))
    return (events_tally(_accepted_values(world), events, units)
            + invoices_tally(invoices(world), expected=len(world.accepted)))


def webhook_counts(world: World) -> Counts:
    from chalicelib.store.repositories import repositories

    outbox = {webhook.id for webhook in repositories().webhooks.list(world.organization_id)}
    return webhooks_tally(outbox, world.receiver.received)

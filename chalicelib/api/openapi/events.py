"""The usage event: `EventObject` and what single and batch ingestion accept (docs/api-coverage.md, Events)."""
from __future__ import annotations

from pydantic import Field

from chalicelib.api.openapi.shapes import FreeObject, Model, envelope, paginated
from chalicelib.domain.events import UnbillableReason

# `2022-04-29T13:59:51.123Z`: an event's times are written to the millisecond.
_MILLISECOND_INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


class EventObject(Model):
    lago_id: str
    transaction_id: str
    lago_customer_id: str | None
    code: str
    timestamp: str = Field(pattern=_MILLISECOND_INSTANT)
    precise_total_amount_cents: str | None
    properties: FreeObject
    lago_subscription_id: str | None
    external_subscription_id: str
    created_at: str = Field(pattern=_MILLISECOND_INSTANT, description="When the service received the event.")
    unbillable_reason: UnbillableReason | None = Field(
        description="Not Lago's: why no invoice will ever include the event; null while one will.")


class EventInputObject(Model):
    """Idempotent on (external_subscription_id, transaction_id): the same event again answers the stored one."""

    transaction_id: str = Field(max_length=255)
    code: str = Field(max_length=255)
    external_subscription_id: str | None = Field(default=None, max_length=255)
    external_customer_id: str | None = Field(default=None, max_length=255,
                                             description="Without a subscription: the customer's only one.")
    timestamp: int | str | None = Field(default=None, description="Unix seconds, to the millisecond.")
    properties: FreeObject | None = None
    precise_total_amount_cents: str | None = None


EventInput = envelope("EventInput", "event", EventInputObject, "One event.")
EventBatchInput = envelope("EventBatchInput", "events", list[EventInputObject], "1 to 100 events, all or none.")
Event = envelope("Event", "event", EventObject, "One event, as stored.")
EventsCreated = envelope("EventsCreated", "events", list[EventObject], "The events of a batch, in order.")
EventsPaginated = paginated("EventsPaginated", "events", EventObject)

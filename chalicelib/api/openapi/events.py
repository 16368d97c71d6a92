"""The usage event: `EventObject` and what single and batch ingestion accept (docs/api-coverage.md, Events)."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, WithJsonSchema

from chalicelib.api.openapi.shapes import ROOT_OBJECT, FreeObject, Model, RequiredText, envelope, paginated
from chalicelib.domain.events import LATEST_TIMESTAMP_SECONDS, MAX_BATCH_EVENTS, SECONDS_TEXT, UnbillableReason

# Unix seconds as a number or a decimal text, from 1970 to 8999 (events.py's `timestamp_ms`).
Timestamp = Annotated[int | str, WithJsonSchema({"anyOf": [
    {"type": "number", "minimum": 0, "exclusiveMaximum": LATEST_TIMESTAMP_SECONDS},
    {"type": "string", "pattern": f"^{SECONDS_TEXT}$"}]})]
# A decimal number, or its text (up to 255 characters).
AmountText = Annotated[str, WithJsonSchema({"anyOf": [
    {"type": "number"},
    {"type": "string", "maxLength": 255, "pattern": r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"}]})]
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

    model_config = ROOT_OBJECT
    transaction_id: RequiredText
    code: RequiredText
    external_subscription_id: RequiredText | None = None
    external_customer_id: RequiredText | None = Field(default=None,
                                                      description="Without a subscription: the customer's only one.")
    timestamp: Timestamp | None = Field(default=None, description="Unix seconds, to the millisecond.")
    properties: FreeObject | None = Field(default=None, description="At most 32 KB of JSON.")
    precise_total_amount_cents: AmountText | None = None


EventInput = envelope("EventInput", "event", EventInputObject, "One event.")
EventBatchInput = envelope("EventBatchInput", "events",
                           Annotated[list[EventInputObject], Field(min_length=1, max_length=MAX_BATCH_EVENTS)],
                           "1 to 100 events, all or none.")
Event = envelope("Event", "event", EventObject, "One event, as stored.")
EventsCreated = envelope("EventsCreated", "events", list[EventObject], "The events of a batch, in order.")
EventsPaginated = paginated("EventsPaginated", "events", EventObject)

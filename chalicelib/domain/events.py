"""The usage event as ingestion takes it: the request's fields and their rules (Lago's), the timestamp in
Unix seconds, the stored event, and what makes a repeat of the same transaction_id the same event.

Rules and departures from Lago: docs/api-coverage.md (Events)."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictStr
from pydantic_core import PydanticCustomError

from chalicelib.domain.aggregations.events import UsageEvent, numeric_property
from chalicelib.domain.aggregations.registry import AGGREGATION_KINDS
from chalicelib.domain.aggregations.windows import epoch_ms, from_epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.validation import JsonObject, RequiredText, parse_model, within_billing_range

MAX_BATCH_EVENTS = 100
# An event's properties as JSON, at most: the stored item (written twice, base table and index) stays small.
MAX_PROPERTIES_JSON_BYTES = 32 * 1024
# Timestamps the store's 15-digit time keys and the period engine take: 1970 to 8999.
_LATEST_MS = int((datetime(9000, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1000
LATEST_TIMESTAMP_SECONDS = _LATEST_MS // 1000
# A timestamp sent as text: Unix seconds, decimals allowed.
SECONDS_TEXT = r"[0-9]+(\.[0-9]+)?"
_SECONDS_TEXT = re.compile(SECONDS_TEXT)
# Why no invoice will ever include a kept event (docs/billing-over-time.md, "Unbillable events").
UnbillableReason = Literal["before_subscription_start", "after_subscription_end", "period_finalized"]


def _invalid_format() -> PydanticCustomError:
    return PydanticCustomError("invalid_format", "Unix seconds: an integer, a decimal or a numeric string")


def timestamp_ms(value: object) -> int | None:
    """Lago's `timestamp`: Unix seconds as an integer, a decimal number or a numeric string, to the
    millisecond (`1651240791.123` -> 1651240791123; finer digits are dropped); None when absent or null."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _invalid_format()
    if isinstance(value, str):
        if not _SECONDS_TEXT.fullmatch(value):
            raise _invalid_format()
        value = Decimal(value)
    if not isinstance(value, (int, Decimal)) or not Decimal(value).is_finite():
        raise _invalid_format()
    milliseconds = int(Decimal(value).scaleb(3).to_integral_value(rounding="ROUND_FLOOR"))
    if not 0 <= milliseconds < _LATEST_MS:
        raise _invalid_format()
    return milliseconds


def _amount_text(value: object) -> str:
    """`precise_total_amount_cents` (the dynamic charge model's amount): a decimal, kept as the text sent."""
    text = str(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else value
    try:
        if isinstance(text, str) and len(text) <= 255 and Decimal(text).is_finite():
            return text
    except InvalidOperation:
        pass
    raise PydanticCustomError("value_is_invalid", "a decimal number")


def _storable_properties(value: object) -> object:
    """Properties DynamoDB can store: valid Unicode (a lone surrogate such as "\\ud800" in a key or a value cannot
    be written as UTF-8) and at most 32 KB of JSON."""
    if value is not None and isinstance(value, dict):
        try:
            encoded = json.dumps(value, default=str, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise PydanticCustomError("value_is_invalid", "not valid Unicode") from None
        if len(encoded) > MAX_PROPERTIES_JSON_BYTES:
            raise PydanticCustomError("value_is_too_long", "properties over 32 KB of JSON")
    return value


class EventInput(BaseModel):
    """One event of `POST /events` or `/events/batch`. The Python client sends explicit nulls for
    timestamp, properties and precise_total_amount_cents: null is absent."""

    model_config = ConfigDict(extra="ignore")
    transaction_id: RequiredText | None = None
    code: RequiredText | None = None
    external_subscription_id: RequiredText | None = None
    external_customer_id: RequiredText | None = None
    timestamp: Annotated[int | None, BeforeValidator(timestamp_ms)] = None
    properties: Annotated[dict[StrictStr, Any] | None, BeforeValidator(_storable_properties)] = None
    precise_total_amount_cents: Annotated[str | None, BeforeValidator(
        lambda value: None if value is None else _amount_text(value))] = None

    @classmethod
    def parse(cls, payload: object) -> "EventInput":
        if not isinstance(payload, dict):
            raise ValidationFailed.single("event", "value_is_invalid")
        parsed = parse_model(cls, payload)
        missing: dict[str, list[str]] = {name: ["value_is_mandatory"] for name in ("transaction_id", "code")
                                         if getattr(parsed, name) is None}
        if parsed.external_subscription_id is None and parsed.external_customer_id is None:
            missing["external_subscription_id"] = ["value_is_mandatory"]
        if missing:
            raise ValidationFailed(missing)
        return parsed


class Event(BaseModel):
    """A stored event. `lago_subscription_id`/`lago_customer_id`: the subscription its external id named
    when it was received, and that subscription's customer. `timestamp_given`: whether the client sent a
    timestamp (else it is the reception time, and a retry without one matches any stored timestamp)."""

    lago_id: str
    organization_id: str
    transaction_id: str
    external_subscription_id: str
    lago_subscription_id: str | None = None
    lago_customer_id: str | None = None
    code: str
    timestamp_ms: int
    timestamp_given: bool
    properties: dict[str, Any] = {}
    precise_total_amount_cents: str | None = None
    received_at: str
    # The aggregator's finding: no invoice will ever include it (kept, listed with `billable=false`).
    unbillable_reason: UnbillableReason | None = None

    def key(self) -> tuple[str, str]:
        """The idempotency key within the organization."""
        return (self.transaction_id, self.external_subscription_id)

    def same_as(self, other: "Event") -> bool:
        """Whether `other` (a new request) repeats this stored event: same code and properties, and the same
        timestamp if the request sent one."""
        return (self.code == other.code and self.properties == other.properties
                and (not other.timestamp_given or self.timestamp_ms == other.timestamp_ms))


def property_errors(metric: BillableMetric, properties: JsonObject) -> dict[str, list[str]]:
    """Lago's check of the property the metric aggregates: a number (Lago's numeric rule) for sum, max,
    latest and weighted_sum; a scalar for unique_count. A missing or null property is accepted (the
    aggregation leaves the event out), as Lago does."""
    field = metric.field_name
    if not field or properties.get(field) is None:
        return {}
    value = properties[field]
    if AGGREGATION_KINDS[metric.aggregation_type].reads_a_number:
        number = numeric_property(UsageEvent("", 0, properties), field)
        if number is None:
            return {field: ["value_is_not_valid_number"]}
        if not within_billing_range(number):
            return {field: ["value_is_out_of_range"]}
    elif metric.aggregation_type == "unique_count_agg" and isinstance(value, (dict, list)):
        return {field: ["value_is_invalid"]}
    return {}


def iso_ms(milliseconds: int) -> str:
    """`2022-04-29T08:59:51.123Z`: Lago's event timestamp, in UTC to the millisecond."""
    moment = from_epoch_ms(milliseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{milliseconds % 1000:03d}Z"


def query_instant_ms(field: str, value: str | None) -> int | None:
    """A list filter's ISO-8601 date-time (`Z`, an offset, or none for UTC), in milliseconds."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.single(field, "invalid_date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    milliseconds = epoch_ms(moment.astimezone(UTC))
    return min(max(milliseconds, 0), _LATEST_MS - 1)

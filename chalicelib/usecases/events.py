"""Reading stored events: one by transaction_id, and a subscription's, filtered and paged. Storing them is
chalicelib/usecases/ingest_events.py."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.events import Event, query_instant_ms
from chalicelib.domain.organizations import Organization
from chalicelib.usecases.ports import EventStore
from chalicelib.usecases.records import found

_BILLABLE_VALUES = {"true": True, "false": False}


@dataclass(frozen=True)
class Listed:
    events: list[Event]
    total_count: int


@dataclass(frozen=True)
class EventUseCases:
    events: EventStore

    def find(self, organization: Organization, transaction_id: str,
             external_subscription_id: str | None = None) -> Event:
        """`GET /events/{transaction_id}`: the most recently received event with that transaction_id (of the
        subscription, when `external_subscription_id` is given)."""
        return found(self.events.find(organization.id, transaction_id, external_subscription_id), "event")

    def list(self, organization: Organization, query: Mapping[str, Any], page: int, per_page: int) -> Listed:
        """`GET /events?external_subscription_id=&code=&timestamp_from=&timestamp_to=&billable=`: a subscription's
        events, newest timestamp first; `billable=false` only those no invoice will ever include (with their
        `unbillable_reason`), `billable=true` the others. `external_subscription_id` is required (events are
        partitioned by subscription)."""
        external_subscription_id = query.get("external_subscription_id")
        if not external_subscription_id:
            raise ValidationFailed.single("external_subscription_id", "value_is_mandatory")
        code = query.get("code") or None
        errors: dict[str, list[str]] = {}
        billable = query.get("billable") or None
        if billable is not None and billable not in _BILLABLE_VALUES:
            errors["billable"] = ["value_is_invalid"]
        bounds = []
        for name in ("timestamp_from", "timestamp_to"):
            try:
                bounds.append(query_instant_ms(name, query.get(name)))
            except ValidationFailed as failure:
                errors.update(failure.details)
        if errors:
            raise ValidationFailed(errors)
        from_ms, to_ms = bounds
        only = _BILLABLE_VALUES.get(billable) if billable is not None else None
        listed = self.events.list_page(organization.id, external_subscription_id, code, from_ms, to_ms, page,
                                        per_page, only)
        total = (self.events.count(organization.id, external_subscription_id, code, from_ms, to_ms, only)
                 if listed or page > 1 else 0)
        return Listed(listed, total)

"""The subscription: `SubscriptionObject`, the extended one (with its plan), and what create and update accept."""
from __future__ import annotations

from datetime import date
from typing import Literal

from chalicelib.api.openapi.plans import PlanObject
from chalicelib.api.openapi.shapes import (
    CurrencyCode,
    Instant,
    Model,
    envelope,
    paginated,
    request_object,
)
from chalicelib.domain.periods.intervals import BillingTime
from chalicelib.domain.subscriptions import REQUIRED_ON_CREATE, Status, SubscriptionInput, SubscriptionUpdate

BillingTimeName = Literal[tuple(billing_time.value for billing_time in BillingTime)]


class SubscriptionObject(Model):
    lago_id: str
    external_id: str
    lago_customer_id: str
    external_customer_id: str
    billing_entity_code: str | None
    name: str | None
    plan_code: str
    plan_amount_cents: int
    plan_amount_currency: CurrencyCode
    billing_time: BillingTimeName
    status: Status
    created_at: Instant
    started_at: Instant | None
    subscription_at: Instant
    ending_at: Instant | None
    terminated_at: Instant | None
    canceled_at: Instant | None
    trial_ended_at: Instant | None
    current_billing_period_started_at: Instant | None
    current_billing_period_ending_at: Instant | None
    previous_plan_code: str | None
    next_plan_code: str | None
    downgrade_plan_date: date | None
    on_termination_credit_note: Literal["credit", "refund", "skip"] | None
    on_termination_invoice: Literal["generate", "skip"]


class SubscriptionObjectExtended(SubscriptionObject):
    plan: PlanObject


SubscriptionExtended = envelope("SubscriptionExtended", "subscription", SubscriptionObjectExtended,
                                "One subscription, with its plan.")
SubscriptionsPaginated = paginated("SubscriptionsPaginated", "subscriptions", SubscriptionObject)
_DESCRIPTIONS = {"ending_at": "A day after today and after the subscription's.",
                 "subscription_at": "Pending subscriptions only, not a downgrade's (its predecessor's); null: "
                                    "unchanged."}
SubscriptionInputObject = request_object(
    "SubscriptionInputObject", SubscriptionInput, "A plan for a customer; the external id of the active subscription "
    "with another plan changes its plan.", required=REQUIRED_ON_CREATE, descriptions=_DESCRIPTIONS)
SubscriptionUpdateInputObject = request_object("SubscriptionUpdateInputObject", SubscriptionUpdate,
                                               "The fields sent change.", descriptions=_DESCRIPTIONS)
SubscriptionCreateInput = envelope("SubscriptionCreateInput", "subscription", SubscriptionInputObject,
                                   "A new subscription, or a plan change.")
SubscriptionUpdateInput = envelope("SubscriptionUpdateInput", "subscription", SubscriptionUpdateInputObject,
                                   "The subscription's fields to change.")

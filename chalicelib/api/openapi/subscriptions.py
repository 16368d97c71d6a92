"""The subscription: `SubscriptionObject`, the extended one (with its plan), and what create and update accept."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.plans import PlanObject
from chalicelib.api.openapi.shapes import (
    ROOT_OBJECT,
    CurrencyCode,
    Instant,
    InstantInput,
    Model,
    RequiredText,
    Text,
    envelope,
    paginated,
)
from chalicelib.domain.periods.intervals import BillingTime
from chalicelib.domain.subscriptions import Status

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


class SubscriptionUpdateInputObject(Model):
    model_config = ROOT_OBJECT
    name: Text | None = None
    ending_at: InstantInput | None = Field(default=None,
                                           description="A day after today and after the subscription's.")
    subscription_at: InstantInput | None = Field(default=None,
                                                 description="Pending subscriptions only, not a downgrade's "
                                                             "(its predecessor's); null: unchanged.")


class SubscriptionInputObject(SubscriptionUpdateInputObject):
    """A plan for a customer; the external id of the active subscription with another plan changes its plan."""

    external_customer_id: RequiredText
    plan_code: RequiredText
    external_id: RequiredText
    billing_time: BillingTimeName | None = None


SubscriptionExtended = envelope("SubscriptionExtended", "subscription", SubscriptionObjectExtended,
                                "One subscription, with its plan.")
SubscriptionsPaginated = paginated("SubscriptionsPaginated", "subscriptions", SubscriptionObject)
SubscriptionCreateInput = envelope("SubscriptionCreateInput", "subscription", SubscriptionInputObject,
                                   "A new subscription, or a plan change.")
SubscriptionUpdateInput = envelope("SubscriptionUpdateInput", "subscription", SubscriptionUpdateInputObject,
                                   "The subscription's fields to change.")

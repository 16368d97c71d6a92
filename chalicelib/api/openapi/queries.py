"""The query parameters of the list and read operations, as models: each field is one parameter (its alias the
name sent, `status[]` for a repeated one)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.shapes import Instant, Model
from chalicelib.api.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from chalicelib.domain.invoices.invoice import PaymentStatus
from chalicelib.domain.subscriptions import Status

# Every status Lago lists invoices by (`deleted` is internal to Lago).
ListedInvoiceStatus = Literal["draft", "finalized", "voided", "failed", "pending"]
CurrentStatus = Literal["active", "pending"]


class PageQuery(Model):
    page: int | None = Field(default=None, ge=1, le=MAX_PAGE, description="1-based.")
    per_page: int | None = Field(default=None, ge=1, le=MAX_PER_PAGE,
                                 description=f"Default and maximum {DEFAULT_PER_PAGE}.")


class CustomerFilterQuery(PageQuery):
    external_customer_id: str | None = Field(default=None, description="An unknown customer lists nothing.")


class SubscriptionListQuery(PageQuery):
    external_customer_id: str | None = None
    plan_code: str | None = None
    statuses: list[Status] | None = Field(default=None, alias="status[]", description="Default: active only.")


class SubscriptionStatusQuery(Model):
    status: Status | None = Field(default=None, description="The newest subscription in this status (default active); "
                                                            "pending: also a scheduled downgrade's.")


class CurrentSubscriptionQuery(Model):
    status: CurrentStatus | None = Field(default=None, description="Default active; pending: the one starting later, "
                                                                   "or a scheduled downgrade's (canceling it cancels "
                                                                   "the downgrade).")


class EventListQuery(PageQuery):
    external_subscription_id: str
    code: str | None = None
    timestamp_from: Instant | None = None
    timestamp_to: Instant | None = None
    billable: bool | None = Field(default=None, description="Not Lago's: only the events an invoice will (true) or "
                                                            "will never (false) include.")


class EventQuery(Model):
    external_subscription_id: str | None = None


class CurrentUsageQuery(Model):
    external_subscription_id: str | None = Field(default=None,
                                                 description="Required when the customer has several active ones.")
    apply_taxes: bool | None = Field(default=None, description="Default true.")


class FeeListQuery(CustomerFilterQuery):
    external_subscription_id: str | None = None


class InvoiceListQuery(CustomerFilterQuery):
    statuses: list[ListedInvoiceStatus] | None = Field(default=None, alias="statuses[]")
    payment_statuses: list[PaymentStatus] | None = Field(default=None, alias="payment_statuses[]")
    issuing_date_from: date | None = Field(default=None, description="Inclusive; `null` or another text that is not "
                                                                     "a date is 422 `invalid_date`.")
    issuing_date_to: date | None = Field(default=None, description="Inclusive; not a date: 422 `invalid_date`.")

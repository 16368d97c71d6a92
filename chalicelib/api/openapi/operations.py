"""Every operation the service implements, by (path, method) as the Chalice app routes it: its Lago operationId,
its models, and the refusals it gives beyond those every operation shares (docs/api-coverage.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from chalicelib.api.openapi import billable_metrics as metrics
from chalicelib.api.openapi import (
    credit_notes,
    current_usage,
    customers,
    events,
    fees,
    invoices,
    organizations,
    plans,
    queries,
    service,
    subscriptions,
    test_clocks,
)
from chalicelib.api.openapi.shapes import Model


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    tag: str
    response: type[Model]
    body: type[Model] | None = None
    query: type[Model] | None = None
    # Status -> what answers it, for the statuses this operation gives beyond the shared ones (document.py).
    refusals: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    public: bool = False


def _refusals(**by_status: str) -> MappingProxyType:
    """`_refusals(s404="...")`: statuses as keyword names, since keywords cannot be numbers."""
    return MappingProxyType({int(name.removeprefix("s")): text for name, text in by_status.items()})


_PAGE = "`page` or `per_page` out of range: `value_is_invalid`."
_TIMEZONE_LOCKED = ("A change of the timezone in force while the customer has an active subscription: "
                    "`customer_has_active_subscription` on `timezone`.")

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("/health", "GET"): Operation("getHealth", "Liveness (not Lago's; no database access)", "service",
                                  service.Health, public=True),
    ("/api/v1/openapi.json", "GET"): Operation(
        "getOpenApiDescription", "This description (public: no API key needed)", "service", service.OpenApiDocument,
        public=True),
    ("/api/v1/organizations", "GET"): Operation("findOrganization", "The API key's organization (not Lago's)",
                                                "organizations", organizations.Organization),
    ("/api/v1/organizations", "PUT"): Operation(
        "updateOrganization", "Update the organization", "organizations", organizations.Organization,
        body=organizations.OrganizationUpdateInput,
        refusals=_refusals(s422="A new `timezone` while the organization has an active subscription: "
                                "`organization_has_active_subscription`.")),
    ("/api/v1/customers", "POST"): Operation(
        "createCustomer", "Create a customer, or update the one with this external_id", "customers",
        customers.Customer, body=customers.CustomerCreateInput,
        refusals=_refusals(s404="`test_clock_not_found`.", s422=_TIMEZONE_LOCKED)),
    ("/api/v1/customers", "GET"): Operation("findAllCustomers", "List customers", "customers",
                                            customers.CustomersPaginated, query=queries.PageQuery,
                                            refusals=_refusals(s422=_PAGE)),
    ("/api/v1/customers/{external_id}", "GET"): Operation("findCustomer", "Retrieve a customer", "customers",
                                                          customers.Customer),
    ("/api/v1/customers/{external_id}", "PUT"): Operation(
        "updateCustomer", "Update a customer (not Lago's), its external_id included", "customers", customers.Customer,
        body=customers.CustomerUpdateInput,
        refusals=_refusals(s422=f"{_TIMEZONE_LOCKED} A new `external_id` while it has one: "
                                "`customer_has_active_subscription` on `external_id`.")),
    ("/api/v1/customers/{external_id}", "DELETE"): Operation(
        "destroyCustomer", "Delete a customer", "customers", customers.Customer,
        refusals=_refusals(s405="`customer_has_active_subscription` (active or pending).")),
    ("/api/v1/customers/{external_id}/current_usage", "GET"): Operation(
        "findCustomerCurrentUsage", "The customer's usage in its current period", "customers",
        current_usage.CustomerUsage, query=queries.CurrentUsageQuery,
        refusals=_refusals(s405="`no_active_subscription`.",
                           s422="`apply_taxes` not a boolean; `external_subscription_id` missing while the customer "
                                "has several active subscriptions.",
                           s503="`usage_pending` (not Lago's): an event of the subscription is set aside as a dead "
                                "letter until the operator replays it (docs/operations.md).")),
    ("/api/v1/billable_metrics", "POST"): Operation("createBillableMetric", "Create a billable metric",
                                                    "billable_metrics", metrics.BillableMetric,
                                                    body=metrics.BillableMetricCreateInput),
    ("/api/v1/billable_metrics", "GET"): Operation("findAllBillableMetrics", "List billable metrics",
                                                   "billable_metrics", metrics.BillableMetricsPaginated,
                                                   query=queries.PageQuery, refusals=_refusals(s422=_PAGE)),
    ("/api/v1/billable_metrics/{code}", "GET"): Operation("findBillableMetric", "Retrieve a billable metric",
                                                          "billable_metrics", metrics.BillableMetric),
    ("/api/v1/billable_metrics/{code}", "PUT"): Operation("updateBillableMetric", "Update a billable metric",
                                                          "billable_metrics", metrics.BillableMetric,
                                                          body=metrics.BillableMetricUpdateInput),
    ("/api/v1/billable_metrics/{code}", "DELETE"): Operation(
        "destroyBillableMetric", "Delete a billable metric", "billable_metrics", metrics.BillableMetric,
        refusals=_refusals(s405="`billable_metric_in_use` while a plan charges it.")),
    ("/api/v1/plans", "POST"): Operation("createPlan", "Create a plan", "plans", plans.Plan, body=plans.PlanCreateInput,
                                         refusals=_refusals(s404="`billable_metrics_not_found`.")),
    ("/api/v1/plans", "GET"): Operation("findAllPlans", "List plans", "plans", plans.PlansPaginated,
                                        query=queries.PageQuery, refusals=_refusals(s422=_PAGE)),
    ("/api/v1/plans/{code}", "GET"): Operation("findPlan", "Retrieve a plan", "plans", plans.Plan),
    ("/api/v1/plans/{code}", "PUT"): Operation("updatePlan", "Update a plan", "plans", plans.Plan,
                                               body=plans.PlanUpdateInput),
    ("/api/v1/plans/{code}", "DELETE"): Operation(
        "destroyPlan", "Delete a plan", "plans", plans.Plan,
        refusals=_refusals(s405="`plan_has_active_subscriptions`.")),
    ("/api/v1/subscriptions", "POST"): Operation(
        "createSubscription", "Assign a plan to a customer", "subscriptions", subscriptions.SubscriptionExtended,
        body=subscriptions.SubscriptionCreateInput, refusals=_refusals(s404="`customer_not_found`, `plan_not_found`.")),
    ("/api/v1/subscriptions", "GET"): Operation(
        "findAllSubscriptions", "List subscriptions", "subscriptions", subscriptions.SubscriptionsPaginated,
        query=queries.SubscriptionListQuery,
        refusals=_refusals(s422=f"{_PAGE} An unknown `status`: `value_is_invalid`.")),
    ("/api/v1/subscriptions/{external_id}", "GET"): Operation(
        "findSubscription", "Retrieve a subscription", "subscriptions", subscriptions.SubscriptionExtended,
        query=queries.SubscriptionStatusQuery, refusals=_refusals(s422="An unknown `status`: `value_is_invalid`.")),
    ("/api/v1/subscriptions/{external_id}", "PUT"): Operation(
        "updateSubscription", "Update a subscription", "subscriptions", subscriptions.SubscriptionExtended,
        body=subscriptions.SubscriptionUpdateInput, query=queries.CurrentSubscriptionQuery),
    ("/api/v1/subscriptions/{external_id}", "DELETE"): Operation(
        "destroySubscription", "Terminate the active subscription (`?status=pending`: cancel the pending one)",
        "subscriptions", subscriptions.SubscriptionExtended, query=queries.CurrentSubscriptionQuery,
        refusals=_refusals(s422="A `status` other than active or pending: `value_is_invalid`.")),
    ("/api/v1/events", "POST"): Operation(
        "createEvent", "Send a usage event", "events", events.Event, body=events.EventInput,
        refusals=_refusals(s404="`subscription_not_found`, `customer_not_found`.")),
    ("/api/v1/events/batch", "POST"): Operation(
        "createBatchEvents", "Send 1 to 100 usage events, all or none", "events", events.EventsCreated,
        body=events.EventBatchInput),
    ("/api/v1/events", "GET"): Operation(
        "findAllEvents", "List a subscription's events", "events", events.EventsPaginated, query=queries.EventListQuery,
        refusals=_refusals(s422=f"{_PAGE} `external_subscription_id` missing: `value_is_mandatory`; a bad timestamp "
                                "or `billable`: `value_is_invalid`.")),
    ("/api/v1/events/{transaction_id}", "GET"): Operation("findEvent", "Retrieve an event", "events", events.Event,
                                                          query=queries.EventQuery),
    ("/api/v1/invoices", "GET"): Operation(
        "findAllInvoices", "List invoices", "invoices", invoices.InvoicesPaginated, query=queries.InvoiceListQuery,
        refusals=_refusals(s422=f"{_PAGE} `issuing_date_from` or `issuing_date_to` not a `YYYY-MM-DD` date (`null` "
                                "included): `invalid_date` on that field; an unknown status: `value_is_invalid`.")),
    ("/api/v1/invoices/{lago_id}", "GET"): Operation("findInvoice", "Retrieve an invoice", "invoices",
                                                     invoices.Invoice),
    ("/api/v1/invoices/{lago_id}", "PUT"): Operation(
        "updateInvoice", "Set an invoice's payment status", "invoices", invoices.Invoice,
        body=invoices.InvoiceUpdateInput, refusals=_refusals(s405="`invoice_voided`: a voided invoice.")),
    ("/api/v1/invoices/{lago_id}/void", "POST"): Operation(
        "voidInvoice", "Void a finalized invoice not paid", "invoices", invoices.Invoice,
        refusals=_refusals(s405="`not_voidable`: paid, a draft, or already voided.")),
    ("/api/v1/invoices/{lago_id}/refresh", "PUT"): Operation("refreshInvoice", "Price a draft again", "invoices",
                                                             invoices.Invoice),
    ("/api/v1/invoices/{lago_id}/finalize", "PUT"): Operation(
        "finalizeInvoice", "Finalize a draft", "invoices", invoices.Invoice,
        refusals=_refusals(s404="`invoice_not_found`: unknown, or not a draft.")),
    ("/api/v1/credit_notes", "GET"): Operation("findAllCreditNotes", "List credit notes", "credit_notes",
                                               credit_notes.CreditNotesPaginated, query=queries.CustomerFilterQuery,
                                               refusals=_refusals(s422=_PAGE)),
    ("/api/v1/credit_notes/{lago_id}", "GET"): Operation("findCreditNote", "Retrieve a credit note", "credit_notes",
                                                         credit_notes.CreditNoteExtended),
    ("/api/v1/fees", "GET"): Operation("findAllFees", "List pay-in-advance fees", "fees", fees.FeesPaginated,
                                       query=queries.FeeListQuery, refusals=_refusals(s422=_PAGE)),
    ("/api/v1/fees/{lago_id}", "GET"): Operation("findFee", "Retrieve a fee", "fees", fees.Fee),
    ("/api/v1/test_clocks", "POST"): Operation("createTestClock", "Create a test clock (not Lago's)", "test_clocks",
                                               test_clocks.TestClock, body=test_clocks.TestClockCreateInput),
    ("/api/v1/test_clocks", "GET"): Operation("findAllTestClocks", "List test clocks (not Lago's)", "test_clocks",
                                              test_clocks.TestClocksPaginated, query=queries.PageQuery,
                                              refusals=_refusals(s422=_PAGE)),
    ("/api/v1/test_clocks/{lago_id}", "GET"): Operation("findTestClock", "Retrieve a test clock (not Lago's)",
                                                        "test_clocks", test_clocks.TestClock),
    ("/api/v1/test_clocks/{lago_id}", "DELETE"): Operation(
        "destroyTestClock", "Delete a test clock and its customers (not Lago's)", "test_clocks", test_clocks.TestClock,
        refusals=_refusals(s422="`test_clock_is_advancing`.")),
    ("/api/v1/test_clocks/{lago_id}/advance", "POST"): Operation(
        "advanceTestClock", "Advance a test clock, billing its customers on the way (not Lago's)", "test_clocks",
        test_clocks.TestClock, body=test_clocks.TestClockAdvanceInput),
}

"""One record of every kind the API reads, created through the API where it can be (customer, metric, plan,
subscription, event, test clock) and stored as the biller would issue them otherwise (an invoice with a charge fee and
VAT, its credit note, a pay-in-advance fee): so lists and reads answer real objects to check against the description."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from builders import create_clock, create_customer, create_metric, create_plan, send_event, subscribe
from invoice_fixtures import charge_fee, issue_credit_note, issue_invoice, store_in_advance_fee, subscription_fee

CUSTOMER = "described-customer"
METRIC = "described-calls"
PLAN = "described-plan"
SUBSCRIPTION = "described-subscription"
TRANSACTION = "described-event"
CREDIT_NOTE = "described-credit-note"
FEE = "described-fee"


@dataclass(frozen=True)
class DescribedRecords:
    invoice_id: str
    test_clock_id: str

    def id_in(self, path: str) -> str | None:
        """The id of the record of the path's resource (`/api/v1/<resource>/{id}...`), None for a path without."""
        resource = path.split("/")[3] if path.startswith("/api/v1/") else ""
        return {"customers": CUSTOMER, "billable_metrics": METRIC, "plans": PLAN, "subscriptions": SUBSCRIPTION,
                "events": TRANSACTION, "invoices": self.invoice_id, "credit_notes": CREDIT_NOTE, "fees": FEE,
                "test_clocks": self.test_clock_id}.get(resource)


def create_described_records(api, tenant) -> DescribedRecords:
    create_customer(api, CUSTOMER, name="Described", country="FR", vat_rate=20, shipping_address={"city": "Lyon"})
    metric = create_metric(api, METRIC, "sum_agg", "calls", name="Calls",
                           filters=[{"key": "region", "values": ["eu", "us"]}])
    plan = create_plan(api, PLAN, name="Described", trial_period=1.5, charges=[{
            "billable_metric_id": metric["lago_id"], "charge_model": "graduated",
            "properties": {"graduated_ranges": [{"from_value": 0, "to_value": 10, "per_unit_amount": "0.5",
                                                 "flat_amount": "1"},
                                                {"from_value": 11, "to_value": None, "per_unit_amount": "0.25",
                                                 "flat_amount": "0"}]},
            "filters": [{"invoice_display_name": "Europe", "values": {"region": ["eu"]},
                         "properties": {"graduated_ranges": [{"from_value": 0, "to_value": None,
                                                              "per_unit_amount": "0.1", "flat_amount": "0"}]}}]}])
    subscription_id = subscribe(api, external_customer_id=CUSTOMER, plan_code=PLAN, external_id=SUBSCRIPTION,
                                subscription_at="2026-01-15T00:00:00Z")["lago_id"]
    send_event(api, TRANSACTION, METRIC, SUBSCRIPTION, datetime.fromtimestamp(1768600000, UTC),
               {"calls": 12.5, "region": "eu"})
    clock = create_clock(api, "2030-01-01T00:00:00Z", name="Described")
    charge_id = plan["charges"][0]["lago_id"]
    invoice = issue_invoice(tenant.organization_id, CUSTOMER, SUBSCRIPTION,
                            [subscription_fee(subscription_id, 1000),
                             charge_fee(subscription_id, charge_id, Decimal("12.5"), 225, filter_index=0,
                                        events_count=1)], vat_rate=Decimal(20))
    issue_credit_note(invoice, CREDIT_NOTE, 300)
    store_in_advance_fee(tenant.organization_id, CUSTOMER, SUBSCRIPTION, charge_id, FEE)
    assert datetime.fromisoformat(clock["frozen_time"]) == datetime(2030, 1, 1, tzinfo=UTC)
    return DescribedRecords(invoice_id=invoice.id, test_clock_id=clock["lago_id"])

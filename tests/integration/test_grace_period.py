"""Grace periods (lago-semantics §6): with `invoice_grace_period` days (the customer's, else the organization's) a
period's invoice is a draft numbered `PREFIX-DRAFT`, dated its billing day plus the grace days; events of its
period arriving meanwhile are billed (the biller refreshes the draft once they are applied, a client may refresh it
at once, and the finalization always does), not late. The biller finalizes it when
its issuing date begins, or `PUT /invoices/{id}/finalize` does earlier; only then is it numbered in the customer's
sequence and does it take the customer's credit notes. Amounts worked out by hand in each test."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import create_customer, create_metric, create_plan, subscribe
from interleaving import competing
from test_biller import invoices_of, send
from test_subscriptions import path_of
from usage_fixtures import deliver, event_item, store_events, stream_record

from chalicelib.billing.biller import DueCustomers
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.dynamo import from_attributes
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import WEBHOOKS
from chalicelib.wiring import run_biller

INVOICE_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "invoice_not_found"}


def at(day: int, hour: int = 0, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def graced(api, tenant, api_clock):
    """The organization's grace period is 3 days; customer `cust` (VAT 20 %) on `startup` (1000 a month in
    arrears, storage at 0.01 EUR a gb) as `sub` from 1 November 2026 (calendar)."""
    metric = create_metric(api, "storage", "sum_agg", "gb")
    create_customer(api, billing_configuration={"vat_rate": 20})
    create_plan(api, charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                               "properties": {"amount": "0.01"}}])
    response = api.put("/api/v1/organizations", {"organization": {"billing_configuration": {
        "invoice_grace_period": 3}}})
    assert response.status_code == 200, response.body
    api_clock.set(at(1, month=11))
    subscribe(api, subscription_at="2026-11-01T00:00:00Z")
    return response.json_body["organization"]["document_number_prefix"]


def billed(api, transaction_id: str) -> bool:
    """Whether an invoice will include the event: it has no `unbillable_reason`."""
    response = api.get(f"/api/v1/events/{transaction_id}?external_subscription_id=sub")
    assert response.status_code == 200, response.body
    return response.json_body["event"]["unbillable_reason"] is None


def invoice_webhooks_of(organization_id: str) -> list[tuple[str, str]]:
    """(webhook_type, object_id) of every invoice webhook in the outbox."""
    items = map(from_attributes, repositories().client.scan(TableName=WEBHOOKS.name)["Items"])
    return sorted((item["webhook_type"], item["object_id"]) for item in items
                  if item["organization_id"] == organization_id and item["object_type"] == "invoice")


def amounts(invoice: dict) -> tuple:
    return ([fee["amount_cents"] for fee in invoice["fees"]], invoice["taxes_amount_cents"],
            invoice["total_amount_cents"])


def test_events_arriving_in_the_grace_period_are_billed_by_the_draft(api, dynamodb, tenant, graced):
    org = tenant.organization_id
    send(dynamodb, org, [("a", at(10, month=11), 10)])
    assert run_biller(at(1, 0, 30))["invoices_created"] == 1
    [draft] = invoices_of(org)
    # November's invoice, a draft until 1 December + 3 days: 1000 + 10 gb at 0.01, 20 % VAT on 1010 = 202.
    assert (draft.status, draft.number, draft.sequential_id, draft.issuing_date.isoformat()) == (
        "draft", f"{graced}-DRAFT", None, "2026-12-04")
    assert ([fee.amount_cents for fee in draft.fees], draft.taxes_amount_cents, draft.total_amount_cents,
            draft.payment_status) == ([1000, 10], 202, 1212, "pending")
    assert invoice_webhooks_of(org) == [("invoice.drafted", draft.id)]
    # 2 December: an event of 20 November arrives; the draft takes it in (not late): the aggregator makes the
    # customer due, and the biller's next run refreshes the draft: 1030 -> 206 VAT.
    assert DueCustomers(repositories().subscriptions)(at(2, 1)) == []
    send(dynamodb, org, [("b", at(20, month=11), 20)])
    assert billed(api, "b")
    assert [customer for _, customer in DueCustomers(repositories().subscriptions)(at(2, 1))] == [draft.customer_id]
    assert run_biller(at(2, 1))["invoices_created"] == 0
    shown = api.get(f"/api/v1/invoices/{draft.id}").json_body["invoice"]
    assert (shown["status"], amounts(shown)) == ("draft", ([1000, 30], 206, 1236))
    assert DueCustomers(repositories().subscriptions)(at(3, 23)) == []  # refreshed: due again when the grace period ends
    # 3 December: another, 5 gb of 25 November, refreshed at once through the API: 1035 -> 207.
    send(dynamodb, org, [("c", at(25, month=11), 5)])
    refreshed = api.put(f"/api/v1/invoices/{draft.id}/refresh")
    assert refreshed.status_code == 200, refreshed.body
    assert (refreshed.json_body["invoice"]["status"], amounts(refreshed.json_body["invoice"])) == (
        "draft", ([1000, 35], 207, 1242))
    assert run_biller(at(3, 23))["invoices_created"] == 0
    # 4 December: the biller refreshes and finalizes it: 1000 + 35, 207 VAT, numbered first of the customer.
    assert run_biller(at(4, 0, 30))["invoices_created"] == 1
    [final] = invoices_of(org)
    slug = repositories().customers.find_by_external_id(org, "cust").slug
    assert (final.id, final.status, final.number, final.sequential_id, final.issuing_date.isoformat()) == (
        draft.id, "finalized", f"{slug}-001", 1, "2026-12-04")
    assert ([fee.amount_cents for fee in final.fees], final.taxes_amount_cents, final.total_amount_cents) == (
        [1000, 35], 207, 1242)
    assert invoice_webhooks_of(org) == sorted([("invoice.drafted", draft.id), ("invoice.created", draft.id)])
    # 5 December: an event of 28 November is late now: kept, not billed, and the invoice stays as it was.
    send(dynamodb, org, [("d", at(28, month=11), 100)])
    assert (billed(api, "c"), billed(api, "d")) == (True, False)
    unchanged = api.put(f"/api/v1/invoices/{draft.id}/refresh")
    assert (unchanged.status_code, amounts(unchanged.json_body["invoice"])) == (200, ([1000, 35], 207, 1242))
    again = api.put(f"/api/v1/invoices/{draft.id}/finalize")
    assert (again.status_code, again.json_body) == (404, INVOICE_NOT_FOUND)
    assert run_biller(at(5))["invoices_created"] == 0


def test_finalize_before_the_grace_ends_waits_for_the_aggregator(api, dynamodb, tenant, graced, api_clock):
    org = tenant.organization_id
    send(dynamodb, org, [("a", at(10, month=11), 10)])
    run_biller(at(1, 0, 30))
    [draft] = invoices_of(org)
    # An event of 15 November stored but not yet aggregated: finalizing now would bill without it.
    pending = event_item(org, "e", epoch_ms(at(15, month=11)), "storage", {"gb": 5})
    store_events(dynamodb, [pending])
    api_clock.set(at(2, 9))
    refused = api.put(f"/api/v1/invoices/{draft.id}/finalize")
    assert (refused.status_code, refused.json_body) == (
        503, {"status": 503, "error": "Service Unavailable", "code": "usage_not_aggregated_yet"})
    assert invoices_of(org)[0].status == "draft"
    assert deliver([stream_record(pending)]) == {"batchItemFailures": []}
    finalized = api.put(f"/api/v1/invoices/{draft.id}/finalize")
    assert finalized.status_code == 200, finalized.body
    shown = finalized.json_body["invoice"]
    slug = repositories().customers.find_by_external_id(org, "cust").slug
    # Issued the day it is finalized: 1000 + 15 gb, 20 % of 1015 = 203.
    assert (shown["status"], shown["number"], shown["issuing_date"], amounts(shown)) == (
        "finalized", f"{slug}-001", "2026-12-02", ([1000, 15], 203, 1218))
    # Its marker is gone: the biller has nothing left to finalize.
    assert run_biller(at(4, 0, 30))["invoices_created"] == 0
    assert [invoice.sequential_id for invoice in invoices_of(org)] == [1]


def test_the_biller_and_the_api_finalizing_at_once_number_it_once(api, dynamodb, tenant, graced, api_clock):
    org = tenant.organization_id
    run_biller(at(1, 0, 30))
    [draft] = invoices_of(org)
    api_clock.set(at(4, 0, 10))
    # The API's finalization runs just before the biller's transaction: the biller reads again and finds nothing.
    with competing("TransactWriteItems", lambda: api.put(f"/api/v1/invoices/{draft.id}/finalize")) as results:
        assert run_biller(at(4, 0, 30))["invoices_created"] == 0
    assert results[0].status_code == 200
    [final] = invoices_of(org)
    assert (final.status, final.sequential_id, final.total_amount_cents) == ("finalized", 1, 1200)


def test_drafts_are_numbered_when_finalized_and_only_then_take_credit(api, tenant, api_clock):
    """The customer's own grace period (2 days; the organization has none): a pay-in-advance start, its termination
    with a credit note, and another subscription's period invoice, each a draft first, numbered in the order they
    are finalized; the credit note is consumed at finalization only."""
    org = tenant.organization_id
    create_customer(api, billing_configuration={"vat_rate": 20, "invoice_grace_period": 2})
    create_plan(api, "advance", amount_cents=3000, pay_in_advance=True)
    create_plan(api, "arrears", amount_cents=1000)
    api_clock.set(at(1, month=11))
    subscribe(api, plan_code="advance", subscription_at="2026-11-01T00:00:00Z")
    # The start's invoice (3000 + 600) is a draft until 3 November.
    [starting] = invoices_of(org)
    assert (starting.status, starting.issuing_date.isoformat(), starting.total_amount_cents) == (
        "draft", "2026-11-03", 3600)
    run_biller(at(3, 1, month=11))
    api_clock.set(at(20, 10, month=11))
    assert api.delete(path_of("sub")).status_code == 200
    subscribe(api, plan_code="arrears", external_id="later", subscription_at="2026-11-21T00:00:00Z")
    # The termination's invoice (nothing to pay) is a draft until 22 November; the biller runs late, on the 23rd:
    # it is issued on the 22nd all the same.
    run_biller(at(23, 1, month=11))
    run_biller(at(1, 0, 30))
    starting, final, december = invoices_of(org)
    # The credit note (21..30 November: 10 of 30 days of 3000 = 1000, 1200 with VAT) waits: drafts take no credit.
    assert (final.status, december.status) == ("finalized", "draft")
    assert (december.fees_amount_cents, december.credit_notes_amount_cents, december.total_amount_cents) == (
        333, 0, 400)
    note = api.get("/api/v1/credit_notes").json_body["credit_notes"][0]
    assert note["balance_amount_cents"] == 1200
    # 3 December: the periodic draft is finalized and takes 400 of the credit.
    run_biller(at(3, 1))
    starting, final, december = invoices_of(org)
    assert [(invoice.sequential_id, invoice.issuing_date.isoformat()) for invoice in (starting, final, december)] == [
        (1, "2026-11-03"), (2, "2026-11-22"), (3, "2026-12-03")]
    assert (december.credit_notes_amount_cents, december.total_amount_cents) == (400, 0)
    assert api.get("/api/v1/credit_notes").json_body["credit_notes"][0]["balance_amount_cents"] == 800

"""An upgrade's one invoice (the old subscription's final share and the new one's start, as Lago's `upgrading`
invoice), with the credit note of the old plan's unused days applied to it, issued exactly once: the request dying
before or after the invoice's transaction then retried, the hourly biller running before the request's transaction,
a rerun. Every time: one upgrade invoice, one `invoice.created`, the credit taken once.

The case, worked out by hand: `basic` (1000 a month) and `pro` (3000 a month), both paid in advance; `sub` on basic
from 1 November 2026 (calendar), upgraded to pro on 16 November at 10:00."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import create_customer, create_plan, subscribe
from interleaving import on_transaction
from test_subscriptions import path_of, post

from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller

UPGRADE_AT = datetime(2026, 11, 16, 10, tzinfo=UTC)
# November on basic at the start: 1000. The upgrade: pro from the upgrade day, 16..30 November = 3000 -
# round(3000 x 15 / 30) = 1500; basic's unused days from the upgrade day, 15 of 30 days of 1000 = 500, credited.
NOVEMBER_ON_BASIC = 1000
PRO_FROM_THE_16TH = 3000 - 3000 * 15 // 30
UNUSED_DAYS_OF_BASIC = 1000 * 15 // 30
# (invoicing reasons, fees, credit notes amount, total) of each invoice, oldest first.
EXPECTED = [
    (["subscription_starting"], [NOVEMBER_ON_BASIC], 0, NOVEMBER_ON_BASIC),
    (["subscription_terminating", "subscription_starting"], [PRO_FROM_THE_16TH], UNUSED_DAYS_OF_BASIC,
     PRO_FROM_THE_16TH - UNUSED_DAYS_OF_BASIC),
]


class Crash(BaseException):
    """The Lambda dying (not an error the code could catch)."""


@pytest.fixture
def subscribed(api, api_clock):
    for code, amount_cents in (("basic", 1000), ("pro", 3000)):
        create_plan(api, code, amount_cents=amount_cents, pay_in_advance=True)
    create_customer(api)
    api_clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    subscribe(api, plan_code="basic", subscription_at="2026-11-01T00:00:00Z")
    api_clock.set(UPGRADE_AT)


def upgrade(api):
    return post(api, plan_code="pro", subscription_at=...)


def summary(api) -> list[tuple]:
    listed = api.get("/api/v1/invoices?external_customer_id=cust").json_body["invoices"]
    invoices = [api.get(f"/api/v1/invoices/{invoice['lago_id']}").json_body["invoice"]
                for invoice in sorted(listed, key=lambda invoice: invoice["sequential_id"])]
    assert [invoice["sequential_id"] for invoice in invoices] == list(range(1, len(invoices) + 1))
    return [([period["invoicing_reason"] for period in invoice["billing_periods"]],
             [fee["amount_cents"] for fee in invoice["fees"]], invoice["credit_notes_amount_cents"],
             invoice["total_amount_cents"]) for invoice in invoices]


def assert_billed_once(api, tenant) -> None:
    assert summary(api) == EXPECTED
    [note] = api.get("/api/v1/credit_notes").json_body["credit_notes"]
    assert (note["reason"], note["credit_amount_cents"], note["balance_amount_cents"], note["credit_status"]) == (
        "order_change", UNUSED_DAYS_OF_BASIC, 0, "consumed")
    created = [webhook for webhook in repositories().webhooks.list(tenant.organization_id)
               if webhook.webhook_type == "invoice.created"]
    assert len(created) == len(EXPECTED)


def test_the_upgrade_request_issues_one_invoice_with_the_credit_applied(api, tenant, subscribed):
    assert upgrade(api).status_code == 200
    assert_billed_once(api, tenant)
    # The request again, and the hourly biller: nothing more.
    assert upgrade(api).status_code == 200
    assert run_biller(datetime(2026, 11, 16, 11, tzinfo=UTC))["invoices_created"] == 0
    assert_billed_once(api, tenant)


@pytest.mark.parametrize("when", ["before", "after"])
def test_an_upgrade_dying_at_its_invoice_is_billed_once_by_the_retry_and_the_biller(api, tenant, subscribed, when):
    """The request's second transaction (the first is the upgrade itself) is its invoice: the Lambda dies before
    it, or after it with the answer lost. The client retries the request; the biller runs; each issues the rest."""
    def die():
        raise Crash()

    with on_transaction(2, die, when), pytest.raises(Crash):
        upgrade(api)
    assert api.get(path_of("sub")).json_body["subscription"]["plan_code"] == "pro"  # the upgrade is stored
    assert len(summary(api)) == (1 if when == "before" else 2)
    assert upgrade(api).status_code == 200
    run_biller(datetime(2026, 11, 16, 11, tzinfo=UTC))
    assert_billed_once(api, tenant)


def test_a_biller_run_before_the_request_s_invoice_leaves_it_nothing_to_issue(api, tenant, subscribed):
    """The hourly biller runs whole just before the request's invoice transaction: it issues the upgrade's
    invoice; the request's transaction fails its conditions, it reads again and finds nothing due."""
    runs = []
    with on_transaction(2, lambda: runs.append(run_biller(datetime(2026, 11, 16, 10, 30, tzinfo=UTC)))):
        assert upgrade(api).status_code == 200
    assert [run["invoices_created"] for run in runs] == [1]
    assert_billed_once(api, tenant)


def test_under_a_grace_period_the_upgrade_is_one_draft_that_takes_the_credit_when_finalized(api, tenant,
                                                                                             subscribed):
    """A grace period of 3 days: the upgrade's invoice is one draft holding both shares (one `invoice.drafted`); it
    takes the credit note only when the biller finalizes it, on 19 November."""
    grace = {"customer": {"billing_configuration": {"invoice_grace_period": 3}}}
    assert api.put("/api/v1/customers/cust", grace).status_code == 200
    assert upgrade(api).status_code == 200
    [draft] = [invoice for invoice in api.get("/api/v1/invoices?external_customer_id=cust").json_body["invoices"]
               if invoice["status"] == "draft"]
    draft = api.get(f"/api/v1/invoices/{draft['lago_id']}").json_body["invoice"]
    assert ([period["invoicing_reason"] for period in draft["billing_periods"]], draft["fees_amount_cents"],
            draft["credit_notes_amount_cents"]) == (["subscription_terminating", "subscription_starting"],
                                                    PRO_FROM_THE_16TH, 0)
    drafted = [webhook for webhook in repositories().webhooks.list(tenant.organization_id)
               if webhook.webhook_type == "invoice.drafted"]
    assert len(drafted) == 1
    run_biller(datetime(2026, 11, 19, 0, 30, tzinfo=UTC))
    run_biller(datetime(2026, 11, 19, 1, 30, tzinfo=UTC))
    assert_billed_once(api, tenant)

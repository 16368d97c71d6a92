"""The biller through its public surface (the scheduled handler's `run_biller`) against moto: invoices at period
ends with hand-worked amounts, missed periods billed in order, reruns and two billers that change nothing, a
period left for the next run while its events are not all aggregated, and gapless numbers."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from builders import create_customer, create_metric, create_plan, subscribe
from usage_fixtures import deliver, event_item, store_and_deliver, store_events, stream_record

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned_api_clock(api_clock):
    """After the subscription's start, before its first boundary: creating it bills nothing at once."""
    api_clock.set(datetime(2026, 10, 20, tzinfo=UTC))
    return api_clock


@pytest.fixture
def storage(api, tenant):
    """Customer `cust` (vat_rate 20) on a monthly plan: 1000 cents in arrears and a graduated `storage` charge
    (sum of gb: 0-100 at 0.01 EUR, above at 0.005 EUR), subscribed from 10 October 2026 (calendar)."""
    tenant_api = api
    metric = create_metric(tenant_api, "storage", "sum_agg", "gb")
    create_customer(tenant_api, billing_configuration={"vat_rate": 20})
    create_plan(tenant_api, charges=[{
        "billable_metric_id": metric["lago_id"], "charge_model": "graduated",
        "properties": {"graduated_ranges": [
            {"from_value": 0, "to_value": 100, "per_unit_amount": "0.01", "flat_amount": "0"},
            {"from_value": 101, "to_value": None, "per_unit_amount": "0.005", "flat_amount": "0"}]}}])
    return subscribe(tenant_api, subscription_at="2026-10-10T00:00:00Z")


def send(dynamodb, organization_id: str, events: list[tuple[str, datetime, int]]) -> None:
    store_and_deliver(dynamodb, [event_item(organization_id, tx, epoch_ms(at), "storage", {"gb": gb})
                                 for tx, at, gb in events])


def invoices_of(organization_id: str) -> list:
    """The organization's invoices in number order, drafts (not numbered yet) last."""
    return sorted(repositories().invoices.list_page(organization_id, 1, 100),
                  key=lambda invoice: (invoice.sequential_id is None, invoice.sequential_id or 0, invoice.created_at))


def test_each_period_end_gets_its_invoice_with_taxes_and_gapless_numbers(dynamodb, tenant, storage):
    org = tenant.organization_id
    send(dynamodb, org, [("a", datetime(2026, 11, 3, tzinfo=UTC), 30), ("b", datetime(2026, 11, 20, tzinfo=UTC), 5)])
    assert run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 2
    october, november = invoices_of(org)
    # October: the first calendar period from the 10th: 22 of 31 days of 1000 = 709.677... -> 710; no usage.
    assert (october.issuing_date.isoformat(), october.fees_amount_cents) == ("2026-11-01", 710)
    assert october.taxes_amount_cents == 142  # 710 x 20 % = 142
    assert october.total_amount_cents == 710 + 142
    # November: the full base fee and 35 gb in the 0.01 tier = 35 cents; 20 % of 1035 = 207.
    assert (november.issuing_date.isoformat(), november.fees_amount_cents) == ("2026-12-01", 1000 + 35)
    assert (november.taxes_amount_cents, november.total_amount_cents) == (207, 1242)
    assert [fee.amount_cents for fee in november.fees] == [1000, 35]
    slug = repositories().customers.find_by_external_id(org, "cust").slug
    assert [october.number, november.number] == [f"{slug}-001", f"{slug}-002"]
    assert (october.sequential_id, november.sequential_id) == (1, 2)


def test_a_rerun_and_a_second_biller_issue_nothing_more(dynamodb, tenant, storage):
    org = tenant.organization_id
    at = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    assert run_biller(at)["invoices_created"] == 2
    assert run_biller(at)["invoices_created"] == 0
    assert run_biller(datetime(2026, 12, 1, 5, tzinfo=UTC))["invoices_created"] == 0
    assert [invoice.sequential_id for invoice in invoices_of(org)] == [1, 2]


def test_the_biller_waits_for_events_the_aggregator_has_not_applied(dynamodb, tenant, storage):
    org = tenant.organization_id
    # Stored but not delivered to the aggregator yet: November cannot be invoiced (October can).
    store_events(dynamodb, [event_item(org, "late", epoch_ms(datetime(2026, 11, 5, tzinfo=UTC)), "storage",
                                       {"gb": 7})])
    assert run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 1
    deliver([stream_record(event_item(org, "late", epoch_ms(datetime(2026, 11, 5, tzinfo=UTC)), "storage",
                                      {"gb": 7}))])
    assert run_biller(datetime(2026, 12, 1, 1, 30, tzinfo=UTC))["invoices_created"] == 1
    november = invoices_of(org)[-1]
    assert november.fees_amount_cents == 1000 + 7


def test_the_biller_waits_for_a_dead_lettered_event_until_it_is_replayed(dynamodb, tenant, storage, caplog,
                                                                        monkeypatch):
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from chalicelib.domain.aggregations.sum import SumAggregation
    from chalicelib.usage.dead_letters import DeadEvents

    org = tenant.organization_id
    item = event_item(org, "buggy", epoch_ms(datetime(2026, 11, 5, tzinfo=UTC)), "storage", {"gb": 7})
    store_events(dynamodb, [item])
    real = SumAggregation.value_contribution
    monkeypatch.setattr(SumAggregation, "value_contribution", lambda *_: 1 / 0)  # a bug, fixed by a deploy below
    for _ in range(2):
        with pytest.raises(BatchProcessingError):  # the batch's only record failed: Lambda retries the batch
            deliver([stream_record(item)])
    assert deliver([stream_record(item)]) == {"batchItemFailures": []}  # set aside at the third: the shard goes on
    monkeypatch.setattr(SumAggregation, "value_contribution", real)
    caplog.clear()

    assert run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 1  # October, not November
    logged = [record for record in caplog.records if "dead letter" in record.getMessage()]
    assert [(record.levelname, record.dead_lettered_events) for record in logged] == [("ERROR", 1)]
    assert [outcome.error for outcome in DeadEvents(repositories()).replay(org, DECEMBER)] == [None]
    assert run_biller(datetime(2026, 12, 1, 1, 30, tzinfo=UTC))["invoices_created"] == 1
    assert invoices_of(org)[-1].fees_amount_cents == 1000 + 7  # November: the base fee and 7 GB at 0.01


def test_terminating_a_subscription_issues_its_final_invoice_at_once(api, dynamodb, tenant, storage, api_clock):
    org = tenant.organization_id
    run_biller(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))  # October
    send(dynamodb, org, [("a", datetime(2026, 11, 3, tzinfo=UTC), 12)])
    api_clock.now = datetime(2026, 11, 15, 12, tzinfo=UTC)
    assert api.delete("/api/v1/subscriptions/sub").status_code == 200
    assert len(invoices_of(org)) == 2  # issued by the DELETE itself
    assert run_biller(datetime(2026, 11, 15, 13, tzinfo=UTC))["invoices_created"] == 0
    final = invoices_of(org)[-1]
    # 1 to 15 November billed: 15 of 30 days of 1000 = 500; 12 gb = 12 cents.
    assert final.fees_amount_cents == 500 + 12
    assert final.billing_periods[0].invoicing_reason == "subscription_terminating"
    assert run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 0


def test_many_due_customers_are_queued_and_the_worker_bills_them(dynamodb, tenant, storage, api, monkeypatch):
    """Past the inline limit the run only queues one message per customer; the worker's messages then bill them."""
    import boto3

    import app as chalice_app

    org = tenant.organization_id
    for n in range(2, 13):  # eleven more customers: twelve due, two SendMessageBatch calls of ten and two
        create_customer(api, external_id=f"cust-{n}", billing_configuration={"vat_rate": 20})
        subscribe(api, external_id=f"sub-{n}", external_customer_id=f"cust-{n}", subscription_at="2026-10-10T00:00:00Z")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="billing-work")["QueueUrl"]
    monkeypatch.setenv("BILLING_QUEUE_URL", url)
    monkeypatch.setenv("BILLER_INLINE_CUSTOMERS", "5")
    at = datetime(2026, 11, 1, 0, 30, tzinfo=UTC)
    assert run_biller(at) == {"now": at.isoformat(), "customers_due": 12, "customers_queued": 12,
                              "customers_failed": 0, "invoices_created": 0}
    assert invoices_of(org) == []
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [message["Body"] for message in messages]
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(bodies) == 12
    event = {"Records": [{"messageId": str(n), "receiptHandle": "r", "body": body, "attributes": {},
                          "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:billing-work",
                          "awsRegion": "us-east-1"} for n, body in enumerate(bodies)]}
    assert chalice_app.bill_customers(event, None) == {"batchItemFailures": []}
    assert len(invoices_of(org)) == 12
    assert chalice_app.bill_customers(event, None) == {"batchItemFailures": []}  # a redelivered batch
    assert len(invoices_of(org)) == 12
    # October from the 10th for each: 22 of 31 days of 1000 -> 710.
    assert sorted(invoice.fees_amount_cents for invoice in invoices_of(org)) == [710] * 12


def test_an_event_for_an_invoiced_period_is_kept_reported_and_never_changes_the_invoice(api, dynamodb, tenant,
                                                                                        storage):
    org = tenant.organization_id
    send(dynamodb, org, [("on-time", datetime(2026, 11, 3, tzinfo=UTC), 30)])
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    november = invoices_of(org)[-1]
    assert november.fees_amount_cents == 1000 + 30
    send(dynamodb, org, [("late", datetime(2026, 11, 20, tzinfo=UTC), 50)])  # arrives after November's invoice
    assert repositories().invoices.get(org, november.id) == november
    assert run_biller(datetime(2026, 12, 1, 1, 30, tzinfo=UTC))["invoices_created"] == 0
    reasons = {tx: api.get(f"/api/v1/events/{tx}").json_body["event"]["unbillable_reason"] for tx in ("on-time", "late")}
    assert reasons == {"on-time": None, "late": "period_finalized"}
    # December's invoice bills December only.
    run_biller(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert invoices_of(org)[-1].fees_amount_cents == 1000


def test_a_redelivery_after_the_invoice_does_not_mark_an_invoiced_event_unbillable(api, dynamodb, tenant, storage):
    org = tenant.organization_id
    on_time = event_item(org, "on-time", epoch_ms(datetime(2026, 11, 3, tzinfo=UTC)), "storage", {"gb": 30})
    late = event_item(org, "late", epoch_ms(datetime(2026, 11, 20, tzinfo=UTC)), "storage", {"gb": 50})
    store_events(dynamodb, [on_time])
    first = stream_record(on_time)
    assert deliver([first]) == {"batchItemFailures": []}
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    assert invoices_of(org)[-1].fees_amount_cents == 1000 + 30  # November bills on-time's 30 GB
    # The stream delivers on-time again (same sequence number) with an event that arrives after the invoice.
    store_events(dynamodb, [late])
    assert deliver([first, stream_record(late)]) == {"batchItemFailures": []}
    reasons = {tx: api.get(f"/api/v1/events/{tx}").json_body["event"]["unbillable_reason"] for tx in ("on-time", "late")}
    assert reasons == {"on-time": None, "late": "period_finalized"}


def test_zero_fees_are_left_off_the_invoice(api, dynamodb, tenant):
    """A free plan (0 cents) with a standard charge at 0 EUR: November's invoice has usage (3 events) but no fee
    that costs anything, so it lists no fee and totals 0."""
    org = tenant.organization_id
    metric = create_metric(api, "storage", "sum_agg", "gb")
    create_customer(api)
    create_plan(api, amount_cents=0, charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                               "properties": {"amount": "0"}}])
    subscribe(api, subscription_at="2026-11-01T00:00:00Z")
    send(dynamodb, org, [(f"e{n}", datetime(2026, 11, 3 + n, tzinfo=UTC), 5) for n in range(3)])
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    (november,) = invoices_of(org)
    assert (november.fees, november.fees_amount_cents, november.total_amount_cents) == ([], 0, 0)
    assert november.payment_status == "succeeded"  # nothing to pay


def failing_for(customer_id: str):
    """A botocore hook refusing the invoice transactions of one customer (a DynamoDB error the biller cannot
    handle), registered until the returned function is called."""
    from botocore.exceptions import ClientError

    def hook(params, **_):
        if any(customer_id in json.dumps(action) for action in params["TransactItems"]):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "TransactWriteItems")

    events = repositories().client.meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", hook)
    return lambda: events.unregister("before-parameter-build.dynamodb.TransactWriteItems", hook)


def test_a_customer_that_cannot_be_billed_does_not_stop_the_others(api, dynamodb, tenant, storage):
    org = tenant.organization_id
    create_customer(api, external_id="cust-2")
    subscribe(api, external_id="sub-2", external_customer_id="cust-2", subscription_at="2026-10-10T00:00:00Z")
    broken = repositories().customers.find_by_external_id(org, "cust").id
    at = datetime(2026, 11, 1, 0, 30, tzinfo=UTC)
    stop = failing_for(broken)
    try:
        outcome = run_biller(at)
    finally:
        stop()
    assert (outcome["customers_due"], outcome["customers_failed"], outcome["invoices_created"]) == (2, 1, 1)
    assert [invoice.customer_id for invoice in invoices_of(org)] != [broken]
    assert run_biller(at)["invoices_created"] == 1  # the next run bills it
    assert len(invoices_of(org)) == 2


def test_a_customer_not_billed_is_listed_with_its_reason_counted_and_rebilled(api, dynamodb, tenant, storage,
                                                                             capsys):
    from chalicelib.billing.failures import BillingFailures
    from chalicelib.cli import main

    org = tenant.organization_id
    broken = repositories().customers.find_by_external_id(org, "cust").id
    first, second = datetime(2026, 11, 1, 0, 30, tzinfo=UTC), datetime(2026, 11, 1, 1, 30, tzinfo=UTC)
    stop = failing_for(broken)
    try:
        run_biller(first)
        run_biller(second)
    finally:
        stop()
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "CustomersNotBilled" in line]
    assert [metric["CustomersNotBilled"] for metric in emitted] == [[1.0], [1.0]]
    [failing] = BillingFailures(repositories()).failing_customers(org, second)
    assert (failing.external_id, failing.failure.attempts, failing.failure.first_failed_at,
            failing.failure.last_failed_at) == ("cust", 2, first, second)
    assert failing.failure.reason.startswith("ClientError: An error occurred (InternalServerError)")
    assert main(["billing-failures", "--organization-id", org]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("cust  attempts=2  first_failed_at=2026-11-01T00:30:00Z  "
                                "last_failed_at=2026-11-01T01:30:00Z  reason=ClientError")
    assert listed[1] == "1 customers not billed"

    # The cause fixed (the hook removed), the operator bills it at once: its October invoice, then nothing listed.
    assert main(["rebill-failed", "--organization-id", org, "--at", "2026-11-01T02:00:00Z"]) == 0
    assert capsys.readouterr().out.splitlines() == ["cust  billed", "1 billed, 0 failed again"]
    assert [invoice.customer_id for invoice in invoices_of(org)] == [broken]
    assert BillingFailures(repositories()).failing_customers(org, second) == []
    assert main(["rebill-failed", "--organization-id", org, "--at", "2099-01-01T00:00:00Z"]) == 1
    assert "is in the future" in capsys.readouterr().err


def test_a_billing_failure_the_next_run_resolves_is_no_longer_listed(api, dynamodb, tenant, storage):
    from chalicelib.billing.failures import BillingFailures

    org = tenant.organization_id
    stop = failing_for(repositories().customers.find_by_external_id(org, "cust").id)
    try:
        run_biller(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))
    finally:
        stop()
    assert run_biller(datetime(2026, 11, 1, 1, 30, tzinfo=UTC))["invoices_created"] == 1
    assert BillingFailures(repositories()).failing_customers(org, datetime(2026, 11, 1, 1, 30, tzinfo=UTC)) == []
    assert repositories().billing_failures.of_organization(org) == []  # the stale record is removed


def test_the_worker_reports_the_message_of_a_customer_it_could_not_bill(api, dynamodb, tenant, storage):
    import app as chalice_app
    from chalicelib.billing.fanout import work_message

    org = tenant.organization_id
    create_customer(api, external_id="cust-2")
    subscribe(api, external_id="sub-2", external_customer_id="cust-2", subscription_at="2026-10-10T00:00:00Z")
    at = datetime(2026, 11, 1, 0, 30, tzinfo=UTC)
    ids = [repositories().customers.find_by_external_id(org, name).id for name in ("cust", "cust-2")]
    event = {"Records": [{"messageId": f"m{n}", "receiptHandle": "r", "body": work_message(org, customer_id, at),
                          "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:billing-work",
                          "awsRegion": "us-east-1"} for n, customer_id in enumerate(ids)]}
    stop = failing_for(ids[0])
    try:
        assert chalice_app.bill_customers(event, None) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    finally:
        stop()
    assert [invoice.customer_id for invoice in invoices_of(org)] == [ids[1]]


def test_a_percentage_charge_with_free_allowances_is_invoiced_from_its_events(api, dynamodb, tenant):
    """§3's percentage example on an invoice: events 50, 100, 250, 400 (U = 800), rate 1.3 %, fixed 2 EUR a
    transaction, the first 3 events free (N = 3) and up to 250 free units (T = 250). Running totals of the first
    3 events: 50, 150, 400 -> free units = min(400, 250) = 250; free events = min(3, 2 totals below 250) = 2.
    Percentage: (800 - 250) x 1.3 % = 7.15; fixed: (4 - 2) x 2 = 4; 11.15 EUR = 1115 cents, priced from the
    leading events the aggregator kept (tests/integration/test_percentage_usage.py for current usage)."""
    org = tenant.organization_id
    metric = create_metric(api, "payments", "sum_agg", "amount")
    create_customer(api)
    create_plan(api, charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "percentage",
                               "properties": {"rate": "1.3", "fixed_amount": "2", "free_units_per_events": 3,
                                              "free_units_per_total_aggregation": "250"}}])
    subscribe(api, subscription_at="2026-11-01T00:00:00Z")
    items = [event_item(org, f"p{n}", epoch_ms(datetime(2026, 11, 2 + n, tzinfo=UTC)), "payments", {"amount": amount})
             for n, amount in enumerate([50, 100, 250, 400])]
    store_events(dynamodb, items)
    assert deliver([stream_record(item) for item in items]) == {"batchItemFailures": []}
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    (november,) = invoices_of(org)
    assert [fee.amount_cents for fee in november.fees] == [1000, 715 + 400]

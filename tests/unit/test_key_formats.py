"""Each key format of chalicelib/store/keys.py (beyond the user-id encoding of test_keys.py): its exact text, that
it parses back where the store reads it back, and the aggregate names of chalicelib/domain/aggregate_keys.py."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.aggregate_keys import (
    APPLIED_EVENTS_CHARGE,
    DEFAULT_BUCKET,
    AggregateKey,
    aggregate_part,
    applied_events_key,
    bucket_key,
    transactions_bucket,
)
from chalicelib.store import keys

KEY = AggregateKey("org", "sub", 1_700_000_000_000, "charge", "default")
GROUPED = AggregateKey("org", "sub", 1_700_000_000_000, "charge", "default", (("team", "a#b"),))
periods = st.integers(min_value=0, max_value=10 ** 15 - 1)


def test_usage_partition_is_the_subscriptions_under_its_organization():
    assert keys.usage_pk("org", "sub") == "ORG#org#SUB#sub"


def test_aggregate_and_value_keys_sort_by_period_then_charge_bucket_and_group():
    assert keys.aggregate_sk(KEY.period_start_ms, "charge", "default") == "AGG#001700000000000#charge#default"
    assert keys.aggregate_sk(7, "c", "b", GROUPED.group) == "AGG#000000000000007#c#b" + keys.group_key(GROUPED.group)
    assert keys.value_sk(KEY, "user#1") == "VALUE#001700000000000#charge#default#user%231"
    assert keys.value_sk(GROUPED, "v") == f"VALUE#001700000000000#charge#default{keys.group_key(GROUPED.group)}#v"
    assert keys.period_prefix(keys.VALUE_PREFIX, 7) == "VALUE#000000000000007#"
    assert keys.value_sk(KEY, "v").startswith(keys.period_prefix(keys.VALUE_PREFIX, KEY.period_start_ms))


def test_pay_in_advance_keys_share_the_aggregates_layout():
    assert keys.advance_state_sk(KEY) == "ADVANCE#001700000000000#charge#default"
    assert keys.advance_presence_sk(GROUPED, "a#b") == \
        f"ADVANCE_VALUE#001700000000000#charge#default{keys.group_key(GROUPED.group)}#a%23b"


@given(periods, st.text(max_size=40))
def test_the_period_of_every_usage_sort_key_reads_back(period_start_ms, value):
    key = AggregateKey("org", "sub", period_start_ms, "charge", "F0123456789abcdef", (("k", value),))
    for sort_key in (keys.aggregate_sk(period_start_ms, key.charge_id, key.bucket, key.group),
                     keys.value_sk(key, value), keys.advance_state_sk(key), keys.advance_presence_sk(key, value)):
        assert keys.period_of(sort_key) == period_start_ms


def test_due_instants_have_a_fixed_width_in_utc():
    assert keys.iso_due(datetime(2026, 12, 1, tzinfo=UTC)) == "2026-12-01T00:00:00.000000Z"
    assert keys.iso_due(datetime(2026, 12, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == \
        "2026-12-01T00:00:00.000000Z"


def test_a_due_key_parses_back_to_its_ids():
    sort_key = keys.due_sk("2026-12-01T00:00:00.000000Z", "org", "customer", "subscription")
    assert sort_key == "2026-12-01T00:00:00.000000Z#org#customer#subscription"
    assert keys.due_entry(sort_key) == ("org", "customer", "subscription")


def test_list_entries_order_by_their_components():
    assert keys.list_order("2026-12-01", "0000000007", "id") == "2026-12-01#0000000007#id"
    assert keys.INVOICES.prefix() + keys.list_order("a", "b") == "INVOICE_LIST#a#b"


def test_listed_records_have_an_item_and_entries_per_organization_and_customer():
    assert keys.INVOICES.sk("id") == "INVOICE#id"
    assert keys.CREDIT_NOTES.customer_prefix("c") == "CUSTOMER_CREDIT_NOTE#c#"
    assert keys.FEES.list_sort_keys("c", "order") == ["FEE_LIST#order", "CUSTOMER_FEE#c#order"]
    assert keys.subscription_fees_prefix("s#1") == "SUBSCRIPTION_FEE#s%231#"


def test_coded_records_have_an_item_a_deleted_copy_a_code_lookup_and_a_counter():
    assert keys.PLANS.sk("id") == "PLAN#id" and keys.PLANS.sk("id").startswith(keys.PLANS.item_prefix)
    assert keys.PLANS.deleted_sk("id") == "DELETED_PLAN#id"
    assert keys.BILLABLE_METRICS.code_sk("a#b") == "METRIC_CODE#a%23b"
    assert keys.BILLABLE_METRICS.counter_sk == "COUNTER#billable_metrics"


def test_dead_letters_are_listed_by_external_subscription_id():
    assert keys.dead_events_prefix() == "DEAD_EVENT#"
    assert keys.dead_events_prefix("sub#1") == "DEAD_EVENT#sub%231#"
    assert keys.dead_event_sk("sub#1", "tx") == "DEAD_EVENT#sub%231#tx"
    assert keys.dead_event_sk("sub", "tx").startswith(keys.dead_events_prefix("sub"))


def test_billing_failures_and_webhooks_have_one_item_each():
    assert keys.billing_failure_sk("customer") == "BILLING_FAILURE#customer"
    assert keys.billing_failure_sk("customer").startswith(keys.BILLING_FAILURE_SK_PREFIX)
    assert keys.webhook_sk("webhook") == "WEBHOOK#webhook"


def test_buckets_are_named_by_their_filter_values_whatever_their_order():
    assert bucket_key(None) == DEFAULT_BUCKET
    assert bucket_key({"region": ["eu", "us"], "tier": ["a"]}) == bucket_key({"tier": ["a"], "region": ["us", "eu"]})
    assert bucket_key({"region": ["eu"]}) != bucket_key({"region": ["us"]})
    assert bucket_key({"region": ["eu"]}).startswith("F") and len(bucket_key({"region": ["eu"]})) == 17
    assert transactions_bucket("default") == "default#transactions"


def test_the_applied_events_counter_and_dead_letter_parts_name_their_aggregate():
    assert applied_events_key("org", "sub", 5) == AggregateKey("org", "sub", 5, APPLIED_EVENTS_CHARGE, DEFAULT_BUCKET)
    assert json.loads(aggregate_part(KEY)) == ["sub", KEY.period_start_ms, "charge", "default"]

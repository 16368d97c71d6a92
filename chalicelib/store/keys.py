"""The key scheme: every key of the control table, and the encoding of ids that users choose.

Every item of an organization lives under its partition `ORG#<organization id>`; the organization id is
ours (a UUID), so a user's id can never name another organization's partition. A user's id (an
external_id, a code) is only ever one component of a sort key, encoded by `encode_user_id`.
"""
from __future__ import annotations

import hashlib

SEPARATOR = "#"
# Longest encoded user id kept readable; longer ones are hashed, so a key stays far below
# DynamoDB's 1,024-byte sort-key limit whatever the id (255 four-byte characters are 1,020 bytes).
MAX_READABLE_ID_BYTES = 512
_ESCAPES = (("%", "%25"), ("#", "%23"))
# `%` followed by a non-hex letter never appears in an escaped id, so this prefix cannot collide.
_HASHED_PREFIX = "%H"


def encode_user_id(user_id: str) -> str:
    """An injective, separator-free, size-bounded form of an id a user chose.

    `%` and `#` are percent-escaped (so the result never contains the separator, and two different ids
    never escape to the same string); an escaped id over MAX_READABLE_ID_BYTES becomes `%H` plus its
    SHA-256, and the item stores the id itself so that a reader can check it.
    """
    escaped = user_id
    for raw, escape in _ESCAPES:
        escaped = escaped.replace(raw, escape)
    if len(escaped.encode("utf-8")) <= MAX_READABLE_ID_BYTES:
        return escaped
    return _HASHED_PREFIX + hashlib.sha256(user_id.encode("utf-8")).hexdigest()


def organization_pk(organization_id: str) -> str:
    return f"ORG{SEPARATOR}{organization_id}"


ORGANIZATION_SK = "ORGANIZATION"
CUSTOMER_COUNTER_SK = "COUNTER#customers"
CUSTOMER_SK_PREFIX = f"CUSTOMER{SEPARATOR}"
DELETED_CUSTOMER_SK_PREFIX = f"DELETED_CUSTOMER{SEPARATOR}"
API_KEY_SK_PREFIX = f"API_KEY{SEPARATOR}"


def customer_sk(customer_id: str) -> str:
    return CUSTOMER_SK_PREFIX + customer_id


def deleted_customer_sk(customer_id: str) -> str:
    return DELETED_CUSTOMER_SK_PREFIX + customer_id


def customer_external_id_sk(external_id: str) -> str:
    return f"CUSTOMER_EXTERNAL_ID{SEPARATOR}{encode_user_id(external_id)}"


def api_key_pk(key_hash: str) -> str:
    """The global item that resolves an API key's hash to its organization."""
    return f"API_KEY{SEPARATOR}{key_hash}"


API_KEY_LOOKUP_SK = "API_KEY"


def organization_api_key_sk(key_id: str) -> str:
    """The organization's own record of one of its keys (to list and revoke them)."""
    return API_KEY_SK_PREFIX + key_id


BILLABLE_METRIC_COUNTER_SK = "COUNTER#billable_metrics"
BILLABLE_METRIC_SK_PREFIX = f"METRIC{SEPARATOR}"
DELETED_BILLABLE_METRIC_SK_PREFIX = f"DELETED_METRIC{SEPARATOR}"


def billable_metric_sk(metric_id: str) -> str:
    return BILLABLE_METRIC_SK_PREFIX + metric_id


def deleted_billable_metric_sk(metric_id: str) -> str:
    return DELETED_BILLABLE_METRIC_SK_PREFIX + metric_id


def billable_metric_code_sk(code: str) -> str:
    return f"METRIC_CODE{SEPARATOR}{encode_user_id(code)}"


PLAN_COUNTER_SK = "COUNTER#plans"
PLAN_SK_PREFIX = f"PLAN{SEPARATOR}"
DELETED_PLAN_SK_PREFIX = f"DELETED_PLAN{SEPARATOR}"


def plan_sk(plan_id: str) -> str:
    """The plan item, its charges embedded (a plan is read and written whole)."""
    return PLAN_SK_PREFIX + plan_id


def deleted_plan_sk(plan_id: str) -> str:
    return DELETED_PLAN_SK_PREFIX + plan_id


def plan_code_sk(code: str) -> str:
    return f"PLAN_CODE{SEPARATOR}{encode_user_id(code)}"


# Subscriptions: the item by lago_id, and copies of it under the keys each list reads (status is in those
# keys, so a status change moves the copies). `S` is a UUIDv7: every prefix lists newest first.
SUBSCRIPTION_SK_PREFIX = f"SUBSCRIPTION{SEPARATOR}"
SUBSCRIPTION_COUNTER_SK = "COUNTER#subscriptions"


def subscription_sk(subscription_id: str) -> str:
    return SUBSCRIPTION_SK_PREFIX + subscription_id


def subscription_external_id_sk(external_id: str) -> str:
    """The lookup of the current (active or pending) subscription of an external id."""
    return f"SUBSCRIPTION_EXTERNAL_ID{SEPARATOR}{encode_user_id(external_id)}"


def subscriptions_by_status_prefix(status: str) -> str:
    return f"SUBSCRIPTION_STATUS{SEPARATOR}{status}{SEPARATOR}"


def customer_subscriptions_prefix(customer_id: str, status: str) -> str:
    return f"CUSTOMER_SUBSCRIPTION{SEPARATOR}{customer_id}{SEPARATOR}{status}{SEPARATOR}"


def plan_subscriptions_prefix(plan_id: str, status: str) -> str:
    return f"PLAN_SUBSCRIPTION{SEPARATOR}{plan_id}{SEPARATOR}{status}{SEPARATOR}"


def external_id_subscriptions_prefix(external_id: str, status: str) -> str:
    """Every subscription an external id has named, by status (terminated ones stay findable)."""
    return f"SUBSCRIPTION_HISTORY{SEPARATOR}{encode_user_id(external_id)}{SEPARATOR}{status}{SEPARATOR}"


def plan_subscription_counter_sk(plan_id: str) -> str:
    return f"COUNTER#plan_subscriptions{SEPARATOR}{plan_id}"


# The biller's due index (`by_due`, on the subscription item only): a few partitions so that no single one takes
# every write, each sorted by the instant of the next action, then organization and customer, so the biller
# groups a customer's subscriptions from the keys alone.
DUE_PARTITIONS = 8


def _partition_of(subscription_id: str) -> int:
    return hashlib.sha256(subscription_id.encode("utf-8")).digest()[0] % DUE_PARTITIONS


def due_pk(subscription_id: str) -> str:
    return due_partition(_partition_of(subscription_id))


def due_partition(index: int) -> str:
    return f"DUE{SEPARATOR}{index}"


# The backfill index (`by_backfill`, on the subscription item only, the same layout as `by_due`): subscriptions by
# the instant of their unbilled history's next invoice. Only an operator's `bill --backfill` reads it.
def backfill_pk(subscription_id: str) -> str:
    return backfill_partition(_partition_of(subscription_id))


def backfill_partition(index: int) -> str:
    return f"BACKFILL{SEPARATOR}{index}"


def due_sk(due_at: str, organization_id: str, customer_id: str, subscription_id: str) -> str:
    """`due_at` is an ISO-8601 UTC instant with a fixed width (`2026-12-01T00:00:00.000000Z`): string order is time
    order. Organization, customer and subscription ids are UUIDs (no separator in them)."""
    return SEPARATOR.join((due_at, organization_id, customer_id, subscription_id))


# Test clocks: the item by lago_id (UUIDv7: the prefix lists newest first), a live counter for `total_count`, and
# one entry per customer living on the clock (what its advance bills and its deletion removes).
TEST_CLOCK_SK_PREFIX = f"TEST_CLOCK{SEPARATOR}"
TEST_CLOCK_COUNTER_SK = "COUNTER#test_clocks"


def test_clock_sk(test_clock_id: str) -> str:
    return TEST_CLOCK_SK_PREFIX + test_clock_id


def test_clock_customers_prefix(test_clock_id: str) -> str:
    return f"TEST_CLOCK_CUSTOMER{SEPARATOR}{test_clock_id}{SEPARATOR}"


# Invoices: the item by lago_id, and small index entries listing them newest first, per organization and per
# customer (the list reads the full items by key). Sequential ids are per customer.
def invoice_sk(invoice_id: str) -> str:
    return f"INVOICE{SEPARATOR}{invoice_id}"


def invoices_prefix() -> str:
    return f"INVOICE_LIST{SEPARATOR}"


def customer_invoices_prefix(customer_id: str) -> str:
    return f"CUSTOMER_INVOICE{SEPARATOR}{customer_id}{SEPARATOR}"


def customer_drafts_prefix(customer_id: str) -> str:
    """The markers of a customer's draft invoices (each on the due index at its finalization)."""
    return f"CUSTOMER_DRAFT_INVOICE{SEPARATOR}{customer_id}{SEPARATOR}"


def customer_invoices_counter_sk(customer_id: str) -> str:
    """The customer's invoice sequence (its last number's), moved by each finalized invoice."""
    return f"COUNTER#customer_invoices{SEPARATOR}{customer_id}"


# Credit notes: the item by lago_id, list entries per organization and per customer (newest first), a marker per
# available one (what an invoice may consume: deleted once consumed), and a counter per invoice for their numbers.
def credit_note_sk(credit_note_id: str) -> str:
    return f"CREDIT_NOTE{SEPARATOR}{credit_note_id}"


def credit_notes_prefix() -> str:
    return f"CREDIT_NOTE_LIST{SEPARATOR}"


def customer_credit_notes_prefix(customer_id: str) -> str:
    return f"CUSTOMER_CREDIT_NOTE{SEPARATOR}{customer_id}{SEPARATOR}"


def available_credit_notes_prefix(customer_id: str) -> str:
    return f"CUSTOMER_CREDIT_AVAILABLE{SEPARATOR}{customer_id}{SEPARATOR}"


def invoice_credit_notes_counter_sk(invoice_id: str) -> str:
    return f"COUNTER#invoice_credit_notes{SEPARATOR}{invoice_id}"


# Pay-in-advance fees: the item by lago_id, and copies listing them newest first (by their event's reception) per
# organization, per customer and per external subscription id (docs/data-model.md, "Pay-in-advance fees").
def fee_sk(fee_id: str) -> str:
    return f"FEE{SEPARATOR}{fee_id}"


def fees_prefix() -> str:
    return f"FEE_LIST{SEPARATOR}"


def customer_fees_prefix(customer_id: str) -> str:
    return f"CUSTOMER_FEE{SEPARATOR}{customer_id}{SEPARATOR}"


def subscription_fees_prefix(external_subscription_id: str) -> str:
    return f"SUBSCRIPTION_FEE{SEPARATOR}{encode_user_id(external_subscription_id)}{SEPARATOR}"


# Events table: the item key is the idempotency key (organization, transaction_id, external subscription id);
# the `by_subscription_time` index lists a subscription's events in time order. See docs/data-model.md.
EVENT_TIMESTAMP_DIGITS = 15


def event_pk(organization_id: str, transaction_id: str) -> str:
    return f"{organization_pk(organization_id)}{SEPARATOR}TX{SEPARATOR}{encode_user_id(transaction_id)}"


def event_sk(external_subscription_id: str) -> str:
    return f"SUB{SEPARATOR}{encode_user_id(external_subscription_id)}"


def event_subscription_pk(organization_id: str, external_subscription_id: str) -> str:
    return f"{organization_pk(organization_id)}{SEPARATOR}SUB{SEPARATOR}{encode_user_id(external_subscription_id)}"


def event_time_sk(timestamp_ms: int, transaction_id: str) -> str:
    return f"{timestamp_ms:0{EVENT_TIMESTAMP_DIGITS}d}{SEPARATOR}{encode_user_id(transaction_id)}"


def event_time_bounds(from_ms: int, to_ms: int) -> tuple[str, str]:
    """Sort-key bounds holding every event timestamped from `from_ms` to `to_ms` included (`$` sorts after `#`)."""
    return f"{from_ms:0{EVENT_TIMESTAMP_DIGITS}d}{SEPARATOR}", f"{to_ms:0{EVENT_TIMESTAMP_DIGITS}d}$"

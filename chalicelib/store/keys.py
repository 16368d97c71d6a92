"""The key scheme: every key of the control, events and usage tables, and the encoding of ids that users choose.

Every item of an organization lives under its partition `ORG#<organization id>`; the organization id is
ours (a UUID), so a user's id can never name another organization's partition. A user's id (an
external_id, a code) is only ever one component of a sort key, encoded by `encode_user_id`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.domain.aggregate_keys import AggregateKey
from chalicelib.domain.pricing.groups import UNGROUPED, PricingGroup

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


# The console's deployment secret: one global item, created once (docs/console.md).
CONSOLE_SECRET_PK = "CONSOLE"
CONSOLE_SECRET_SK = "SESSION_SECRET"


def console_session_sk(session_id: str) -> str:
    """A live console session of the organization (deleted when it signs out)."""
    return f"CONSOLE_SESSION{SEPARATOR}{session_id}"


@dataclass(frozen=True)
class CodedRecords:
    """The keys of a kind of record users name by a code: the item by lago_id (a UUIDv7: the prefix lists newest
    first), the copy a deletion keeps for the records that still refer to it, the code's lookup item, and the
    organization's live counter behind `total_count`."""

    kind: str
    counter_sk: str

    @property
    def item_prefix(self) -> str:
        return f"{self.kind}{SEPARATOR}"

    @property
    def deleted_prefix(self) -> str:
        return f"DELETED_{self.kind}{SEPARATOR}"

    def sk(self, record_id: str) -> str:
        return self.item_prefix + record_id

    def deleted_sk(self, record_id: str) -> str:
        return self.deleted_prefix + record_id

    def code_sk(self, code: str) -> str:
        return f"{self.kind}_CODE{SEPARATOR}{encode_user_id(code)}"


BILLABLE_METRICS = CodedRecords("METRIC", "COUNTER#billable_metrics")
# A plan item embeds its charges (a plan is read and written whole).
PLANS = CodedRecords("PLAN", "COUNTER#plans")


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


def customer_subscriptions_root(customer_id: str) -> str:
    """Every copy of a customer's subscriptions, whatever their status (one Query reads them all)."""
    return f"CUSTOMER_SUBSCRIPTION{SEPARATOR}{customer_id}{SEPARATOR}"


def customer_subscriptions_prefix(customer_id: str, status: str) -> str:
    return f"{customer_subscriptions_root(customer_id)}{status}{SEPARATOR}"


def plan_subscriptions_prefix(plan_id: str, status: str) -> str:
    return f"PLAN_SUBSCRIPTION{SEPARATOR}{plan_id}{SEPARATOR}{status}{SEPARATOR}"


def external_id_subscriptions_root(external_id: str) -> str:
    """Every subscription an external id has named, whatever its status (one Query reads them all)."""
    return f"SUBSCRIPTION_HISTORY{SEPARATOR}{encode_user_id(external_id)}{SEPARATOR}"


def external_id_subscriptions_prefix(external_id: str, status: str) -> str:
    """Every subscription an external id has named, by status (terminated ones stay findable)."""
    return f"{external_id_subscriptions_root(external_id)}{status}{SEPARATOR}"


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


def iso_due(moment: datetime) -> str:
    """A fixed-width UTC instant (`2026-12-01T00:00:00.000000Z`), so that the due index sorts by time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def due_sk(due_at: str, organization_id: str, customer_id: str, subscription_id: str) -> str:
    """`due_at` is an `iso_due` instant: string order is time order. Organization, customer and subscription ids are
    UUIDs (no separator in them)."""
    return SEPARATOR.join((due_at, organization_id, customer_id, subscription_id))


def due_entry(sort_key: str) -> tuple[str, str, str]:
    """(organization_id, customer_id, subscription_id) of a `due_sk`."""
    _, organization_id, customer_id, subscription_id = sort_key.split(SEPARATOR)
    return organization_id, customer_id, subscription_id


# Test clocks: the item by lago_id (UUIDv7: the prefix lists newest first), a live counter for `total_count`, and
# one entry per customer living on the clock (what its advance bills and its deletion removes).
TEST_CLOCK_SK_PREFIX = f"TEST_CLOCK{SEPARATOR}"
TEST_CLOCK_COUNTER_SK = "COUNTER#test_clocks"


def test_clock_sk(test_clock_id: str) -> str:
    return TEST_CLOCK_SK_PREFIX + test_clock_id


def test_clock_customers_prefix(test_clock_id: str) -> str:
    return f"TEST_CLOCK_CUSTOMER{SEPARATOR}{test_clock_id}{SEPARATOR}"


def list_order(*components: str) -> str:
    """The part of a list entry's sort key that orders it (an issuing date, a number, the id)."""
    return SEPARATOR.join(components)


@dataclass(frozen=True)
class ListedRecords:
    """The keys of a kind of record listed newest first: the item by lago_id, and list entries (each ending with a
    `list_order`) under the organization's prefix and under each customer's."""

    item: str
    listing: str
    per_customer: str

    def sk(self, record_id: str) -> str:
        return f"{self.item}{SEPARATOR}{record_id}"

    def prefix(self) -> str:
        return f"{self.listing}{SEPARATOR}"

    def customer_prefix(self, customer_id: str) -> str:
        return f"{self.per_customer}{SEPARATOR}{customer_id}{SEPARATOR}"

    def list_sort_keys(self, customer_id: str, order: str) -> list[str]:
        return [self.prefix() + order, self.customer_prefix(customer_id) + order]


# Invoices: the full items are read by key from the list entries. Sequential ids are per customer.
INVOICES = ListedRecords("INVOICE", "INVOICE_LIST", "CUSTOMER_INVOICE")
# Credit notes: also a marker per available one (what an invoice may consume: deleted once consumed), and a counter
# per invoice for their numbers.
CREDIT_NOTES = ListedRecords("CREDIT_NOTE", "CREDIT_NOTE_LIST", "CUSTOMER_CREDIT_NOTE")
# Pay-in-advance fees: listed by their event's reception, also per external subscription id (docs/data-model.md,
# "Pay-in-advance fees").
FEES = ListedRecords("FEE", "FEE_LIST", "CUSTOMER_FEE")


def customer_drafts_prefix(customer_id: str) -> str:
    """The markers of a customer's draft invoices (each on the due index at its finalization)."""
    return f"CUSTOMER_DRAFT_INVOICE{SEPARATOR}{customer_id}{SEPARATOR}"


def customer_invoices_counter_sk(customer_id: str) -> str:
    """The customer's invoice sequence (its last number's), moved by each finalized invoice."""
    return f"COUNTER#customer_invoices{SEPARATOR}{customer_id}"


def available_credit_notes_prefix(customer_id: str) -> str:
    return f"CUSTOMER_CREDIT_AVAILABLE{SEPARATOR}{customer_id}{SEPARATOR}"


def invoice_credit_notes_counter_sk(invoice_id: str) -> str:
    return f"COUNTER#invoice_credit_notes{SEPARATOR}{invoice_id}"


def subscription_fees_prefix(external_subscription_id: str) -> str:
    return f"SUBSCRIPTION_FEE{SEPARATOR}{encode_user_id(external_subscription_id)}{SEPARATOR}"


# Dead letters: one item per event the aggregator could not apply, by external subscription id and transaction id.
DEAD_EVENT_SK_PREFIX = f"DEAD_EVENT{SEPARATOR}"


def dead_events_prefix(external_subscription_id: str | None = None) -> str:
    """Every dead letter of the organization, or those of one external subscription id."""
    if external_subscription_id is None:
        return DEAD_EVENT_SK_PREFIX
    return f"{DEAD_EVENT_SK_PREFIX}{encode_user_id(external_subscription_id)}{SEPARATOR}"


def dead_event_sk(external_subscription_id: str, transaction_id: str) -> str:
    return dead_events_prefix(external_subscription_id) + encode_user_id(transaction_id)


BILLING_FAILURE_SK_PREFIX = f"BILLING_FAILURE{SEPARATOR}"


def billing_failure_sk(customer_id: str) -> str:
    """The record of a customer the biller could not bill."""
    return BILLING_FAILURE_SK_PREFIX + customer_id


def webhook_sk(webhook_id: str) -> str:
    return f"WEBHOOK{SEPARATOR}{webhook_id}"


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


# Usage table: one partition per subscription; its aggregates, unique-count values and pay-in-advance states sorted by
# their period's start (fixed width: string order is time order), then charge, filter bucket and pricing group.
# See docs/data-model.md ("Usage table").
PERIOD_DIGITS = 15
AGGREGATE_PREFIX = f"AGG{SEPARATOR}"
VALUE_PREFIX = f"VALUE{SEPARATOR}"
ADVANCE_STATE_PREFIX = f"ADVANCE{SEPARATOR}"
ADVANCE_PRESENCE_PREFIX = f"ADVANCE_VALUE{SEPARATOR}"


def usage_pk(organization_id: str, subscription_id: str) -> str:
    return f"{organization_pk(organization_id)}{SEPARATOR}SUB{SEPARATOR}{subscription_id}"


def group_key(group: PricingGroup) -> str:
    """The sort-key part of a pricing group: `G` and a short hash of its (key, value) pairs in order (values are
    users' text: hashing keeps `#`, `/` or any length out of the key); nothing for an ungrouped bucket, so its keys
    are those it always had."""
    if group == UNGROUPED:
        return ""
    canonical = json.dumps(group, separators=(",", ":"), ensure_ascii=False)
    return f"{SEPARATOR}G" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def period_prefix(prefix: str, period_start_ms: int) -> str:
    """The items of one kind (`AGGREGATE_PREFIX`, `VALUE_PREFIX`, ...) of one period."""
    return f"{prefix}{period_start_ms:0{PERIOD_DIGITS}d}{SEPARATOR}"


def _bucket_sk(prefix: str, period_start_ms: int, charge_id: str, bucket: str, group: PricingGroup) -> str:
    return f"{period_prefix(prefix, period_start_ms)}{charge_id}{SEPARATOR}{bucket}{group_key(group)}"


def aggregate_sk(period_start_ms: int, charge_id: str, bucket: str, group: PricingGroup = UNGROUPED) -> str:
    return _bucket_sk(AGGREGATE_PREFIX, period_start_ms, charge_id, bucket, group)


def _value_sk(prefix: str, key: AggregateKey, value: str) -> str:
    return (f"{_bucket_sk(prefix, key.period_start_ms, key.charge_id, key.bucket, key.group)}{SEPARATOR}"
            f"{encode_user_id(value)}")


def value_sk(key: AggregateKey, value: str) -> str:
    """A unique-count value's item: under the period its operations belong to (`key.period_start_ms`)."""
    return _value_sk(VALUE_PREFIX, key, value)


def period_of(sort_key: str) -> int:
    """The period start of an aggregate's, a value's or a pay-in-advance state's sort key."""
    return int(sort_key.split(SEPARATOR, 2)[1])


def advance_state_sk(key: AggregateKey) -> str:
    """A pay-in-advance bucket's running state (chalicelib/store/in_advance.py)."""
    return _bucket_sk(ADVANCE_STATE_PREFIX, key.period_start_ms, key.charge_id, key.bucket, key.group)


def advance_presence_sk(key: AggregateKey, value: str) -> str:
    """A unique-count value's presence in a pay-in-advance bucket."""
    return _value_sk(ADVANCE_PRESENCE_PREFIX, key, value)

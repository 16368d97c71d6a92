"""Purging a customer (an erasure request): every item the service keeps about it, in all four tables, found
without a Scan (every key is in docs/data-model.md).

- control table: the customer (or its deleted copy) and its external-id lookup; its subscriptions (the item, its
  copies by status, customer, plan and external id, the current external-id lookup); its invoices (the item, both
  list entries, draft markers, each invoice's credit-note counter, the customer's invoice sequence); its credit
  notes (the item, both list entries, available markers); its pay-in-advance fees (the item and its three copies);
- events table: the events of its subscriptions' external ids received for this customer (`lago_customer_id`: an
  external id can have named another customer's subscription since), through `by_subscription_time`;
- usage table: every item of its subscriptions' partitions;
- webhooks table: the webhooks about the customer, its subscriptions, invoices and fees, whose ids are derived from
  the object's id (`webhook_id`), so none has to be searched for.

Counters: each subscription is deleted in ONE transaction with what its removal moves: its status in the
organization's and its plan's per-status counters (as if it had never been counted) and, for a current one, what a
termination releases (the customer's and the plan's `active_subscriptions_count`, the external-id lookup). The
customer goes last, in ONE transaction with its lookup and the organization's live customer count. A rerun finds
those items gone and moves no counter twice.

Resuming: the items a step finds its work from (the customer's list entries and copies, then the customer itself)
are deleted after what they lead to, so a purge interrupted anywhere is completed by running it again, and a run
over a purged customer deletes nothing. Keys derived rather than read are checked first (strongly consistent; so
are the events the eventually consistent index lists), so the count returned is what was deleted.

Run it once nothing writes for the customer any more: an event still in the stream when its aggregates are deleted
would write them again, and a subscription created meanwhile makes the customer's removal fail (StaleWrite: run it
again)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from botocore.client import BaseClient

from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.retries import retrying
from chalicelib.domain.subscriptions import CURRENT_STATUSES, STATUSES, Subscription
from chalicelib.domain.webhooks import WebhookType, webhook_id
from chalicelib.store import keys
from chalicelib.store.dynamo import BATCH_GET_LIMIT, TransactionCancelled, from_attributes, to_attributes, transact
from chalicelib.store.plans import subscription_count_update
from chalicelib.store.setup_version import setup_change
from chalicelib.store.subscriptions import copy_sort_keys, termination_releases
from chalicelib.store.tables import CONTROL, EVENTS, EVENTS_BY_SUBSCRIPTION_TIME, USAGE, WEBHOOKS

if TYPE_CHECKING:  # the repositories purge through this module
    from chalicelib.store.repositories import Repositories

BATCH_WRITE_LIMIT = 25  # requests per BatchWriteItem
_SUBSCRIPTION_WEBHOOKS: tuple[WebhookType, ...] = ("subscription.started", "subscription.terminated")
_INVOICE_WEBHOOKS: tuple[WebhookType, ...] = ("invoice.drafted", "invoice.created")


class ItemKey(NamedTuple):
    table: str
    pk: str
    sk: str

    def attributes(self) -> dict:
        return to_attributes({"pk": self.pk, "sk": self.sk})


def purge_customer(stores: Repositories, organization_id: str, customer_id: str) -> int:
    """Delete every item of the customer (see the module); returns how many were deleted, 0 once it is purged."""
    purge = _CustomerPurge(stores, organization_id, customer_id)
    if not purge.customer_exists():
        return 0
    subscriptions = purge.subscriptions()
    deleted = purge.fees() + purge.credit_notes() + purge.invoices() + purge.subscription_data(subscriptions)
    deleted += sum(purge.remove_subscription(subscription["id"]) for subscription in subscriptions)
    return deleted + purge.remove_customer()


def _query(client: BaseClient, request: dict) -> list[dict]:
    return [from_attributes(item) for page in client.get_paginator("query").paginate(**request)
            for item in page["Items"]]


def _found(items: Iterable[dict], table: str = CONTROL.name) -> list[ItemKey]:
    return [ItemKey(table, item["pk"], item["sk"]) for item in items]


def _existing(client: BaseClient, item_keys: Iterable[ItemKey]) -> list[ItemKey]:
    """Those of `item_keys` whose item exists: strongly consistent BatchGetItems of their keys alone."""
    wanted = list(dict.fromkeys(item_keys))
    found: set[ItemKey] = set()
    for first in range(0, len(wanted), BATCH_GET_LIMIT):
        request: dict = {}
        for key in wanted[first:first + BATCH_GET_LIMIT]:
            request.setdefault(key.table, {"ConsistentRead": True, "ProjectionExpression": "pk, sk",
                                           "Keys": []})["Keys"].append(key.attributes())
        while request:
            response = client.batch_get_item(RequestItems=request)
            for table, items in response["Responses"].items():
                found.update(_found(map(from_attributes, items), table))
            request = response.get("UnprocessedKeys") or {}
    return [key for key in wanted if key in found]


def _delete(client: BaseClient, item_keys: Iterable[ItemKey]) -> int:
    """Delete these items (known to exist) with BatchWriteItems, repeating what DynamoDB leaves unprocessed; returns
    how many."""
    doomed = list(dict.fromkeys(item_keys))
    for first in range(0, len(doomed), BATCH_WRITE_LIMIT):
        request: dict = {}
        for key in doomed[first:first + BATCH_WRITE_LIMIT]:
            request.setdefault(key.table, []).append({"DeleteRequest": {"Key": key.attributes()}})
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return len(doomed)


@dataclass(frozen=True)
class _CustomerPurge:
    stores: Repositories
    organization_id: str
    customer_id: str

    @property
    def _client(self):
        return self.stores.client

    @property
    def _partition(self) -> str:
        return keys.organization_pk(self.organization_id)

    def _control(self, sort_key: str) -> ItemKey:
        return ItemKey(CONTROL.name, self._partition, sort_key)

    def _key(self, sort_key: str) -> dict:
        return self._control(sort_key).attributes()

    def _webhook(self, webhook_type: WebhookType, object_id: str) -> ItemKey:
        return ItemKey(WEBHOOKS.name, self._partition,
                       keys.webhook_sk(webhook_id(self.organization_id, webhook_type, object_id)))

    def _get(self, sort_key: str) -> dict | None:
        response = self._client.get_item(TableName=CONTROL.name, ConsistentRead=True,
                                          Key=self._key(sort_key))
        return from_attributes(response["Item"]) if "Item" in response else None

    def _under(self, prefix: str) -> list[dict]:
        """Every control item of the organization under `prefix` (strongly consistent)."""
        return _query(self._client, {
            "TableName": CONTROL.name, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_attributes({":pk": self._partition, ":prefix": prefix})})

    def _delete_existing(self, item_keys: Iterable[ItemKey]) -> int:
        return _delete(self._client, _existing(self._client, item_keys))

    # ------------------------------------------------------------------------------------------------ reads
    def customer_exists(self) -> bool:
        """Whether the customer's item, live or deleted, is still there (it goes last: if not, nothing is left)."""
        return bool(_existing(self._client, [self._control(keys.customer_sk(self.customer_id)),
                                             self._control(keys.deleted_customer_sk(self.customer_id))]))

    def subscriptions(self) -> list[dict]:
        """Its subscriptions in every status: their copies under the customer."""
        return [copy for status in STATUSES
                for copy in self._under(keys.customer_subscriptions_prefix(self.customer_id, status))]

    # ---------------------------------------------------------------- what the customer's entries lead to
    def fees(self) -> int:
        """Its pay-in-advance fees: each item, its organization's and external id's copies and its webhook, then the
        customer's copies they were found by."""
        prefix = keys.FEES.customer_prefix(self.customer_id)
        copies = self._under(prefix)
        derived = [key for copy in copies for key in (
            self._control(keys.FEES.sk(copy["id"])),
            self._control(keys.FEES.prefix() + copy["sk"].removeprefix(prefix)),
            self._control(keys.subscription_fees_prefix(copy["external_subscription_id"])
                          + copy["sk"].removeprefix(prefix)),
            self._webhook("fee.created", copy["id"]))]
        return self._delete_existing(derived) + _delete(self._client, _found(copies))

    def credit_notes(self) -> int:
        """Its credit notes: each item and organization's entry, its available markers, then the customer's entries."""
        prefix = keys.CREDIT_NOTES.customer_prefix(self.customer_id)
        entries = self._under(prefix)
        derived = [key for entry in entries for key in (
            self._control(keys.CREDIT_NOTES.sk(entry["id"])),
            self._control(keys.CREDIT_NOTES.prefix() + entry["sk"].removeprefix(prefix)))]
        markers = self._under(keys.available_credit_notes_prefix(self.customer_id))
        return (self._delete_existing(derived) + _delete(self._client, _found(markers))
                + _delete(self._client, _found(entries)))

    def invoices(self) -> int:
        """Its invoices: each item, organization's entry, credit-note counter and webhooks, its draft markers and its
        invoice sequence, then the customer's entries."""
        prefix = keys.INVOICES.customer_prefix(self.customer_id)
        entries = self._under(prefix)
        derived = [self._control(keys.customer_invoices_counter_sk(self.customer_id))]
        for entry in entries:
            derived += [self._control(keys.INVOICES.sk(entry["id"])),
                        self._control(keys.INVOICES.prefix() + entry["sk"].removeprefix(prefix)),
                        self._control(keys.invoice_credit_notes_counter_sk(entry["id"])),
                        *(self._webhook(webhook_type, entry["id"]) for webhook_type in _INVOICE_WEBHOOKS)]
        drafts = self._under(keys.customer_drafts_prefix(self.customer_id))
        return (self._delete_existing(derived) + _delete(self._client, _found(drafts))
                + _delete(self._client, _found(entries)))

    def subscription_data(self, subscriptions: list[dict]) -> int:
        """What its subscriptions lead to: their usage partitions, their webhooks, and the events received for the
        customer under their external ids."""
        usage = [key for subscription in subscriptions for key in self._usage_keys(subscription["id"])]
        webhooks = [self._webhook(webhook_type, subscription["id"])
                    for subscription in subscriptions for webhook_type in _SUBSCRIPTION_WEBHOOKS]
        events = [key for external_id in dict.fromkeys(subscription["external_id"] for subscription in subscriptions)
                  for key in self._event_keys(external_id)]
        return _delete(self._client, usage) + self._delete_existing(webhooks + events)

    def _usage_keys(self, subscription_id: str) -> list[ItemKey]:
        partition = keys.usage_pk(self.organization_id, subscription_id)
        return _found(_query(self._client, {
            "TableName": USAGE.name, "ConsistentRead": True, "ProjectionExpression": "pk, sk",
            "KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": to_attributes({":pk": partition})}),
            USAGE.name)

    def _event_keys(self, external_subscription_id: str) -> list[ItemKey]:
        """The events of the external id received for this customer, as the index lists them (its table keys)."""
        index = EVENTS_BY_SUBSCRIPTION_TIME
        return _found(_query(self._client, {
            "TableName": EVENTS.name, "IndexName": index.name, "ProjectionExpression": "pk, sk",
            "KeyConditionExpression": "#partition = :partition", "FilterExpression": "lago_customer_id = :customer",
            "ExpressionAttributeNames": {"#partition": index.partition_key},
            "ExpressionAttributeValues": to_attributes({
                ":partition": keys.event_subscription_pk(self.organization_id, external_subscription_id),
                ":customer": self.customer_id})}), EVENTS.name)

    # ----------------------------------------------------------------------- the items counters depend on
    def remove_subscription(self, subscription_id: str) -> int:
        """The subscription item and its copies deleted in ONE transaction that uncounts it (the item still at the
        version read); 0 if an earlier run removed it."""
        return retrying("subscription purge", lambda: self._remove_subscription_as_read(subscription_id))

    def _remove_subscription_as_read(self, subscription_id: str) -> int:
        subscription = self._get(keys.subscription_sk(subscription_id))
        if subscription is None:  # removed, its copies and counts with it
            return 0
        status = subscription["status"]
        actions = [{"Delete": {"TableName": CONTROL.name, "Key": self._key(subscription["sk"]),
                               "ConditionExpression": "version = :version",
                               "ExpressionAttributeValues": to_attributes({":version": subscription["version"]})}},
                   *({"Delete": {"TableName": CONTROL.name, "Key": self._key(sort_key)}}
                     for sort_key in copy_sort_keys(Subscription.model_validate(subscription))[1:]),
                   self._count_removal(keys.SUBSCRIPTION_COUNTER_SK, status),
                   self._count_removal(keys.plan_subscription_counter_sk(subscription["plan_id"]), status)]
        if status in CURRENT_STATUSES:
            actions += self._termination_releases(subscription)
        actions.append(setup_change(self.organization_id))  # a cached history may hold it
        try:
            transact(self._client, actions)
        except TransactionCancelled as cancelled:
            raise StaleWrite() from cancelled
        return sum("Delete" in action for action in actions)

    def _termination_releases(self, subscription: dict) -> list[dict]:
        """What terminating a current subscription releases: its external-id lookup, the customer's and the plan's
        `active_subscriptions_count` (the plan at the version read)."""
        plan = self.stores.plans.get(self.organization_id, subscription["plan_id"])
        assert plan is not None  # a plan with a current subscription cannot be deleted
        return [*termination_releases(self.organization_id, subscription["external_id"], subscription["id"],
                                      self.customer_id),
                subscription_count_update(plan, -1)]

    def _count_removal(self, counter_sk: str, counted: str) -> dict:
        """One taken off the `counted` number of a counter item."""
        return {"Update": {"TableName": CONTROL.name, "Key": self._key(counter_sk),
                           "UpdateExpression": "ADD #counted :removed",
                           "ExpressionAttributeNames": {"#counted": counted},
                           "ExpressionAttributeValues": to_attributes({":removed": -1})}}

    def remove_customer(self) -> int:
        """Its webhook, then the customer itself, last: a live one in ONE transaction with its external-id lookup and
        the organization's live count, on condition that no subscription came meanwhile (else StaleWrite); a deleted
        one's copy alone (its lookup went with its deletion, and may name another customer since)."""
        deleted = self._delete_existing([self._webhook("customer.created", self.customer_id)])
        customer = self._get(keys.customer_sk(self.customer_id))
        if customer is None:
            return deleted + self._delete_existing([self._control(keys.deleted_customer_sk(self.customer_id))])
        try:
            transact(self._client, [
                {"Delete": {"TableName": CONTROL.name, "Key": self._key(customer["sk"]),
                            "ConditionExpression": "active_subscriptions_count = :zero",
                            "ExpressionAttributeValues": to_attributes({":zero": 0})}},
                self.stores.customers.external_id_lookup.delete(CONTROL.name, self.organization_id,
                                                                customer["external_id"], self.customer_id),
                self._count_removal(keys.CUSTOMER_COUNTER_SK, "live_count"),
                setup_change(self.organization_id)])
        except TransactionCancelled as cancelled:
            raise StaleWrite() from cancelled
        return deleted + 2

"""Subscriptions in the control table.

The subscription item (by lago_id) has copies under the keys its lists read: by status, by customer and
status, by plan and status, by external id and status (so terminated ones stay findable). Status is part of
those keys, so a status change deletes the old copies and puts the new ones. The current (active or pending)
subscription of an external id has a lookup item that makes the external id unique among current ones.
Per-status counters (the organization's, each plan's) give `total_count` without counting items.

Every write is staged in ONE unit of work (a transaction) with the customer's and the plan's
`active_subscriptions_count` (which block their deletion), conditioned so that nothing is half-written: see
docs/data-model.md. A write that makes a subscription active or terminated puts its `subscription.started` /
`subscription.terminated` webhook in the same transaction (`_status_webhooks`)."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Callable, Iterable, Sequence

from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import ExternalIdTaken
from chalicelib.domain.subscriptions import Change, Subscription
from chalicelib.store import keys
from chalicelib.store.dynamo import ControlTableRepository, from_attributes, number, to_attributes
from chalicelib.store.lookups import Lookup
from chalicelib.store.setup_version import setup_change
from chalicelib.store.tables import CONTROL, CONTROL_BY_BACKFILL, CONTROL_BY_DUE, IndexSpec
from chalicelib.store.unit_of_work import DynamoUnitOfWork, on_dynamodb
from chalicelib.store.webhooks import outbox_put
from chalicelib.usecases.ports import UnitOfWork

EXTERNAL_ID_LOOKUP = Lookup(keys.subscription_external_id_sk, "external_id", "subscription_id")


def copy_sort_keys(subscription: Subscription) -> list[str]:
    """The sort keys of the item and of its copies; the first one is the item by lago_id."""
    status, subscription_id = subscription.status, subscription.id
    return [keys.subscription_sk(subscription_id),
            keys.subscriptions_by_status_prefix(status) + subscription_id,
            keys.customer_subscriptions_prefix(subscription.customer_id, status) + subscription_id,
            keys.plan_subscriptions_prefix(subscription.plan_id, status) + subscription_id,
            keys.external_id_subscriptions_prefix(subscription.external_id, status) + subscription_id]


# The webhook of a subscription entering each status (Lago sends none for pending or canceled).
_ENTERED_STATUS_WEBHOOKS = {"active": "subscription.started", "terminated": "subscription.terminated"}


def _status_webhooks(previous_status: str | None, subscription: Subscription) -> list[dict]:
    """The outbox put of the webhook `subscription` entering its status calls for (none if it was already in it)."""
    webhook_type = _ENTERED_STATUS_WEBHOOKS.get(subscription.status)
    if webhook_type is None or previous_status == subscription.status:
        return []
    return [outbox_put(subscription.organization_id, webhook_type, subscription.id, subscription.updated_at)]


def termination_releases(organization_id: str, external_id: str, subscription_id: str, customer_id: str) -> list[dict]:
    """What a current subscription leaving its external id releases: the external-id lookup (still naming it) and
    the customer's `active_subscriptions_count` (a customer's purge releases them too)."""
    return [EXTERNAL_ID_LOOKUP.delete(CONTROL.name, organization_id, external_id, subscription_id),
            {"Update": {"TableName": CONTROL.name,
                        "Key": to_attributes({"pk": keys.organization_pk(organization_id),
                                              "sk": keys.customer_sk(customer_id)}),
                        "UpdateExpression": "SET active_subscriptions_count = active_subscriptions_count - :one, "
                                            "version = version + :one",
                        "ConditionExpression": "active_subscriptions_count >= :one",
                        "ExpressionAttributeValues": to_attributes({":one": 1})}}]


def _newest_first(items: Iterable[dict]) -> list[dict]:
    return sorted(items, key=lambda item: item["id"], reverse=True)


class SubscriptionRepository(ControlTableRepository):
    # ------------------------------------------------------------------------------------------- reads

    def get(self, organization_id: str, subscription_id: str) -> Subscription | None:
        item = self._get(organization_id, keys.subscription_sk(subscription_id))
        return Subscription.model_validate(item) if item else None

    def find_current(self, organization_id: str, external_id: str) -> Subscription | None:
        """The active or pending subscription of `external_id`."""
        lookup = self._get(organization_id, keys.subscription_external_id_sk(external_id))
        subscription_id = EXTERNAL_ID_LOOKUP.record_id(lookup, external_id)
        return self.get(organization_id, subscription_id) if subscription_id else None

    def find_latest(self, organization_id: str, external_id: str, status: str) -> Subscription | None:
        """The newest subscription of `external_id` in `status` (a terminated or canceled one)."""
        for item in self._newest_first_page(organization_id,
                                            keys.external_id_subscriptions_prefix(external_id, status), 1, 1):
            if item["external_id"] == external_id:  # a hashed key component is checked against the id
                return Subscription.model_validate(item)
        return None

    def list_page(self, organization_id: str, statuses: Iterable[str], page: int, per_page: int,
                  plan_id: str | None = None) -> list[Subscription]:
        """Newest first, across `statuses`: the organization's, or one plan's. Page n reads the n * per_page
        newest of each status (DynamoDB has no offset)."""
        prefixes = [keys.plan_subscriptions_prefix(plan_id, status) if plan_id
                    else keys.subscriptions_by_status_prefix(status) for status in statuses]
        items = _newest_first(item for prefix in prefixes
                              for item in self._newest_first_page(organization_id, prefix, 1, page * per_page))
        return [Subscription.model_validate(item) for item in items[(page - 1) * per_page:page * per_page]]

    def count(self, organization_id: str, statuses: Iterable[str], plan_id: str | None = None) -> int:
        """`total_count` of a list: one read of the organization's or the plan's per-status counter."""
        counter_sk = keys.plan_subscription_counter_sk(plan_id) if plan_id else keys.SUBSCRIPTION_COUNTER_SK
        counter = self._get(organization_id, counter_sk) or {}
        return sum(number(counter.get(status, 0)) for status in statuses)

    def of_customer(self, organization_id: str, customer_id: str, statuses: Iterable[str]) -> list[Subscription]:
        """Every subscription of a customer in `statuses`, newest first, in ONE Query (a customer has few)."""
        return self._in_statuses(organization_id, statuses, keys.customer_subscriptions_root(customer_id),
                                 lambda status: keys.customer_subscriptions_prefix(customer_id, status))

    def history(self, organization_id: str, external_id: str,
                statuses: Iterable[str] = ("active", "terminated")) -> list[Subscription]:
        """Every subscription `external_id` has named in `statuses`, newest first (the aggregator picks the one
        active at an event's timestamp), in ONE Query."""
        subscriptions = self._in_statuses(organization_id, statuses, keys.external_id_subscriptions_root(external_id),
                                          lambda status: keys.external_id_subscriptions_prefix(external_id, status))
        return [subscription for subscription in subscriptions if subscription.external_id == external_id]

    def _in_statuses(self, organization_id: str, statuses: Iterable[str], root: str,
                     prefix_of: Callable[[str], str]) -> list[Subscription]:
        """The copies under `root` in `statuses`: one status read under its own prefix, several under the root (every
        status, the others dropped here), so a read never takes one Query per status nor reads other statuses'
        copies when it asks for one."""
        wanted = set(statuses)
        if len(wanted) == 1:
            return self._under_prefix(organization_id, prefix_of(next(iter(wanted))))
        return [subscription for subscription in self._under_prefix(organization_id, root)
                if subscription.status in wanted]

    def _under_prefix(self, organization_id: str, prefix: str) -> list[Subscription]:
        items = []
        query = {"TableName": self._table, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.organization_pk(organization_id),
                                                             ":prefix": prefix})}
        for response in self._client.get_paginator("query").paginate(**query):
            items.extend(from_attributes(item) for item in response["Items"])
        return [Subscription.model_validate(item) for item in _newest_first(items)]

    # ------------------------------------------------------------------------------------------ writes

    def stage_create(self, unit: UnitOfWork, subscription: Subscription, customer: Customer, currency: str) -> None:
        """Stage a new subscription with: its external-id lookup (the external id must have no current
        subscription, else ExternalIdTaken), the customer's count (the customer must still exist, in `currency` or
        with none, which it then gets) and the status counters. The caller stages the plan's count with it."""
        organization_id = subscription.organization_id
        staged = on_dynamodb(unit)
        staged.add(EXTERNAL_ID_LOOKUP.put(self._table, organization_id, subscription.external_id, subscription.id),
                   refused=ExternalIdTaken)
        staged.add(
            *self._puts(subscription, first_condition="attribute_not_exists(pk)"),
            {"Update": {"TableName": self._table, "Key": self._key(organization_id, keys.customer_sk(customer.id)),
                        "UpdateExpression": "SET currency = if_not_exists(currency, :currency), "
                                            "active_subscriptions_count = active_subscriptions_count + :one, "
                                            "version = version + :one",
                        "ConditionExpression": "attribute_exists(pk) AND "
                                               "(attribute_not_exists(currency) OR currency = :currency)",
                        "ExpressionAttributeValues": to_attributes({":currency": currency, ":one": 1})}},
            *self._counter_updates([(None, subscription)]),
            *_status_webhooks(None, subscription))

    def stage_replace(self, unit: UnitOfWork, previous: Subscription, subscription: Subscription,
                      also: Sequence[Change] = ()) -> None:
        """Stage `previous` (as read: same version) replaced by `subscription`, its copies moved to the new status,
        with the changes `also` lists (a scheduled downgrade's pending subscription canceled with it, or its
        predecessor that no longer switches). When `subscription` stops holding its external id, the lookup is
        freed and the customer's count released (the caller stages the plan's)."""
        released = []
        if previous.holds_external_id and not subscription.holds_external_id:
            released = termination_releases(subscription.organization_id, previous.external_id, previous.id,
                                             subscription.customer_id)
        self._stage(unit, [(previous, subscription), *also], released)

    def replace(self, previous: Subscription, subscription: Subscription, also: Sequence[Change] = ()) -> None:
        """`stage_replace` alone in ONE transaction (StaleWrite if anything changed since it was read)."""
        unit = DynamoUnitOfWork(self._client)
        self.stage_replace(unit, previous, subscription, also)
        unit.commit()

    def stage_change_plan(self, unit: UnitOfWork, previous: Subscription, ended: Subscription,
                          successor: Subscription, pending: Subscription | None = None,
                          also: Sequence[Change] = ()) -> None:
        """Stage a plan change: `previous` (as read) replaced by `ended` (terminated), `successor` created (an
        upgrade) or replacing `pending` (a downgrade's switch) under the same external id, whose lookup moves to it
        (on condition that it still names the old one), the status counters, and the changes `also` lists (a
        scheduled downgrade canceled by an upgrade). The customer keeps its count (one current subscription for
        another); the caller stages the plans' counts."""
        lookup = EXTERNAL_ID_LOOKUP.put(self._table, successor.organization_id, successor.external_id, successor.id)
        lookup["Put"]["ConditionExpression"] = "#record = :old"
        lookup["Put"]["ExpressionAttributeNames"] = {"#record": "subscription_id"}
        lookup["Put"]["ExpressionAttributeValues"] = to_attributes({":old": previous.id})
        self._stage(unit, [(previous, ended), (pending, successor), *also], [lookup])

    def stage_move_pending(self, unit: UnitOfWork, previous: Subscription, moved: Subscription) -> None:
        """Stage a pending subscription on another plan: `previous` (as read) replaced by `moved` and the per-plan
        status counters; the caller stages the plans' counts."""
        self._stage(unit, [(previous, moved)])

    def stage_schedule_downgrade(self, unit: UnitOfWork, previous: Subscription, scheduled: Subscription,
                                 pending: Subscription | None, successor: Subscription) -> None:
        """Stage a downgrade scheduled: `previous` (as read) replaced by `scheduled`, and its pending subscription
        `successor` created, or replacing `pending` (the one an earlier downgrade scheduled), with the pending
        counters. Neither the lookup nor the counts move: the active one holds them until the switch."""
        self._stage(unit, [(previous, scheduled), (pending, successor)])

    def stage_setup_change(self, unit: UnitOfWork, organization_id: str) -> None:
        on_dynamodb(unit).add(setup_change(organization_id))

    def _stage(self, unit: UnitOfWork, changes: Sequence[Change], actions: Sequence[dict] = ()) -> None:
        """Each change's item and copies (a new one, or replacing its earlier self at the version read), `actions`,
        the status counters the changes move, and the webhooks of the statuses they enter."""
        staged = on_dynamodb(unit)
        for before, after in changes:
            staged.add(*(self._replacement(before, after) if before is not None
                         else self._puts(after, first_condition="attribute_not_exists(pk)")))
        staged.add(*actions, *self._counter_updates(changes),
                   *(webhook for before, after in changes
                     for webhook in _status_webhooks(before.status if before else None, after)))

    def _replacement(self, previous: Subscription, subscription: Subscription) -> list[dict]:
        """The actions that replace `previous` (still at its version) by `subscription`: the item and its copies
        put, the copies of a former status deleted."""
        kept = set(copy_sort_keys(subscription))
        return [*self._puts(subscription, first_condition="version = :version", values={":version": previous.version}),
                *({"Delete": {"TableName": self._table, "Key": self._key(subscription.organization_id, sort_key)}}
                  for sort_key in copy_sort_keys(previous) if sort_key not in kept)]

    def due(self, until: datetime) -> list[tuple[str, str, str]]:
        """(organization_id, customer_id, subscription_id) of every subscription (or draft marker) whose next
        billing action is at or before `until`: one Query per partition of `by_due`."""
        return self._entries_until(CONTROL_BY_DUE, keys.due_partition, until)

    def backfill_due(self, until: datetime) -> list[tuple[str, str, str]]:
        """The same, for the subscriptions whose unbilled history has an invoice due at or before `until`
        (`by_backfill`)."""
        return self._entries_until(CONTROL_BY_BACKFILL, keys.backfill_partition, until)

    def _entries_until(self, index: IndexSpec, partition_key: Callable[[int], str],
                       until: datetime) -> list[tuple[str, str, str]]:
        found = []
        for partition in range(keys.DUE_PARTITIONS):
            query = {"TableName": self._table, "IndexName": index.name,
                     "KeyConditionExpression": "#pk = :pk AND #sk <= :until",
                     "ExpressionAttributeNames": {"#pk": index.partition_key, "#sk": index.sort_key},
                     "ExpressionAttributeValues": to_attributes({":pk": partition_key(partition),
                                                                 ":until": keys.iso_due(until) + "~"})}
            for response in self._client.get_paginator("query").paginate(**query):
                for item in response["Items"]:
                    found.append(keys.due_entry(item[index.sort_key]["S"]))
        return found

    def _puts(self, subscription: Subscription, first_condition: str, values: dict | None = None) -> list[dict]:
        """Puts of the item (conditioned) and of its copies."""
        attributes = subscription.model_dump()
        puts = [{"Put": {"TableName": self._table, "Item": to_attributes(
            {"pk": keys.organization_pk(subscription.organization_id), "sk": sort_key, **attributes})}}
            for sort_key in copy_sort_keys(subscription)]
        # The biller's and the backfill's index entries (docs/data-model.md, "The biller's due index"); none for a
        # customer on a test clock, which only its clock's advances bill.
        for due_at, index, partition in ((subscription.next_billing_action_at, CONTROL_BY_DUE, keys.due_pk),
                                         (subscription.next_backfill_at, CONTROL_BY_BACKFILL, keys.backfill_pk)):
            if due_at is not None and subscription.test_clock_id is None:
                puts[0]["Put"]["Item"].update(to_attributes({
                    index.partition_key: partition(subscription.id),
                    index.sort_key: keys.due_sk(keys.iso_due(due_at), subscription.organization_id,
                                                subscription.customer_id, subscription.id)}))
        puts[0]["Put"]["ConditionExpression"] = first_condition
        if values:
            puts[0]["Put"]["ExpressionAttributeValues"] = to_attributes(values)
        return puts

    def _counter_updates(self, changes: Sequence[Change]) -> list[dict]:
        """The organization's and each plan's per-status counters moved by `changes` (a subscription leaving a status
        or a plan: - 1, entering one: + 1), netted per counter: a transaction updates an item at most once."""
        deltas: dict[str, Counter] = defaultdict(Counter)
        for before, after in changes:
            for subscription, delta in ((before, -1), (after, 1)):
                if subscription is not None:
                    for counter_sk in (keys.SUBSCRIPTION_COUNTER_SK,
                                       keys.plan_subscription_counter_sk(subscription.plan_id)):
                        deltas[counter_sk][subscription.status] += delta
        organization_id = changes[0][1].organization_id
        return [self._counter_update(organization_id, counter_sk, moved)
                for counter_sk, counts in deltas.items()
                if (moved := {status: delta for status, delta in counts.items() if delta})]

    def _counter_update(self, organization_id: str, counter_sk: str, deltas: dict[str, int]) -> dict:
        names = {f"#{status}": status for status in deltas}
        expression = "ADD " + ", ".join(f"#{status} :{status}" for status in deltas)
        values = to_attributes({f":{status}": delta for status, delta in deltas.items()})
        return {"Update": {"TableName": self._table, "Key": self._key(organization_id, counter_sk),
                           "UpdateExpression": expression, "ExpressionAttributeNames": names,
                           "ExpressionAttributeValues": values}}

"""What the usage use cases (the stream aggregator, pay-in-advance fees, current usage, rebuild-usage, dead letters)
need from outside, as typing.Protocol ports. The DynamoDB adapters (chalicelib/store) implement them; the handlers
and the CLI hand in `repositories()`. An event's fee transaction is a UnitOfWork in which each store stages its
writes (`stage_*`)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from chalicelib.domain.aggregate_keys import AggregateItem, AggregateKey, StoredAggregate
from chalicelib.domain.aggregations.pay_in_advance import InAdvanceState
from chalicelib.domain.aggregations.unique_count import ActiveValues, CountedValue, ValueWrite
from chalicelib.domain.dead_events import DeadEvent
from chalicelib.domain.events import Event, UnbillableReason
from chalicelib.domain.fees import PayInAdvanceFee
from chalicelib.domain.pricing.groups import PricingGroup
from chalicelib.domain.readers import CustomerReader, MetricReader, OrganizationReader, PlanReader
from chalicelib.domain.subscriptions import Subscription
from chalicelib.domain.webhooks import WebhookType
from chalicelib.usecases.ports import CreditNoteLedger, InvoiceLedger, Transactions, UnitOfWork

Held = TypeVar("Held")


class Revised(NamedTuple, Generic[Held]):
    """What an item holds and its revision (0: absent)."""

    value: Held
    revision: int


class AggregateReader(Protocol):
    def period_aggregates(self, organization_id: str, subscription_id: str, period_start_ms: int
                          ) -> dict[tuple[str, str, PricingGroup], StoredAggregate]: ...
    def stored_values(self, organization_id: str, subscription_id: str, period_start_ms: int | None = None
                      ) -> dict[AggregateKey, dict[str, CountedValue]]: ...
    def all_aggregates(self, organization_id: str, subscription_id: str) -> dict[AggregateKey, AggregateItem]: ...


class UsageStore(AggregateReader, Protocol):
    def applied_events(self, organization_id: str, subscription_id: str, period_start_ms: int) -> int: ...
    def get_aggregate(self, key: AggregateKey) -> AggregateItem | None: ...
    def apply(self, key: AggregateKey, state: Any, *, shard: str, first_sequence: str, last_sequence: str,
              window_start_ms: int, period_end_ms: int, read: AggregateItem | None = None,
              read_done: bool = False, settled_shards: Iterable[str] = ()) -> None:
        """Raises WatermarkConflict when the shard's watermark (or a read aggregate) moved."""
    def counted_values(self, key: AggregateKey, values: Iterable[str]) -> dict[str, Revised[CountedValue]]: ...
    def write_values(self, key: AggregateKey, writes: Mapping[str, ValueWrite]) -> None:
        """Each value as written, its bucket's summary moved by the changes in the same transactions (a value that
        moves nothing alone); raises StaleWrite when a value is no longer at its read revision (that value, and
        those written in one transaction with it, unwritten)."""
    def replace_value(self, key: AggregateKey, value: str, written: CountedValue) -> None: ...
    def replace_summary(self, key: AggregateKey, summary: ActiveValues) -> None: ...
    def replace_aggregate(self, key: AggregateKey, state: Any, *, window_start_ms: int, period_end_ms: int,
                          kept: AggregateItem | None, watermarks: Mapping[str, str] | None = None) -> None:
        """Raises StaleWrite when the aggregate changed since `kept` was read."""


class InAdvanceStore(Protocol):
    def state(self, key: AggregateKey) -> Revised[InAdvanceState]: ...
    def presence(self, key: AggregateKey, value: str) -> Revised[bool]: ...
    def stage_state(self, unit: UnitOfWork, key: AggregateKey, state: InAdvanceState, read_revision: int) -> None: ...
    def stage_presence(self, unit: UnitOfWork, key: AggregateKey, value: str, active: bool,
                       read_revision: int) -> None: ...


class EventWindowReader(Protocol):
    def in_window(self, organization_id: str, external_subscription_id: str, from_ms: int,
                  to_ms: int) -> list[Event]: ...


class EventStore(EventWindowReader, Protocol):
    def stored_images(self, organization_id: str, external_subscription_id: str) -> Iterator[dict[str, Any]]: ...
    def mark_unbillable(self, organization_id: str, transaction_id: str, external_subscription_id: str,
                        timestamp_ms: int, reason: UnbillableReason) -> None: ...


class DeadLetterStore(Protocol):
    def count_failure(self, image: dict[str, Any], reason: str) -> int: ...
    def bury(self, image: dict[str, Any], reason: str, parts: tuple[str, ...] | None, now: datetime) -> None: ...
    def dead_events(self, organization_id: str, external_subscription_id: str | None = None) -> list[DeadEvent]: ...
    def forget(self, dead: DeadEvent) -> None: ...


class SubscriptionHistory(Protocol):
    def history(self, organization_id: str, external_id: str,
                statuses: Iterable[str] = ("active", "terminated")) -> list[Subscription]: ...


class ShardLineage(Protocol):
    def ancestors(self, stream_arn: str, shard_id: str) -> tuple[str, ...]: ...


class FeeStore(Protocol):
    def stage_create(self, unit: UnitOfWork, fee: PayInAdvanceFee) -> None:
        """Refused with FeeAlreadyCreated when the fee exists."""


class DraftRefreshes(Protocol):
    def request_refresh(self, organization_id: str, customer_id: str, invoice_id: str, due_at: datetime) -> bool: ...


class Outbox(Protocol):
    def stage_webhook(self, unit: UnitOfWork, organization_id: str, webhook_type: WebhookType, object_id: str,
                      now: datetime) -> None: ...


class UsageReaders(Protocol):
    """What reading a period's usage needs (current usage, the biller, a draft's refresh)."""

    @property
    def usage(self) -> AggregateReader: ...
    @property
    def events(self) -> EventWindowReader: ...
    @property
    def subscriptions(self) -> SubscriptionHistory: ...
    @property
    def plans(self) -> PlanReader: ...


class UsageInvoices(DraftRefreshes, InvoiceLedger, Protocol):
    """The drafts the aggregator asks to refresh, and the ledger a pay-in-advance fee's invoice is issued in."""


class UsageStores(UsageReaders, Transactions, Protocol):
    """Every store the usage use cases read or write (the invoices and credit notes through `InvoiceIssuing`)."""

    @property
    def usage(self) -> UsageStore: ...
    @property
    def in_advance(self) -> InAdvanceStore: ...
    @property
    def events(self) -> EventStore: ...
    @property
    def dead_letters(self) -> DeadLetterStore: ...
    @property
    def stream_lineage(self) -> ShardLineage: ...
    @property
    def billable_metrics(self) -> MetricReader: ...
    @property
    def customers(self) -> CustomerReader: ...
    @property
    def organizations(self) -> OrganizationReader: ...
    @property
    def fees(self) -> FeeStore: ...
    @property
    def invoices(self) -> UsageInvoices: ...
    @property
    def credit_notes(self) -> CreditNoteLedger: ...
    @property
    def webhooks(self) -> Outbox: ...

    def is_transient_failure(self, error: Exception) -> bool:
        """Whether a failed store call may succeed when retried (throttling, a lost race)."""
        ...

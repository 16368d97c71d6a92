"""The usage of one charges period priced: what current usage shows and what the biller will invoice
(invariant 3: one pricing path for both). Pure: it reads stored aggregate states, never events.

`price_period_usage` takes the plan, its metrics, the charges window, the stored aggregation state of each
(charge, bucket, pricing group) — bucket `None` is the default one, an int the index of a charge filter; the group
`()` unless the bucket has `pricing_group_keys` — the currency and the vat rate, and gives every charge (zero usage
included) with its buckets, amounts and taxes.
Rules and departures: docs/api-coverage.md (Current usage)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TypeGuard

from chalicelib.domain.aggregations.arithmetic import exact_sum, round_units
from chalicelib.domain.aggregations.base import NO_USAGE, AggregationResult
from chalicelib.domain.aggregations.registry import AggregateState, aggregation_for
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.windows import Window, from_epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.billing_context import BillingContext, billing_context, charges_window
from chalicelib.domain.money import amount_cents
from chalicelib.domain.periods import BillingTerms, Period, current_usage_window, local_day
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.pricing.charge_models import charge_amount
from chalicelib.domain.pricing.groups import UNGROUPED, PricingGroup, empty_group, is_group_of
from chalicelib.domain.pricing.percentage import PercentageProperties
from chalicelib.domain.pricing.properties import ChargeProperties
from chalicelib.domain.pricing.transactions import TransactionValues
from chalicelib.domain.pricing.usage import Usage
from chalicelib.domain.subscriptions import Subscription
from chalicelib.domain.taxes import taxes_amount_cents

# (charge lago_id, bucket, pricing group): bucket None is the default bucket, an int the charge filter's index; the
# group `UNGROUPED` unless the bucket has `pricing_group_keys` (chalicelib/domain/pricing/groups.py).
BucketKey = tuple[str, int | None, PricingGroup]
# The period key of a subscription's "before start" aggregates: what a recurring sum's events before the
# subscription started add up to (they open its first period; lago-semantics §1.1).
BEFORE_START_PERIOD_MS = 0


def unique_count_values_period_ms(recurring: bool, period_start_ms: int) -> int:
    """The period a unique-count value's operations are stored under: a metered metric's window reads only its own
    period, so each period keeps its own values (reading them never grows with the subscription's age); a
    recurring one reads every operation before the window's end, so it keeps one history per subscription, under
    `BEFORE_START_PERIOD_MS`."""
    return BEFORE_START_PERIOD_MS if recurring else period_start_ms


@dataclass(frozen=True)
class BucketUsage:
    """One filter bucket of a charge priced, or one pricing group of it. `filter_index` None is the default
    bucket."""

    filter_index: int | None
    units: Decimal
    total_aggregated_units: Decimal
    events_count: int
    amount: Decimal
    amount_cents: int
    group: PricingGroup = UNGROUPED

    @property
    def empty(self) -> bool:
        """Lago does not persist a fee with no units, no amount and no event (current usage still lists a bucket
        with one; a grouped bucket's empty groups only when it has no other)."""
        return self.units == 0 and self.amount_cents == 0 and self.events_count == 0


@dataclass(frozen=True)
class UsageTotals:
    """What Lago sums over the fees of a charge, of a filter or of a pricing group: each fee rounded on its own,
    as on an invoice."""

    units: Decimal
    total_aggregated_units: Decimal
    events_count: int
    amount_cents: int

    @classmethod
    def of(cls, buckets: Iterable[BucketUsage]) -> "UsageTotals":
        buckets = tuple(buckets)
        return cls(exact_sum(bucket.units for bucket in buckets),
                   exact_sum(bucket.total_aggregated_units for bucket in buckets),
                   sum(bucket.events_count for bucket in buckets), sum(bucket.amount_cents for bucket in buckets))


@dataclass(frozen=True)
class ChargeUsage:
    """A charge's usage in the period: its buckets (the filters in the charge's order, then the default
    bucket; a grouped bucket once per pricing group) and their amount. `filtered` tells whether the charge has
    filters (Lago lists buckets only then)."""

    charge: Charge
    metric: BillableMetric
    buckets: tuple[BucketUsage, ...]

    @property
    def filtered(self) -> bool:
        return bool(self.charge.filters)

    @property
    def totals(self) -> UsageTotals:
        return UsageTotals.of(self.buckets)

    def filter_totals(self, buckets: Iterable[BucketUsage]) -> dict[int | None, UsageTotals]:
        """The totals of each filter bucket among `buckets` (its pricing groups summed), in their order: the
        charge's filters, then the default bucket (None)."""
        by_filter: dict[int | None, list[BucketUsage]] = {}
        for bucket in buckets:
            by_filter.setdefault(bucket.filter_index, []).append(bucket)
        return {index: UsageTotals.of(filtered) for index, filtered in by_filter.items()}

    @property
    def grouped(self) -> bool:
        """Whether a bucket is priced per pricing group (Lago lists `grouped_usage` only then)."""
        return any(bucket.group != UNGROUPED for bucket in self.buckets)

    @property
    def amount_cents(self) -> int:
        return self.totals.amount_cents


@dataclass(frozen=True)
class PeriodUsage:
    currency: str
    charges: tuple[ChargeUsage, ...]
    taxes_amount_cents: int

    @property
    def amount_cents(self) -> int:
        return sum(charge.amount_cents for charge in self.charges)

    @property
    def total_amount_cents(self) -> int:
        return self.amount_cents + self.taxes_amount_cents


@dataclass(frozen=True)
class UsagePeriod:
    """The charges period in progress: its billing context (`period` the full one, whose start keys the stored
    aggregates; `window` what aggregations read) and `shown`, the part shown (from the subscription's start
    instant to the period's end)."""

    context: BillingContext
    shown: Period

    @property
    def period(self) -> Period:
        return self.context.period

    @property
    def window(self) -> Window:
        if self.context.window is None:
            raise ValueError(f"the period {self.period} bills nothing")
        return self.context.window

    @property
    def timezone(self) -> str:
        return self.context.terms.timezone

    @property
    def issuing_date(self) -> date:
        """The last local day of the period (lago-semantics §7: 2022-03-31 for March). The OpenAPI example shows
        the day after (the billing day); the semantics notes win where the two disagree."""
        return local_day(self.shown.last_second, self.timezone)


def current_usage_period(subscription: Subscription, plan: Plan, timezone: str, now: datetime) -> UsagePeriod:
    """The charges period of an active subscription containing `now` (never before its start)."""
    moment = max(now, subscription.billing_started_at)
    context = billing_context(subscription, plan, timezone, moment)
    return UsagePeriod(context, current_usage_window(context.terms, moment))


def recurring_openings(plan: Plan, metrics: Mapping[str, BillableMetric], terms: BillingTerms,
                       earlier_states: Mapping[int, Mapping[BucketKey, AggregateState]],
                       carried: Mapping[BucketKey, AggregationResult] | None = None
                       ) -> dict[BucketKey, AggregationResult]:
    """What each bucket of a recurring metric opens the next period with: the earlier periods' states (by the
    period's start in ms) folded in order, each period opening with the previous one's result, the first with
    what the external id's earlier subscriptions `carried` plus the sum of the events before the subscription
    started (`BEFORE_START_PERIOD_MS`). A period without a stored state for a bucket carries its opening
    unchanged (no event: the total stays)."""
    openings: dict[BucketKey, AggregationResult] = dict(carried or {})
    for period_start_ms in sorted(earlier_states):
        states = earlier_states[period_start_ms]
        if period_start_ms == BEFORE_START_PERIOD_MS:
            for key, state in states.items():
                if isinstance(state, Totals):
                    before = openings.get(key, NO_USAGE)
                    openings[key] = AggregationResult.of(before.total_aggregated_units + state.total,
                                                         before.events_count + state.events_count)
            continue
        window = None
        for charge in plan.charges:
            metric = metrics[charge.billable_metric_id]
            if not metric.recurring:
                continue
            aggregation = aggregation_for(metric.aggregation_type, metric.field_name, recurring=True,
                                          prorated=charge.prorated)
            for key, state in states.items():
                if key[0] != charge.id:
                    continue
                if window is None:
                    window = charges_window(terms, terms.charges_periods.period_at(from_epoch_ms(period_start_ms)))
                opening = aggregation.opening_state(openings.get(key, NO_USAGE), window)
                openings[key] = aggregation.result(aggregation.combine(state, opening), window)
    return openings


def needs_event_values(properties: ChargeProperties) -> TypeGuard[PercentageProperties]:
    """Whether pricing reads each event's value (percentage free allowances and per-transaction bounds),
    which no aggregate holds."""
    return isinstance(properties, PercentageProperties) and any(
        value is not None for value in (properties.free_units_per_events, properties.free_units_per_total_aggregation,
                                        properties.per_transaction_min_amount,
                                        properties.per_transaction_max_amount))


def _bucket(charge: Charge, metric: BillableMetric, index: int | None, window: Window, state: AggregateState | None,
            opening: AggregationResult, values: TransactionValues | None, currency: str) -> BucketUsage:
    properties = charge.bucket_properties(index)
    if values is None and state is not None and needs_event_values(properties):
        raise ValueError(f"charge {charge.id}: a percentage bucket priced from its events' values needs them")
    aggregation = aggregation_for(metric.aggregation_type, metric.field_name, recurring=metric.recurring,
                                  prorated=charge.prorated)
    if state is None:
        state = aggregation.empty
    result = aggregation.result(aggregation.combine(state, aggregation.opening_state(opening, window)), window)
    units = round_units(result.units, metric.rounding_function, metric.rounding_precision)
    values = values or TransactionValues()
    # Lago rounds a prorated charge's full units as it rounds its units.
    full_units = (round_units(result.total_aggregated_units, metric.rounding_function, metric.rounding_precision)
                  if charge.prorated else None)
    amount = charge_amount(charge.charge_model, properties,
                           Usage(units, result.events_count, values.values, full_units, values.later_amount))
    return BucketUsage(index, units, result.total_aggregated_units, result.events_count, amount,
                       amount_cents(amount, currency))


def priced_groups(charge: Charge, index: int | None, found: Iterable[PricingGroup]) -> list[BucketKey]:
    """The keys a bucket is priced under: one per pricing group `found` with usage that belongs to the bucket's
    keys now (in the order of their values), or, without any, its empty group (an ungrouped bucket's only one;
    Lago shows a grouped bucket's with every key null)."""
    group_keys = charge.group_keys(index)
    groups = {group for group in found if is_group_of(group, group_keys)}
    ordered = sorted(groups, key=lambda group: [(value is not None, value or "") for _, value in group])
    return [(charge.id, index, group) for group in ordered or [empty_group(group_keys)]]


def shown_groups(buckets: list[BucketUsage], empty: BucketUsage) -> list[BucketUsage]:
    """A grouped bucket's groups as Lago lists them: those whose fee is not empty (a unique count's values all
    removed leave one empty), or, when none is left, `empty`, the bucket's group with every key null."""
    return [bucket for bucket in buckets if not bucket.empty] or [empty]


def price_period_usage(plan: Plan, metrics: Mapping[str, BillableMetric], window: Window,
                       states: Mapping[BucketKey, AggregateState], currency: str, vat_rate: Decimal | None, *,
                       opening: Mapping[BucketKey, AggregationResult] | None = None,
                       event_values: Mapping[BucketKey, TransactionValues] | None = None) -> PeriodUsage:
    """The period's usage of every charge of `plan`, priced.

    - `metrics`: the plan's metrics by lago_id. `states`: the stored aggregation state of each bucket that
      has one (a missing bucket had no event: zero usage). `opening`: the previous period's result of a
      recurring metric's bucket (NO_USAGE when absent).
    - `event_values`: what percentage buckets with free allowances or per-transaction bounds read of their
      events' values (`period_usage.bucket_event_values`); such a bucket without it is a programming error.
    - Each bucket is priced with `charge_amount` (the default bucket with the charge's properties, a filter's
      with its own) and rounded half-up to whole minor units; `taxes_amount_cents` is `vat_rate` on the sum
      of those amounts, rounded once. Min-amount true-ups are an invoice's fee, not usage (as Lago).
    - Charges are ordered by metric name, case-insensitively (Lago's order); ties keep the plan's order."""
    opening = opening or {}
    event_values = event_values or {}
    found: dict[tuple[str, int | None], set[PricingGroup]] = defaultdict(set)
    for charge_id, index, group in (*states, *opening, *event_values):
        found[(charge_id, index)].add(group)
    priced = []
    for charge in plan.charges:
        metric = metrics[charge.billable_metric_id]
        indexes: list[int | None] = [*range(len(charge.filters)), None]
        buckets: list[BucketUsage] = []
        for index in indexes:
            groups = [replace(_bucket(charge, metric, index, window, states.get(key), opening.get(key, NO_USAGE),
                                      event_values.get(key), currency), group=key[2])
                      for key in priced_groups(charge, index, found.get((charge.id, index), ()))]
            if charge.group_keys(index):  # the empty group has no event: no event values either
                empty = replace(_bucket(charge, metric, index, window, None, NO_USAGE, None, currency),
                                group=empty_group(charge.group_keys(index)))
                groups = shown_groups(groups, empty)
            buckets.extend(groups)
        priced.append(ChargeUsage(charge, metric, tuple(buckets)))
    priced.sort(key=lambda usage: usage.metric.name.casefold())
    taxes = taxes_amount_cents([charge.amount_cents for charge in priced], vat_rate)
    return PeriodUsage(currency, tuple(priced), taxes)

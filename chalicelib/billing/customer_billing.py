"""Bill one customer up to `now`: activate and end its subscriptions when their time comes, issue each invoice
they owe, in time order, one per billing day and group (the day's periodic shares together; an upgrade's final and
starting shares together; any other start or termination on its own), and finalize its drafts when their grace
period ends. A backfill also bills what their unbilled history owes up to `now` (docs/billing-over-time.md). Every
invoice is ONE transaction with the customer's invoice sequence (or, a draft, its marker) and the subscriptions it
advances, so a rerun, a concurrent biller or a crash between two runs never bills a period twice nor leaves a gap in
the numbers (docs/operations.md)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Literal

from chalicelib.billing.drafts import Drafts
from chalicelib.billing.plan_change import billed_plan
from chalicelib.billing.ports import BillingStores
from chalicelib.billing.readiness import unapplied_events
from chalicelib.billing.termination_credit import credit_for_termination
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.billing_context import subscription_terms
from chalicelib.domain.billing_steps import (
    INVOICING_STEPS,
    BillingStep,
    activated,
    after_empty_start,
    after_invoice,
    billed_charges_period,
    next_backfill_step,
    next_step,
)
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import InvoiceAlreadyIssued, StaleWrite
from chalicelib.domain.invoices.invoice import Invoice, build_invoice, invoice_id
from chalicelib.domain.invoices.numbering import draft_invoice_number
from chalicelib.domain.invoices.shares import SubscriptionShare, periodic_share, starting_share, termination_share
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription, switched_downgrade, terminated_subscription
from chalicelib.observability import CUSTOMERS_NOT_BILLED, count, failure_reason, logger
from chalicelib.usage.period_usage import stored_usage
from chalicelib.usecases.issuing import MAX_CREDIT_NOTES_PER_INVOICE, InvoiceIssuing
from chalicelib.usecases.subscriptions import downgrade_canceled, scheduled_pending

# Each step issues one invoice or moves one subscription; a customer years behind still ends in bounded work per
# run (the next run goes on where this one stopped).
MAX_STEPS = 100
# Steps of different subscriptions at one instant: lifecycle first, then the invoices; on an upgrade's invoice the old
# subscription's final share before its successor's start (as Lago lists them).
CROSS_SUBSCRIPTION_ORDER = {"activate": 0, "terminate": 0, "downgrade": 0, "final": 1, "periodic": 2, "starting": 3}


class Waiting(Enum):
    """An invoice not issued yet: its usage is still being aggregated."""

    WAITING = "waiting"


WAITING = Waiting.WAITING
# A subscription takes 5 of a transaction's 100 actions (the item and its copies); the invoice 5 (item, list
# entries, sequence or draft marker, webhook), the credit notes it consumes up to 2 each: past 17 shares of one day,
# the customer gets one more invoice per 17, each named after its first subscription (docs/data-model.md).
MAX_SHARES_PER_INVOICE = (100 - 5 - 2 * MAX_CREDIT_NOTES_PER_INVOICE) // 5
_STATUSES = ("pending", "active", "terminated")


@dataclass
class CustomerBilled:
    """What one call billed: the invoices it issued or finalized (one a concurrent run issued first is not among
    them), and how it ended: nothing left due by its `now` (`done`), usage still being aggregated (`waiting`: a
    later run goes on), or its step budget spent with more due (`more`: call again)."""

    invoices: list[Invoice] = field(default_factory=list)
    outcome: Literal["done", "waiting", "more"] = "done"

    @property
    def invoices_count(self) -> int:
        """How many invoices it issued or finalized: a draft issued and finalized in one call counts once."""
        return len({invoice.id for invoice in self.invoices})


def _due_steps(subscriptions: list[Subscription], now: datetime, backfill: bool) -> list[BillingStep]:
    """Each subscription's next step due by `now`, and with `backfill` its history's next one."""
    candidates = [next_step(subscription) for subscription in subscriptions]
    if backfill:
        candidates += [next_backfill_step(subscription) for subscription in subscriptions]
    return [step for step in candidates if step is not None and step.at <= now]


class CustomerBilling:
    """Billing one customer at a time on the billing stores: what the hourly biller, its workers, a test clock's
    advance, an API change billed at once and the operator's runs each call."""

    def __init__(self, stores: BillingStores):
        self._stores = stores
        self._drafts = Drafts(stores)
        self._issuing = InvoiceIssuing(stores.invoices, stores.credit_notes)

    def bill(self, organization_id: str, customer_id: str, now: datetime, *, backfill: bool = False) -> CustomerBilled:
        """Bill the customer up to `now`; with `backfill`, its subscriptions' unbilled history too."""
        stores = self._stores
        billed = CustomerBilled()
        issued = billed.invoices
        customer = stores.customers.get_any(organization_id, customer_id)
        organization = stores.organizations.get(organization_id)
        if customer is None or organization is None:
            return billed
        timezone = customer.applicable_timezone(organization.timezone)
        for _ in range(MAX_STEPS):
            steps = _due_steps(stores.subscriptions.of_customer(organization_id, customer_id, _STATUSES), now,
                               backfill)
            pending = stores.invoices.drafts_of(organization_id, customer_id)
            # A draft whose periods got late events shows them before its grace period ends.
            stale = next((draft for draft in pending if draft.refresh_requests and draft.finalize_at > now), None)
            draft = min((draft for draft in pending if draft.finalize_at <= now),
                        key=lambda draft: (draft.finalize_at, draft.invoice.id), default=None)
            first = min(steps, key=lambda step: (step.at, CROSS_SUBSCRIPTION_ORDER[step.kind]), default=None)
            if stale is None and draft is None and first is None:
                return billed
            try:
                if stale is not None:
                    unit = stores.unit_of_work()
                    stores.invoices.stage_refreshed(unit, stale)
                    self._drafts.refresh(unit, stale.invoice, timezone, now)
                elif draft is not None and (first is None or draft.finalize_at <= first.at):  # older invoices first
                    finalized = self._drafts.finalize(customer, draft.invoice, timezone, now)
                    if finalized is None:
                        logger.info("draft not finalized yet: events still to aggregate",
                                    extra={"invoice_id": draft.invoice.id})
                        billed.outcome = "waiting"
                        return billed
                    issued.append(finalized)
                elif first is not None:
                    invoice = self._run_step(customer, organization, timezone, steps, first, now)
                    if invoice is WAITING:
                        billed.outcome = "waiting"  # usage not all applied yet: the next run tries again
                        return billed
                    if invoice is not None:
                        issued.append(invoice)
            except (StaleWrite, InvoiceAlreadyIssued):
                continue  # another request or biller moved first: read again
        logger.warning("customer billing stopped after its step budget", extra={"customer_id": customer_id})
        billed.outcome = "more"
        return billed

    def bill_isolated(self, organization_id: str, customer_id: str, now: datetime, *,
                      backfill: bool = False) -> CustomerBilled | None:
        """`bill`, with its failure logged and contained (None): one customer the biller cannot bill (a bug, a plan
        it cannot price) never stops the others; it stays due, so every run tries it again."""
        try:
            return self.bill(organization_id, customer_id, now, backfill=backfill)
        except Exception as error:  # noqa: BLE001 - contained per customer, logged with its id; retried by the next run
            logger.exception("customer not billed; the next run retries", extra={"organization_id": organization_id,
                                                                                 "customer_id": customer_id})
            self._record_failure(organization_id, customer_id, failure_reason(error), now)
            return None

    def bill_now(self, organization_id: str, customer_id: str, now: datetime) -> None:
        """Billing at once after an API change at `now` (a start, a termination). The change is already stored: a
        failure here is logged and left to the hourly biller, which finds the same work due, never an error for the
        client."""
        self.bill_isolated(organization_id, customer_id, now)

    def next_due_at(self, organization_id: str, customer_id: str, now: datetime) -> datetime | None:
        """When `bill` next has something to do for the customer, read strongly consistent: its subscriptions' next
        steps, its drafts' finalizations, and `now` for a draft that asks for a refresh. None: nothing, ever, until a
        request changes something."""
        stores = self._stores
        instants = [step.at for step in map(next_step, stores.subscriptions.of_customer(
            organization_id, customer_id, _STATUSES)) if step is not None]
        instants += [min(now, draft.finalize_at) if draft.refresh_requests else draft.finalize_at
                     for draft in stores.invoices.drafts_of(organization_id, customer_id)]
        return min(instants, default=None)

    def _record_failure(self, organization_id: str, customer_id: str, reason: str, now: datetime) -> None:
        """Make the failure visible: the customer's billing-failure record (listed by `billing-failures`) and the
        CustomersNotBilled metric. Best effort: the log line above already names it."""
        count(CUSTOMERS_NOT_BILLED)
        try:
            self._stores.billing_failures.record(organization_id, customer_id, reason, now)
        except Exception:  # noqa: BLE001
            logger.exception("billing failure not recorded", extra={"customer_id": customer_id})

    def _run_step(self, customer: Customer, organization: Organization, timezone: str, steps: list[BillingStep],
                  first: BillingStep, now: datetime) -> Invoice | Waiting | None:
        """The earliest due step run: a subscription's activation, termination or downgrade, or the invoice of its
        day (with the other subscriptions' shares of that day)."""
        if first.kind == "activate":
            self._activate(first, timezone, now)
        elif first.kind == "terminate":
            self._terminate(first.subscription, first.at)
        elif first.kind == "downgrade":
            self._switch_plan(first.subscription, timezone, now)
        else:
            day = sorted((step for step in steps if step.kind in INVOICING_STEPS
                          and step.issuing_date(timezone) == first.issuing_date(timezone)
                          and step.invoice_group() == first.invoice_group()),
                         key=lambda step: (CROSS_SUBSCRIPTION_ORDER[step.kind], step.subscription.id))
            group = first.invoice_group()
            # One transaction holds 100 actions (docs/data-model.md). A backfilled day is named after its first
            # subscription: another subscription's history of the same day, backfilled later, is another invoice.
            if len(day) > MAX_SHARES_PER_INVOICE or (first.backfill and first.kind == "periodic"):
                day, group = day[:MAX_SHARES_PER_INVOICE], f"{group}/{day[0].subscription.id}"
            return self._invoice(customer, organization, timezone, day, group, now)
        return None

    def _plan(self, subscription: Subscription) -> Plan:
        plan = self._stores.plans.get_any(subscription.organization_id, subscription.plan_id)
        assert plan is not None  # a plan stays stored while a subscription names it
        return plan

    def _activate(self, step: BillingStep, timezone: str, now: datetime) -> None:
        subscription = step.subscription
        self._stores.subscriptions.replace(subscription,
                                           activated(subscription, self._plan(subscription), timezone, now))

    def _terminate(self, subscription: Subscription, ending_at: datetime) -> None:
        stores = self._stores
        plan = self._plan(subscription)
        # Terminated at ending_at, as Lago (its day billed); the aggregator bills no event after it (routing.active_at).
        ended = terminated_subscription(subscription, ending_at)
        unit = stores.unit_of_work()
        stores.plans.stage_subscription_count(unit, plan, -1)
        stores.subscriptions.stage_replace(unit, subscription, ended,
                                           also=downgrade_canceled(stores.subscriptions, subscription, ending_at))
        unit.commit()

    def _switch_plan(self, subscription: Subscription, timezone: str, now: datetime) -> None:
        """A scheduled downgrade's switch, in ONE transaction: the subscription ends the second before `downgrade_at`
        (its final invoice bills its last period), and its successor starts then on the new plan."""
        stores = self._stores
        assert subscription.next_plan_id is not None  # a scheduled downgrade names its plan
        current_plan = self._plan(subscription)
        next_plan = stores.plans.get_any(subscription.organization_id, subscription.next_plan_id)
        pending = scheduled_pending(stores.subscriptions, subscription)
        assert next_plan is not None and pending is not None  # stored with the schedule
        ended, successor = switched_downgrade(subscription, pending, next_plan, timezone, now)
        unit = stores.unit_of_work()
        stores.plans.stage_subscription_count(unit, current_plan, -1)
        stores.plans.stage_subscription_count(unit, next_plan, 1)
        stores.subscriptions.stage_change_plan(unit, subscription, ended, successor, pending=pending)
        unit.commit()

    def _invoice(self, customer: Customer, organization: Organization, timezone: str, steps: list[BillingStep],
                 group: str, now: datetime) -> Invoice | Waiting | None:
        """The invoice of `steps` issued (a draft through the customer's grace period); WAITING while their usage is
        not all applied. A start that bills nothing (a pay-in-advance plan in its trial: Lago bills nothing then) is
        done without a share, and alone it issues nothing (None). A final share of a pay-in-advance plan brings the
        credit note of its unused days, created in the same transaction: the invoice finalized with it (an
        upgrade's, holding the new plan's start) consumes it at once."""
        stores = self._stores
        organization_id = customer.organization_id
        grace_days = customer.applicable_invoice_grace_period(organization.invoice_grace_period)
        first = steps[0]
        issuing_date = first.issuing_date(timezone)
        invoice = invoice_id(organization_id, customer.id, issuing_date, group)
        shares: list[tuple[Subscription, SubscriptionShare]] = []
        advanced: list[tuple[Subscription, Subscription]] = []
        credit_notes = []
        currency = None
        for step in steps:
            subscription = step.subscription
            plan = self._plan(subscription)
            metrics = stores.billable_metrics.get_many(organization_id, plan.billable_metric_ids())
            share = self._share(step, plan, metrics, timezone)
            if share is None:
                return WAITING
            if step.kind == "starting" and not share.fees:
                advanced.append((subscription, after_empty_start(
                    step, plan, timezone, now, initial_started_at=self._initial_started_at(subscription))))
                continue
            shares.append((subscription, share))
            advanced.append((subscription, after_invoice(step, plan, timezone, now,
                                                         draft_invoice_id=invoice if grace_days > 0 else None)))
            if step.kind == "final" and (note := credit_for_termination(stores, subscription, plan, timezone, now)):
                credit_notes.append(note)
            currency = plan.amount_currency
        if not shares:  # only a start that bills nothing: a group of one
            (previous, started), = advanced
            stores.subscriptions.replace(previous, started)
            return None
        assert currency is not None  # set by each share
        unit = stores.unit_of_work()
        for previous, subscription in advanced:
            stores.subscriptions.stage_replace(unit, previous, subscription)
        draft = build_invoice(
            invoice=invoice, organization_id=organization_id,
            customer_id=customer.id, draft_number=draft_invoice_number(organization.document_number_prefix),
            issuing_date=issuing_date, currency=currency, vat_rate=customer.applicable_vat_rate(organization.vat_rate),
            shares=shares, now=now)
        issued = self._issuing.issue(unit, customer, draft, grace_days=grace_days, timezone=timezone, now=now,
                                     new_credit_notes=credit_notes)
        logger.info("invoice issued", extra={"invoice_id": issued.id, "number": issued.number,
                                             "status": issued.status})
        return issued

    def _initial_started_at(self, subscription: Subscription) -> datetime:
        """The first start of the subscription's external id: a trial counts from it."""
        return min(earlier.started_at for earlier in self._stores.subscriptions.history(
            subscription.organization_id, subscription.external_id) + [subscription] if earlier.started_at)

    def _log_waiting(self, subscription: Subscription, unapplied: int) -> None:
        """Why a period is not invoiced yet: events the aggregator has still to apply, or, for as long as one of them
        is set aside as a dead letter, that it waits for the operator's replay."""
        dead = self._stores.dead_letters.dead_events(subscription.organization_id, subscription.external_id)
        if dead:
            logger.error("period not invoiced: usage pending, an event is a dead letter (replay-dead-events)",
                         extra={"subscription_id": subscription.id, "unapplied_events": unapplied,
                                "dead_lettered_events": len(dead)})
        else:
            logger.info("period not invoiced yet: events still to aggregate",
                        extra={"subscription_id": subscription.id, "unapplied_events": unapplied})

    def _share(self, step: BillingStep, plan: Plan, metrics: Mapping[str, BillableMetric],
               timezone: str) -> SubscriptionShare | None:
        """The step's share, or None while events stored for its charges window are not all applied."""
        stores = self._stores
        subscription = step.subscription
        initial_started_at = self._initial_started_at(subscription)
        if step.kind == "starting":
            return starting_share(subscription, plan, timezone, initial_started_at=initial_started_at,
                                  billing_at=step.at)
        terms = subscription_terms(subscription, plan, timezone)
        period = billed_charges_period(step, terms)
        waiting = unapplied_events(stores, subscription, terms, period)
        if waiting:
            self._log_waiting(subscription, waiting)
            return None
        usage = stored_usage(stores, subscription, plan, metrics, terms, period)
        if step.kind == "periodic":
            return periodic_share(subscription, plan, metrics, terms, step.at, usage,
                                  initial_started_at=initial_started_at)
        return termination_share(subscription, billed_plan(stores, subscription, plan, metrics, period), metrics,
                                 terms, usage, initial_started_at=initial_started_at)

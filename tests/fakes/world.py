"""Every faked port in one in-memory world, under the names of `Repositories` (chalicelib/store/repositories.py), so a
use case that takes the repositories (the stream aggregator with its pay-in-advance fees, rebuild-usage, the biller,
a draft's refresh and finalization, a webhook's delivery) runs on it. Not faked: `purge_customer`."""
from __future__ import annotations

from fakes.billing import InMemoryBillingFailures, InMemoryBillingInvoices, InMemoryCreditNotes
from fakes.control_plane import FixedClock, InMemoryControlPlane
from fakes.usage import (
    InMemoryDeadLetters,
    InMemoryEventStore,
    InMemoryFees,
    InMemoryInAdvance,
    InMemoryShardLineage,
    InMemoryUsage,
)

from chalicelib.domain.errors import Contention


class InMemoryRepositories(InMemoryControlPlane):
    """The control plane's fakes with the data plane's: events and invoices extended with their data-plane reads and
    writes (the invoices' webhooks queued in the control plane's outbox), the drafts' markers on the subscriptions'
    due index."""

    def __init__(self, clock: FixedClock):
        super().__init__(clock)
        self.events: InMemoryEventStore = InMemoryEventStore()
        self.invoices: InMemoryBillingInvoices = InMemoryBillingInvoices(self.webhooks)
        self.subscriptions.due_drafts = self.invoices.due_markers
        self.credit_notes = InMemoryCreditNotes()
        self.fees = InMemoryFees()
        self.in_advance = InMemoryInAdvance()
        self.usage = InMemoryUsage()
        self.dead_letters = InMemoryDeadLetters()
        self.billing_failures = InMemoryBillingFailures()
        self.stream_lineage = InMemoryShardLineage()

    @staticmethod
    def is_transient_failure(error: Exception) -> bool:
        """Only a lost race: nothing in memory is throttled or unreachable."""
        return isinstance(error, Contention)

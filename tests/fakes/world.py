"""Every faked port in one in-memory world, under the names of `Repositories` (chalicelib/store/repositories.py), so a
use case that takes the repositories (the stream aggregator, rebuild-usage, the biller's reads) runs on it. The
writes of a transaction (pay-in-advance fees, issued invoices, credit notes, the outbox) are not faked: a use case
that reaches them fails on the missing attribute."""
from __future__ import annotations

from fakes.billing import InMemoryBillingFailures, InMemoryDraftInvoices
from fakes.control_plane import FixedClock, InMemoryControlPlane
from fakes.usage import InMemoryDeadLetters, InMemoryEventStore, InMemoryShardLineage, InMemoryUsage

from chalicelib.domain.errors import Contention


class InMemoryRepositories(InMemoryControlPlane):
    """The control plane's fakes with the data plane's: events and invoices extended with their data-plane reads,
    and the drafts' markers on the subscriptions' due index."""

    def __init__(self, clock: FixedClock):
        super().__init__(clock)
        self.events: InMemoryEventStore = InMemoryEventStore()
        self.invoices: InMemoryDraftInvoices = InMemoryDraftInvoices()
        self.subscriptions.due_drafts = self.invoices.due_markers
        self.usage = InMemoryUsage()
        self.dead_letters = InMemoryDeadLetters()
        self.billing_failures = InMemoryBillingFailures()
        self.stream_lineage = InMemoryShardLineage()

    @staticmethod
    def is_transient_failure(error: Exception) -> bool:
        """Only a lost race: nothing in memory is throttled or unreachable."""
        return isinstance(error, Contention)

"""A draft invoice as the biller reads it back, with the refreshes asked for since its last one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.invoices.invoice import Invoice


@dataclass(frozen=True)
class Draft:
    """A draft invoice and how many refreshes the aggregator asked for since its last one (late events of its
    periods applied)."""

    invoice: Invoice
    refresh_requests: int

    @property
    def finalize_at(self) -> datetime:
        """When the draft is finalized (every stored draft has that instant)."""
        assert self.invoice.finalize_at is not None
        return self.invoice.finalize_at

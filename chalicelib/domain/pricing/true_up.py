"""The min-amount true-up: the fee that tops a charge's fees up to its `min_amount_cents`, prorated to the days
billed."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from chalicelib.domain.money import round_half_up


def true_up_amount_cents(min_amount_cents: int, charges_duration_days: int, days_billed: int,
                         charge_fees_amount_cents: Iterable[int]) -> int:
    """round_half_up(min_amount_cents / charges_duration_days × days_billed − Σ fees), or 0 when the fees
    reach it. The fees are every fee of the charge in the period: the default bucket and each filter's."""
    # One division, last, keeps a full period exact (1000 / 31 × 31 would not be).
    prorated_min = Decimal(min_amount_cents) * days_billed / charges_duration_days
    return max(round_half_up(prorated_min - sum(charge_fees_amount_cents)), 0)

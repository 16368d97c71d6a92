"""Optimistic writes retried: read, decide, write conditioned on what was read; on a lost race, again."""
from __future__ import annotations

from typing import Callable, TypeVar

from chalicelib.domain.errors import Contention, StaleWrite

# Attempts before a request that keeps losing races to other writers gives up (retryable 503).
MAX_ATTEMPTS = 8
# A gapless sequence (customers' slugs) is one counter every create of the organization races for: each round has one
# winner, so a create among N at once succeeds within N attempts.
SEQUENCE_ATTEMPTS = 64
Result = TypeVar("Result")


def retrying(resource: str, attempt: Callable[[], Result], attempts: int = MAX_ATTEMPTS) -> Result:
    """`attempt()`, run again while a repository refuses its write as stale; Contention after `attempts`."""
    for _ in range(attempts):
        try:
            return attempt()
        except StaleWrite:
            continue
    raise Contention(resource)

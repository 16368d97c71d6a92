"""Optimistic writes retried: read, decide, write conditioned on what was read; on a lost race, again."""
from __future__ import annotations

from typing import Callable, TypeVar

from chalicelib.domain.errors import Contention, StaleWrite

# Attempts before a request that keeps losing races to other writers gives up (retryable 503).
MAX_ATTEMPTS = 8
Result = TypeVar("Result")


def retrying(resource: str, attempt: Callable[[], Result]) -> Result:
    """`attempt()`, run again while a repository refuses its write as stale; Contention after MAX_ATTEMPTS."""
    for _ in range(MAX_ATTEMPTS):
        try:
            return attempt()
        except StaleWrite:
            continue
    raise Contention(resource)

"""How Lambda delivers a stream's batch to its handler, for the properties that replay deliveries on the in-memory
stores: a process that dies (`Crash`) has the batch delivered again whole, and reported failures are delivered again
from the first one."""
from __future__ import annotations

from collections.abc import Callable

from chalicelib.usage.aggregator import StreamRecord


class Crash(BaseException):
    """The Lambda process dying between two writes (not an error the handler could catch)."""


def delivered(handler: Callable[[list[StreamRecord]], set[str]], batch: list[StreamRecord]) -> None:
    """Deliver `batch` to `handler` (which answers the sequence numbers it did not apply) until all is applied."""
    pending = batch
    for _ in range(10):
        try:
            failures = handler(pending)
        except Crash:
            continue
        if not failures:
            return
        first = min(int(sequence_number) for sequence_number in failures)
        pending = [record for record in pending if record.position >= first]
    raise AssertionError("batch never applied")

"""The loop of the local stand-ins for Lambda's event source mappings (stream_poller.py, queue_poller.py)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from botocore.client import BaseClient
from chalice.local import LambdaContext

from chalicelib.observability import logger

# An app's event-source function as the poller calls it: a Lambda-shaped event and a context, giving the batch's
# failures (`batchItemFailures`), or None.
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any] | None]
# Sleep after an empty poll (re-polling at once would starve the API threads of the GIL), doubled after each empty
# poll that follows up to the longest: an idle stack polls its four sources about twice a second in all, not sixteen
# times, and a record written after a quiet spell waits at most that long.
IDLE_SECONDS = 0.25
LONGEST_IDLE_SECONDS = 2.0


def next_idle_seconds(idle_seconds: float, delivered: int) -> float:
    """How long to sleep after a poll that delivered `delivered` records, the last sleep having been `idle_seconds`
    (0 when the poll delivered: poll again at once)."""
    if delivered:
        return 0.0
    return min(max(idle_seconds * 2, IDLE_SECONDS), LONGEST_IDLE_SECONDS)


class PollingThread(threading.Thread):
    """Calls `poll_once()` until `stop` is set, sleeping while there is nothing to deliver: batches of up to
    `batch_size` records of one source (a queue URL, a stream ARN), each handed to `handler`."""

    def __init__(self, kind: str, source: str, client: BaseClient, handler: LambdaHandler, batch_size: int,
                 stop: threading.Event):
        super().__init__(name=f"{kind}-{source.rsplit('/', 1)[-1]}", daemon=True)
        self._client = client
        self._handler = handler
        self._batch_size = batch_size
        # Not `_stop`: threading.Thread has a `_stop()` method that join() calls.
        self._stop_requested = stop

    def poll_once(self) -> int:
        """Deliver what the source holds now; returns how much was delivered."""
        raise NotImplementedError

    def run(self) -> None:
        idle_seconds = 0.0
        while not self._stop_requested.is_set():
            try:
                delivered = self.poll_once()
            except Exception:  # noqa: BLE001 - keep polling, as the event source mapping does
                logger.exception(f"{self.name} poll failed")
                delivered = 0
            idle_seconds = next_idle_seconds(idle_seconds, delivered)
            if idle_seconds:
                self.idle(idle_seconds)

    def idle(self, seconds: float) -> None:
        """Sleep after an empty poll: `seconds`, or less when there is a reason to poll sooner."""
        self._stop_requested.wait(seconds)

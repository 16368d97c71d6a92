"""The loop of the local stand-ins for Lambda's event source mappings (stream_poller.py, queue_poller.py)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalice.local import LambdaContext

from chalicelib.observability import logger

# An app's event-source function as the poller calls it: a Lambda-shaped event and a context, giving the batch's
# failures (`batchItemFailures`), or None.
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any] | None]
# Sleep between empty polls: re-polling at once would starve the API threads of the GIL.
IDLE_SECONDS = 0.25


class PollingThread(threading.Thread):
    """Calls `poll_once()` until `stop` is set, sleeping while there is nothing to deliver."""

    def __init__(self, name: str, stop: threading.Event):
        super().__init__(name=name, daemon=True)
        # Not `_stop`: threading.Thread has a `_stop()` method that join() calls.
        self._stop_requested = stop

    def poll_once(self) -> int:
        """Deliver what the source holds now; returns how much was delivered."""
        raise NotImplementedError

    def run(self) -> None:
        while not self._stop_requested.is_set():
            try:
                delivered = self.poll_once()
            except Exception:  # noqa: BLE001 - keep polling, as the event source mapping does
                logger.exception(f"{self.name} poll failed")
                delivered = 0
            if not delivered:
                self._stop_requested.wait(IDLE_SECONDS)

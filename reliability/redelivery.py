"""Redelivery as AWS and a client do it after a fault: the HTTP client sends the same request again, Lambda's
stream event source delivers the batch again (whole after a crash, from the first failed record after a partial
failure, and here every batch twice), SQS brings back a message not deleted, the schedule fires again."""
from __future__ import annotations

from collections.abc import Callable

from reliability.faults import Crash
from reliability.world import Answer

# Far more than one fault needs: a loop that reaches it means something is stuck, not slow.
MAX_DELIVERIES = 25


class NeverDone(Exception):
    """A request, batch or message still not done after MAX_DELIVERIES: reported, never waited on forever."""


def until_answered(request: Callable[[], Answer]) -> Answer:
    """The client's retry: the same request again after no answer (the process died) or a 5xx."""
    for _ in range(MAX_DELIVERIES):
        try:
            answer = request()
        except Crash:  # no answer: the connection dropped with the process
            continue
        if answer.status_code < 500:
            return answer
    raise NeverDone("the request never got an answer below 500")


def twice(handler):
    """An event source that delivers each batch twice (at least once): the second answer is the one kept."""
    def delivered_twice(event, context):
        handler(event, context)
        return handler(event, context)
    return delivered_twice


def drain(poller) -> None:
    """Poll a stream or queue source until two polls in a row deliver nothing: after a crash the poller delivers the
    same batch (or message) again, after a partial failure the stream poller goes on from the first failed record."""
    idle = 0
    for _ in range(MAX_DELIVERIES):
        try:
            delivered = poller.poll_once()
        except (Crash, Exception):  # the invocation failed: Lambda delivers the same batch again
            idle = 0
            continue
        idle = idle + 1 if delivered == 0 else 0
        if idle == 2:
            return
    raise NeverDone("the source keeps delivering")


def fire_until_done(schedule: Callable[[], object]) -> None:
    """A schedule that fires again after the run it started died."""
    for _ in range(MAX_DELIVERIES):
        try:
            schedule()
            return
        except (Crash, Exception):  # the invocation failed: fired again
            continue
    raise NeverDone("the schedule never completed a run")

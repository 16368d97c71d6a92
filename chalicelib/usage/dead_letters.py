"""The operator's commands on dead-lettered events (the CLI's `dead-events` and `replay-dead-events`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.clock import iso_z
from chalicelib.domain.dead_events import DeadEvent
from chalicelib.observability import failure_reason, logger
from chalicelib.usage.aggregator import Aggregator
from chalicelib.usage.ports import UsageStores


def dead_event_line(dead: DeadEvent) -> str:
    missed = "everything" if dead.parts is None else f"{len(dead.parts)} parts"
    return (f"{dead.external_subscription_id}  {dead.transaction_id}  attempts={dead.attempts}  "
            f"dead_lettered_at={iso_z(dead.dead_lettered_at)}  missed={missed}  reason={dead.reason}")


@dataclass(frozen=True)
class ReplayOutcome:
    dead: DeadEvent
    error: str | None  # None: replayed and removed from the dead letters

    def line(self) -> str:
        result = "replayed" if self.error is None else f"failed again: {self.error}"
        return f"{self.dead.external_subscription_id}  {self.dead.transaction_id}  {result}"


class DeadEvents:
    """`dead-events` and `replay-dead-events` on the usage stores."""

    def __init__(self, stores: UsageStores):
        self._stores = stores

    def listed(self, organization_id: str, external_subscription_id: str | None = None) -> list[DeadEvent]:
        """The organization's dead-lettered events (of one external subscription id), with their reasons."""
        return self._stores.dead_letters.dead_events(organization_id, external_subscription_id)

    def replay(self, organization_id: str, now: datetime,
               external_subscription_id: str | None = None) -> list[ReplayOutcome]:
        """Apply each dead-lettered event of the organization (of one external subscription id) and remove it from
        the dead letters; one that fails again stays, with the new reason and one more attempt. Safe to run twice, or
        after a crash: a replayed part is never applied again (Aggregator.replay)."""
        dead_letters = self._stores.dead_letters
        aggregator = Aggregator(self._stores, now)
        outcomes = []
        for dead in dead_letters.dead_events(organization_id, external_subscription_id):
            try:
                aggregator.replay(dead)
            except Exception as error:  # noqa: BLE001 - one event's failure does not stop the others' replay
                logger.exception("dead-lettered event not replayed", extra={"transaction_id": dead.transaction_id})
                reason = failure_reason(error)
                dead_letters.count_failure(dead.image, reason)
                outcomes.append(ReplayOutcome(dead, reason))
                continue
            dead_letters.forget(dead)
            outcomes.append(ReplayOutcome(dead, None))
        return outcomes

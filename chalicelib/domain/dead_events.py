"""An event the aggregator set aside (a dead letter) after it kept failing for a reason of its own; the store keeps
it until an operator replays it (docs/operations.md, "Dead-lettered events")."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

# Deliveries of an event that fail with a non-transient error before it is set aside.
POISON_ATTEMPTS = 3


@dataclass(frozen=True)
class DeadEvent:
    """An event set aside: `image` is its stream record's item, `parts` what of it was not applied (None: nothing
    was, its routing failed)."""

    organization_id: str
    external_subscription_id: str
    transaction_id: str
    image: dict[str, object]
    reason: str
    attempts: int
    parts: tuple[str, ...] | None
    dead_lettered_at: datetime

    @property
    def replay_shard(self) -> str:
        """The shard its replay is applied as: one per event, so a replayed part's watermark makes a second replay
        apply nothing."""
        identity = json.dumps([self.organization_id, self.external_subscription_id, self.transaction_id])
        return "dead-letter/" + hashlib.sha256(identity.encode("utf-8")).hexdigest()

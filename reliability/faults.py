"""Faults injected at the boto3 layer, by botocore event hooks on the DynamoDB client the repositories share (the
product code is never patched): the process dies right after the Nth write succeeded, or the Nth call is answered
by DynamoDB's throttling error as if the SDK's own retries had run out."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Literal

from botocore.awsrequest import AWSResponse

WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
FaultKind = Literal["crash_after_write", "throughput_exceeded", "transaction_conflict"]
# What each kind counts to find its turn, and the botocore event it hooks.
_COUNTED = {"crash_after_write": "successful writes", "throughput_exceeded": "calls",
            "transaction_conflict": "TransactWriteItems calls"}


class Crash(BaseException):
    """The Lambda (or API) process dying: a BaseException, so no `except Exception` of the code under test stops it."""


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    at: int  # the turn (from 1) of the write or call that fails

    @property
    def counts(self) -> str:
        return _COUNTED[self.kind]


def _error_response(code: str, message: str, **extra) -> tuple[AWSResponse, dict]:
    """What DynamoDB answers with HTTP 400: botocore turns it into the modeled exception of `code`."""
    parsed = {"Error": {"Code": code, "Message": message}, **extra,
              "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}, "RetryAttempts": 0}}
    return AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", 400, {}, None), parsed


def throughput_exceeded() -> tuple[AWSResponse, dict]:
    return _error_response("ProvisionedThroughputExceededException",
                           "The level of configured provisioned throughput for the table was exceeded.")


def transaction_conflict(actions: int) -> tuple[AWSResponse, dict]:
    """A transaction cancelled because another one was writing its first item at the same time."""
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
    reasons += [{"Code": "None"}] * (actions - 1)
    return _error_response("TransactionCanceledException",
                           "Transaction cancelled, please refer cancellation reasons for specific reasons "
                           f"[{', '.join(reason['Code'] for reason in reasons)}]", CancellationReasons=reasons)


class Injector:
    """Arms one fault on `client` for the duration of a `with` block; `fired` tells whether its turn came."""

    def __init__(self, client, fault: Fault):
        self._events = client.meta.events
        self.fault = fault
        self.seen = 0
        self.fired = False
        self._lock = threading.Lock()  # a batch of events is written by several threads
        if fault.kind == "crash_after_write":
            self._hooks = [("after-call.dynamodb", self._crash_after_write)]
        elif fault.kind == "throughput_exceeded":
            self._hooks = [("before-call.dynamodb", self._throttle)]
        else:
            self._hooks = [("before-call.dynamodb.TransactWriteItems", self._conflict)]

    def __enter__(self) -> Injector:
        for event, hook in self._hooks:
            self._events.register(event, hook)
        return self

    def __exit__(self, *_) -> None:
        for event, hook in self._hooks:
            self._events.unregister(event, hook)

    def _turn(self) -> bool:
        """Count one more write or call; True exactly once, at the fault's turn."""
        with self._lock:
            self.seen += 1
            if self.seen == self.fault.at and not self.fired:
                self.fired = True
                return True
            return False

    def _crash_after_write(self, model, http_response, **_) -> None:
        if model.name in WRITES and http_response.status_code < 300 and self._turn():
            raise Crash(f"crashed after write {self.fault.at} ({model.name})")

    def _throttle(self, **_):
        return throughput_exceeded() if self._turn() else None

    def _conflict(self, params, **_):
        if not self._turn():
            return None
        return transaction_conflict(len(json.loads(params["body"])["TransactItems"]))

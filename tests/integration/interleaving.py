"""Deterministic interleaving of concurrent requests: a botocore hook on the repositories' DynamoDB client
runs a competing request (or a crash) just before or after the request under test makes a given call. No threads,
no sleeps."""
from __future__ import annotations

from contextlib import contextmanager

from chalicelib.store.repositories import repositories


@contextmanager
def competing(operation: str, competitor, times: int = 1):
    """Run `competitor()` just before each of the first `times` calls of DynamoDB's `operation` made by the
    app (the competitor's own calls excepted); yields the list of the competitor's results."""
    results = []
    state = {"busy": False}

    def hook(**_):
        if state["busy"] or len(results) >= times:
            return None  # None lets the intercepted call proceed
        state["busy"] = True
        try:
            results.append(competitor())
        finally:
            state["busy"] = False
        return None

    events = repositories().client.meta.events
    event_name = f"before-call.dynamodb.{operation}"
    events.register(event_name, hook)
    try:
        yield results
    finally:
        events.unregister(event_name, hook)


@contextmanager
def on_call(operation: str, number: int, action, when: str = "before"):
    """Run `action()` before (`when` "before") or after ("after": the call applied, its answer lost) the app's
    `number`-th DynamoDB call of `operation` from now (the action's own calls excepted)."""
    state = {"calls": 0, "busy": False}

    def hook(**_):
        if state["busy"]:
            return
        state["calls"] += 1
        if state["calls"] == number:
            state["busy"] = True
            try:
                action()
            finally:
                state["busy"] = False

    events = repositories().client.meta.events
    event_name = f"{when}-call.dynamodb.{operation}"
    events.register(event_name, hook)
    try:
        yield
    finally:
        events.unregister(event_name, hook)


def on_transaction(number: int, action, when: str = "before"):
    """`on_call` of the app's `number`-th TransactWriteItems from now."""
    return on_call("TransactWriteItems", number, action, when)

"""`make soak` (not part of `make test`): the local stack under SOAK_SECONDS (default 600) of schemathesis fuzzing
of every operation (a new seed each round) alongside mixed load from parallel clients; then every accepted event
must be counted, no answer may be a 5xx, the stack's log must hold no traceback, and the stack must stop within
5 s of SIGINT and free its ports (the module's `stack` fixture measures and prints the stop time)."""
from __future__ import annotations

import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from fuzzing import figures, fuzz_operations

# The module's own stack and its bootstrap key (fixtures named `stack` and `api_key`).
from mixed_load import bootstrap_key, counted, create_catalog, mixed_requests, stack_of_its_own  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.soak]

SOAK_SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
CLIENTS = 4
FUZZ_CASES_PER_PASS = 5
COUNTED_WITHIN_SECONDS = 120


def test_fuzzing_and_mixed_load_for_ten_minutes(stack, http):
    create_catalog(http)
    document = http.get("/api/v1/openapi.json").json()
    started = time.monotonic()
    stop_at = started + SOAK_SECONDS
    load_statuses, accepted, fuzzed, rounds = Counter(), {}, {}, 0
    with ThreadPoolExecutor(CLIENTS + 1) as pool, requests.Session() as session:
        while time.monotonic() < stop_at:
            names = [f"soak-{rounds}-{client}" for client in range(CLIENTS)]
            load = [pool.submit(mixed_requests, stack, name) for name in names]
            # The fuzz meanwhile, a new seed each round, stopping between operations at the deadline.
            for label, answered in fuzz_operations(document, session, stack.api_url, stack.api_key,
                                                   FUZZ_CASES_PER_PASS, run_seed=rounds, stop_at=stop_at).items():
                fuzzed.setdefault(label, Counter()).update(answered)
            for name, done in zip(names, load):
                statuses, events = done.result()
                load_statuses.update(statuses)
                accepted[name] = events
            rounds += 1
    seconds = time.monotonic() - started
    deadline = time.monotonic() + COUNTED_WITHIN_SECONDS
    while (missing := {name: events for name, events in accepted.items() if counted(stack, name) != events}) \
            and time.monotonic() < deadline:
        time.sleep(1)
    print(f"\nsoak: {seconds:.0f} s, {rounds} rounds; load: {load_statuses.total()} requests, statuses "
          f"{dict(sorted(load_statuses.items()))}, {sum(accepted.values())} events accepted, "
          f"{sum(accepted.values()) - sum(missing.values())} counted")
    print(figures(fuzzed, seconds))
    assert rounds > 0 and load_statuses.total() > 0 and fuzzed, "the soak did not run"
    assert not [status for status in load_statuses if status >= 500], load_statuses
    assert not missing, f"accepted events not counted within {COUNTED_WITHIN_SECONDS} s: {missing}"
    assert "Traceback" not in stack.output(), stack.output()[-5000:]

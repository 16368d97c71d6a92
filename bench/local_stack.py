"""The local stack's figures of issue 19, measured on `make run`'s stack (`python -m chalicelib.cli serve`, started
here on free ports of 127.0.0.1, in its own process, with the biller's timer off):

- `event_to_usage_lag(rounds)`: on an idle stack, one event posted (`POST /api/v1/events`), then its subscription's
  current usage read every 10 ms until it counts the event; milliseconds from the post to the read that shows it.
  Each sample follows a pause (mostly random up to 0.5 s, every tenth 2.2 s), so the stream poller is found in
  every state of its idle back-off.
- `local_stack_slowdown_100k(rounds)`: one customer's current-usage read and one customer's biller run (`bill --at
  <this month's start + 30 min> --backfill --external-customer-id C`, in a process of its own, the run itself timed
  inside it after a warm-up run) on an empty stack, then the same after 100,000 events posted over HTTP in batches
  of 100 (spread over the subscriptions of a few customers) and aggregated from the stream; the ratio after/before of
  each, and the larger one.

Each function raises if what it measures did not run: an event never shown, a read that counts the wrong events, a
biller run that issued no invoice. `python -m bench.local_stack --bill ...` is the timed biller run's process."""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
API_KEY = "bench_local_stack_key_0123456789"
METRIC_CODE = "bench_calls"
PLAN_CODE = "bench_monthly"
READY_TIMEOUT_SECONDS = 60
# The lag: samples per round (a p99 per round); the pause before each: random up to SHORT, every LONG_EVERY-th LONG
# (the stream poller's back-off at its deepest, 2 s); the read's polling interval, its give-up.
LAG_SAMPLES = 100
LAG_SHORT_PAUSE_SECONDS = 0.5
LAG_LONG_PAUSE_SECONDS = 2.2
LAG_LONG_EVERY = 10
LAG_POLL_SECONDS = 0.01
LAG_GIVE_UP_SECONDS = 10.0
# The load: events in batches of 100 over HTTP, over customers x subscriptions, posted by parallel clients.
LOADED_EVENTS = 100_000
BATCH_SIZE = 100
LOAD_CUSTOMERS = 4
LOAD_SUBSCRIPTIONS_PER_CUSTOMER = 5
LOAD_CLIENTS = 4
AGGREGATION_GIVE_UP_SECONDS = 300.0
# A timed customer: its events last month (billed) and this month (its current usage), the reads timed per round.
TIMED_EVENTS_PER_MONTH = 10
TIMED_READS = 20


class NotMeasured(RuntimeError):
    """What a figure measures did not run."""


class BenchStack:
    """A local stack of its own: its API on `http` with the bootstrap organization's key."""

    def __init__(self) -> None:
        self.api_port, self.dynamodb_port = _free_ports(2)
        environment = {name: value for name, value in os.environ.items()
                       if not name.startswith(("AWS_", "MOTO_")) and name not in {"BILLING_API_KEY", "PORT"}}
        environment.update({"PORT": str(self.api_port), "DYNAMODB_PORT": str(self.dynamodb_port),
                            "BILLING_API_KEY": API_KEY, "BILLER_INTERVAL_SECONDS": "86400",
                            "AWS_DEFAULT_REGION": "us-east-1", "PYTHONUNBUFFERED": "1"})
        self.process = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "serve"], cwd=ROOT, env=environment,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        self.http = httpx.Client(base_url=f"http://{HOST}:{self.api_port}", timeout=120,
                                 headers={"Authorization": f"Bearer {API_KEY}"})

    def wait_ready(self) -> None:
        """Until the stack prints "Ready.", then its output read on to the end in a thread: a pipe left unread would
        block the stack (its API logs each request) once full, about 650 requests later."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        for line in self.process.stdout:  # type: ignore[union-attr]
            if line.startswith("Ready."):
                threading.Thread(target=self.process.stdout.read, daemon=True).start()  # type: ignore[union-attr]
                return
            if time.monotonic() > deadline:
                break
        raise NotMeasured(f"the local stack did not start (exit code {self.process.poll()})")

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def peak_memory_mb(self) -> float:
        """The stack process's peak resident memory (the kernel's VmHWM)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise NotMeasured("no VmHWM for the local stack")

    def post(self, path: str, body: dict) -> dict:
        response = self.http.post(path, json=body)
        if response.status_code != 200:
            raise NotMeasured(f"POST {path}: {response.status_code} {response.text}")
        return response.json()

    def events_counted(self, customer: str, subscription: str) -> int:
        """The events the subscription's current usage counts."""
        response = self.http.get(f"/api/v1/customers/{customer}/current_usage",
                                 params={"external_subscription_id": subscription})
        if response.status_code != 200:
            raise NotMeasured(f"current usage of {subscription}: {response.status_code} {response.text}")
        return sum(charge["events_count"] for charge in response.json()["customer_usage"]["charges_usage"])


def _free_ports(count: int) -> list[int]:
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind((HOST, 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@contextmanager
def _bench_stack() -> Iterator[BenchStack]:
    stack = BenchStack()
    try:
        stack.wait_ready()
        _catalog(stack)
        yield stack
    finally:
        stack.stop()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _month_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _catalog(stack: BenchStack) -> None:
    """A count metric and a monthly plan (10 EUR, calendar, in arrears) charging 1 cent a call."""
    stack.post("/api/v1/billable_metrics", {"billable_metric": {
        "name": "Calls", "code": METRIC_CODE, "aggregation_type": "count_agg"}})
    stack.post("/api/v1/plans", {"plan": {
        "name": "Monthly", "code": PLAN_CODE, "interval": "monthly", "amount_cents": 1000, "amount_currency": "EUR",
        "pay_in_advance": False, "charges": [{"billable_metric_code": METRIC_CODE, "charge_model": "standard",
                                              "properties": {"amount": "0.01"}}]}})


def _subscribe(stack: BenchStack, customer: str, subscriptions: list[str], subscription_at: datetime | None) -> None:
    stack.post("/api/v1/customers", {"customer": {"external_id": customer, "name": customer}})
    for subscription in subscriptions:
        body = {"external_customer_id": customer, "plan_code": PLAN_CODE, "external_id": subscription,
                "billing_time": "calendar"}
        if subscription_at is not None:
            body["subscription_at"] = _iso(subscription_at)
        stack.post("/api/v1/subscriptions", {"subscription": body})


def _events(subscription: str, prefix: str, count: int, timestamp: datetime | None = None) -> list[dict]:
    return [{"transaction_id": f"{prefix}-{number}", "external_subscription_id": subscription, "code": METRIC_CODE,
             **({"timestamp": int(timestamp.timestamp())} if timestamp else {})} for number in range(count)]


def _wait_counted(stack: BenchStack, expected: dict[tuple[str, str], int], give_up_seconds: float) -> None:
    """Until each (customer, subscription)'s current usage counts its expected events."""
    deadline = time.monotonic() + give_up_seconds
    while True:
        counted = {key: stack.events_counted(*key) for key in expected}
        if counted == expected:
            return
        if time.monotonic() > deadline:
            raise NotMeasured(f"the aggregator did not count every event within {give_up_seconds:.0f} s: "
                              f"{counted} of {expected}")
        time.sleep(0.5)


# ---- event to current usage ----

def _lag_round(stack: BenchStack, customer: str, subscription: str, round_number: int) -> list[float]:
    """LAG_SAMPLES lags in ms, each event posted after a pause."""
    lags = []
    pauses = random.Random(round_number)
    for sample in range(LAG_SAMPLES):
        long_pause = sample % LAG_LONG_EVERY == LAG_LONG_EVERY - 1
        time.sleep(LAG_LONG_PAUSE_SECONDS if long_pause else pauses.uniform(0, LAG_SHORT_PAUSE_SECONDS))
        expected = stack.events_counted(customer, subscription) + 1
        started = time.perf_counter()
        stack.post("/api/v1/events", {"event": _events(subscription, f"lag-{round_number}-{sample}", 1)[0]})
        while stack.events_counted(customer, subscription) != expected:
            if time.perf_counter() - started > LAG_GIVE_UP_SECONDS:
                raise NotMeasured(f"event lag-{round_number}-{sample} not in current usage after "
                                  f"{LAG_GIVE_UP_SECONDS:.0f} s")
            time.sleep(LAG_POLL_SECONDS)
        lags.append((time.perf_counter() - started) * 1000)
    return lags


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def event_to_usage_lag(rounds: int) -> dict:
    """p99 (ms) of the time from an event's post to the current usage that counts it, per round on one idle stack."""
    with _bench_stack() as stack:
        _subscribe(stack, "lag", ["lag-sub"], None)
        per_round = [_lag_round(stack, "lag", "lag-sub", number) for number in range(rounds)]
    p99s = [_p99(lags) for lags in per_round]
    every = [lag for lags in per_round for lag in lags]
    return {"median": statistics.median(p99s), "min": min(p99s), "max": max(p99s), "rounds": rounds,
            "samples": len(every), "p99_ms_per_round": p99s, "p50_ms": statistics.median(every),
            "max_ms": max(every),
            "how": (f"local stack (`python -m chalicelib.cli serve`, its own process, idle); per round {LAG_SAMPLES} "
                    f"events, each after a pause (random, 0-{LAG_SHORT_PAUSE_SECONDS} s; every {LAG_LONG_EVERY}th "
                    f"{LAG_LONG_PAUSE_SECONDS} s, the stream poller's deepest back-off): POST /api/v1/events, "
                    f"then GET current_usage every {LAG_POLL_SECONDS * 1000:.0f} ms until it counts the event; "
                    "ms from the post to that read, p99 per round; median, min and max of the rounds' p99")}


# ---- the local stack after 100,000 events ----

@dataclass(frozen=True)
class TimedCustomer:
    customer: str
    subscription: str


def _timed_customer(stack: BenchStack, name: str, now: datetime) -> TimedCustomer:
    """A customer subscribed since last month's start, with events last month (to bill) and this month (its current
    usage), all aggregated."""
    this_month = _month_start(now)
    last_month = _month_start(this_month - timedelta(days=1))
    timed = TimedCustomer(name, f"{name}-sub")
    _subscribe(stack, timed.customer, [timed.subscription], last_month)
    stack.post("/api/v1/events/batch", {"events": [
        *_events(timed.subscription, f"{name}-last", TIMED_EVENTS_PER_MONTH, last_month + timedelta(days=9)),
        *_events(timed.subscription, f"{name}-this", TIMED_EVENTS_PER_MONTH, now - timedelta(minutes=1))]})
    _wait_counted(stack, {(timed.customer, timed.subscription): TIMED_EVENTS_PER_MONTH}, 60)
    return timed


def _read_ms(stack: BenchStack, timed: TimedCustomer) -> float:
    """The median of TIMED_READS current-usage reads (after one untimed), ms."""
    stack.events_counted(timed.customer, timed.subscription)
    durations = []
    for _ in range(TIMED_READS):
        started = time.perf_counter()
        if stack.events_counted(timed.customer, timed.subscription) != TIMED_EVENTS_PER_MONTH:
            raise NotMeasured(f"the current usage of {timed.subscription} does not count its events")
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations)


def _bill_ms(stack: BenchStack, timed: list[TimedCustomer], at: datetime) -> list[float]:
    """Each customer's biller run (ms), timed in a process of its own (`--bill`)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "MOTO_"))}
    environment.update({"AWS_ENDPOINT_URL": f"http://{HOST}:{stack.dynamodb_port}", "AWS_ACCESS_KEY_ID": "local",
                        "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true"})
    result = subprocess.run([sys.executable, "-m", "bench.local_stack", "--bill", _iso(at),
                             *(each.customer for each in timed)], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=600)
    if result.returncode != 0:
        raise NotMeasured(f"the timed biller runs failed ({result.returncode}):\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _timed_bill_runs(at: datetime, customers: list[str]) -> list[float]:
    """In this process (the local stack's endpoint in AWS_ENDPOINT_URL): one warm-up run, then each customer's
    `bill --at at --backfill --external-customer-id C` run, ms; raises if one issued no invoice."""
    from chalicelib.billing.replay import BillerReplay, Replay
    from chalicelib.store.repositories import repositories

    biller = BillerReplay(repositories())
    biller.run(Replay(at=at, backfill=True, external_customer_ids=("bench-warm-up",)), current_time=datetime.now(UTC))
    durations = []
    for customer in customers:
        started = time.perf_counter()
        summary = biller.run(Replay(at=at, backfill=True, external_customer_ids=(customer,)),
                             current_time=datetime.now(UTC))
        durations.append((time.perf_counter() - started) * 1000)
        if summary["invoices_created"] != 1:
            raise NotMeasured(f"the biller run for {customer} issued {summary['invoices_created']} invoices: {summary}")
    return durations


def _load(stack: BenchStack, events: int) -> tuple[float, dict[tuple[str, str], int]]:
    """`events` events in batches of 100 over the load customers' subscriptions, posted by LOAD_CLIENTS clients;
    (seconds until every one is aggregated, events per subscription)."""
    keys = [(f"load-{customer}", f"load-{customer}-{number}") for customer in range(LOAD_CUSTOMERS)
            for number in range(LOAD_SUBSCRIPTIONS_PER_CUSTOMER)]
    for customer in range(LOAD_CUSTOMERS):
        _subscribe(stack, f"load-{customer}", [subscription for owner, subscription in keys
                                               if owner == f"load-{customer}"], None)
    batches = events // BATCH_SIZE
    started = time.perf_counter()

    def post(batch: int) -> None:
        _, subscription = keys[batch % len(keys)]
        stack.post("/api/v1/events/batch", {"events": _events(subscription, f"load-{batch}", BATCH_SIZE)})

    with ThreadPoolExecutor(LOAD_CLIENTS) as clients:
        list(clients.map(post, range(batches)))
    expected = {key: BATCH_SIZE * len(range(index, batches, len(keys))) for index, key in enumerate(keys)}
    _wait_counted(stack, expected, AGGREGATION_GIVE_UP_SECONDS)
    return time.perf_counter() - started, expected


def local_stack_slowdown_100k(rounds: int) -> dict:
    """After 100,000 events over empty: the ratio of a current-usage read's time and of a one-customer biller run's,
    the larger one (each figure per round: one timed customer per round and phase)."""
    now = datetime.now(UTC)
    bill_at = min(_month_start(now) + timedelta(minutes=30), now - timedelta(seconds=1))
    with _bench_stack() as stack:
        empty = [_timed_customer(stack, f"empty-{number}", now) for number in range(rounds)]
        empty_reads = [_read_ms(stack, timed) for timed in empty]
        empty_bills = _bill_ms(stack, empty, bill_at)
        load_seconds, _ = _load(stack, LOADED_EVENTS)
        loaded = [_timed_customer(stack, f"loaded-{number}", now) for number in range(rounds)]
        loaded_reads = [_read_ms(stack, timed) for timed in loaded]
        loaded_bills = _bill_ms(stack, loaded, bill_at)
        peak_mb = stack.peak_memory_mb()
    read_ratios = [after / before for after, before in zip(loaded_reads, empty_reads, strict=True)]
    bill_ratios = [after / before for after, before in zip(loaded_bills, empty_bills, strict=True)]
    ratios = [max(read, bill) for read, bill in zip(read_ratios, bill_ratios, strict=True)]
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios), "rounds": rounds,
            "read_ms_empty": empty_reads, "read_ms_100k": loaded_reads, "read_ratio": read_ratios,
            "bill_ms_empty": empty_bills, "bill_ms_100k": loaded_bills, "bill_ratio": bill_ratios,
            "events_loaded": LOADED_EVENTS, "load_seconds": load_seconds,
            "load_events_per_second": LOADED_EVENTS / load_seconds, "stack_peak_memory_mb": peak_mb,
            "how": (f"local stack (`python -m chalicelib.cli serve`, its own process); per round one customer "
                    f"subscribed since last month with {TIMED_EVENTS_PER_MONTH} events last month and "
                    f"{TIMED_EVENTS_PER_MONTH} this month: the median of {TIMED_READS} current-usage reads (HTTP) "
                    "and its biller run (`bill --backfill --external-customer-id`, the run timed in its own process "
                    f"after a warm-up run), on the empty stack, then after {LOADED_EVENTS:,} events in batches of "
                    f"{BATCH_SIZE} over HTTP ({LOAD_CUSTOMERS} customers x {LOAD_SUBSCRIPTIONS_PER_CUSTOMER} "
                    f"subscriptions, {LOAD_CLIENTS} clients) all aggregated; per round the larger of the two "
                    "ratios after/empty; median, min and max of the rounds")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the timed biller runs of local_stack_slowdown_100k")
    parser.add_argument("--bill", required=True, metavar="AT")
    parser.add_argument("customers", nargs="+")
    arguments = parser.parse_args(argv)
    at = datetime.fromisoformat(arguments.bill.replace("Z", "+00:00"))
    print(json.dumps(_timed_bill_runs(at, arguments.customers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: an operator's backfill of 60 monthly periods for 50 customers, as docs/billing-over-time.md describes
it, against the local stack (`make run`'s, started here on its own ports).

What it does, and measures:
1. Starts the local stack (`python -m chalicelib.cli serve`) in its own process; creates a plan (monthly, calendar,
   1000 cents in arrears) and, over HTTP, `--customers` customers each with a subscription dated the first day of
   the month `--months` months before the current one. Measures each creation request (the migration rule: it bills
   nothing, whatever the date) and checks that no invoice exists afterwards.
2. Runs `python -m chalicelib.cli bill --backfill` (as of now) in its own process, as an operator would, and
   measures its wall time and its peak resident memory (the kernel's ru_maxrss of that process, from wait4).
3. Checks the run's summary and the API: exactly customers x months invoices (each subscription's history, one per
   month), else it fails; reports the local stack's own peak memory (VmHWM), which holds the data.

Usage: .venv/bin/python benchmarks/backfill.py [--customers 50] [--months 60]   (or `make bench`)."""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "bench-key"


def _months_back(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _stack(api_port: int, dynamodb_port: int) -> subprocess.Popen:
    environment = {**os.environ, "PORT": str(api_port), "DYNAMODB_PORT": str(dynamodb_port),
                   "BILLER_INTERVAL_SECONDS": "86400", "BILLING_API_KEY": API_KEY}
    stack = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "serve"], cwd=ROOT, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in stack.stdout:
        if line.startswith("Ready."):
            return stack
    raise SystemExit("the local stack did not start")


def _peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM for the local stack")


def _seed(http: httpx.Client, customers: int, subscription_at: datetime) -> list[float]:
    """The catalog and the subscriptions; the seconds each subscription's creation took."""
    def post(path: str, body: dict) -> None:
        response = http.post(path, json=body)
        if response.status_code != 200:
            raise SystemExit(f"POST {path}: {response.status_code} {response.text}")

    post("/api/v1/plans", {"plan": {"name": "Monthly", "code": "monthly", "interval": "monthly",
                                    "amount_cents": 1000, "amount_currency": "EUR", "pay_in_advance": False}})
    durations = []
    for index in range(customers):
        post("/api/v1/customers", {"customer": {"external_id": f"customer-{index}", "name": f"Customer {index}"}})
        started = time.perf_counter()
        post("/api/v1/subscriptions", {"subscription": {
            "external_customer_id": f"customer-{index}", "plan_code": "monthly", "external_id": f"sub-{index}",
            "subscription_at": subscription_at.strftime("%Y-%m-%dT%H:%M:%SZ")}})
        durations.append(time.perf_counter() - started)
    return durations


def _invoice_count(http: httpx.Client) -> int:
    response = http.get("/api/v1/invoices", params={"per_page": 1})
    return response.json()["meta"]["total_count"]


def _bill_backfill(dynamodb_port: int) -> tuple[dict, float, float]:
    """The operator's `bill --backfill`: its summary, wall seconds and peak resident memory (MB)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{dynamodb_port}", "AWS_ACCESS_KEY_ID": "local",
                        "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true"})
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "bill", "--backfill"], cwd=ROOT,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"bill --backfill failed ({process.returncode}):\n{stderr}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child: this one
    return json.loads(stdout.strip().splitlines()[-1]), seconds, peak_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--dynamodb-port", type=int, default=8101)
    arguments = parser.parse_args()
    subscription_at = _months_back(datetime.now(UTC), arguments.months)
    expected = arguments.customers * arguments.months

    stack = _stack(arguments.port, arguments.dynamodb_port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{arguments.port}", timeout=120,
                          headers={"Authorization": f"Bearer {API_KEY}"}) as http:
            durations = _seed(http, arguments.customers, subscription_at)
            if _invoice_count(http) != 0:
                raise SystemExit("creating the subscriptions issued invoices: the migration rule did not hold")
            summary, seconds, peak_mb = _bill_backfill(arguments.dynamodb_port)
            invoices = _invoice_count(http)
        stack_mb = _peak_memory_mb(stack.pid)
    finally:
        stack.terminate()
        stack.wait(timeout=30)

    print(f"Backfill of {arguments.months} monthly periods for {arguments.customers} customers against the local "
          f"stack (moto), subscriptions dated {subscription_at.date()}:")
    print(f"  creating a subscription dated {subscription_at.year} (POST /subscriptions, over HTTP, "
          f"{len(durations)} requests): median {statistics.median(durations) * 1000:.0f} ms, "
          f"max {max(durations) * 1000:.0f} ms, 0 invoices issued")
    print(f"  `bill --backfill` (its own process, wall clock): {seconds:.1f} s, "
          f"{summary['invoices_created']} invoices ({seconds / max(summary['invoices_created'], 1) * 1000:.0f} ms "
          f"each), peak resident memory {peak_mb:.0f} MB (ru_maxrss)")
    print(f"  the local stack holding the data: peak resident memory {stack_mb:.0f} MB (VmHWM)")
    print(f"  summary: {json.dumps(summary)}")
    if summary["invoices_created"] != expected or invoices != expected:
        print(f"FAILED: expected {expected} invoices, the run reported {summary['invoices_created']} and the API "
              f"shows {invoices}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

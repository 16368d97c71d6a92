"""`make bench`: every figure of issue 19 measured (bench/paths.py in process on moto, bench/local_stack.py on the
local stack), printed as a table against the issue's goals, written to bench/results.json and into
docs/performance.md's marked section. Exits non-zero, naming it, when a path did not run; an unmet goal is
reported, not a failure.

Usage: .venv/bin/python -m bench.run [--rounds 3] [--smoke] [--results PATH] [--document PATH]"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.figures import PathDidNotRun
from bench.paths import Sizes, in_process
from bench.report import growth, table, write_section

ROOT = Path(__file__).resolve().parents[1]
SMOKE = Sizes(rounds=1, batch=5, many_values=20, biller_customers=1, biller_events=(2, 4), timed=2)


def measured_code() -> str:
    """The commit measured, and whether the work tree differed from it."""
    def git(*arguments: str) -> str:
        return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    changed = git("status", "--porcelain", "--", "chalicelib", "app.py", "bench")
    return f"{git('rev-parse', '--short', 'HEAD') or 'unknown commit'}{' with uncommitted changes' if changed else ''}"


def local_stack(rounds: int) -> tuple[dict[str, Any], list[str]]:
    """The local stack's figures from bench/local_stack.py, or what kept them from running."""
    try:
        module = importlib.import_module("bench.local_stack")
    except ModuleNotFoundError as missing:
        if missing.name != "bench.local_stack":
            raise
        return {}, ["event_to_usage_lag_ms_p99 and local_stack_slowdown_100k: bench/local_stack.py does not exist, "
                    "the local stack's path did not run"]
    return {"event_to_usage_lag_ms_p99": module.event_to_usage_lag(rounds),
            "local_stack_slowdown_100k": module.local_stack_slowdown_100k(rounds)}, []


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="one round of tiny sizes, no local stack")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--document", type=Path, default=ROOT / "docs" / "performance.md")
    options = parser.parse_args(arguments)
    logging.disable(logging.INFO)  # the app's per-invoice log lines
    started = time.perf_counter()
    failures: list[str] = []
    try:
        results = in_process(SMOKE if options.smoke else Sizes(rounds=options.rounds))
    except PathDidNotRun as failure:
        print(failure, file=sys.stderr)
        return 1
    if not options.smoke:
        measured, failures = local_stack(options.rounds)
        results.update(measured)
    results["_run"] = {"seconds": round(time.perf_counter() - started, 1), "rounds": 1 if options.smoke
                       else options.rounds, "smoke": options.smoke, "code": measured_code()}
    options.results.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    printed = (f"Measured on {results['_run']['code']} in {results['_run']['seconds']} s.\n\n{table(results)}\n\n"
               f"How the figures grow (medians):\n\n{growth(results)}")
    print(printed)
    print(f"\n{options.results} written")
    write_section(options.document, printed)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

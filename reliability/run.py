"""`python -m reliability.run` (`make reliability`): every scenario on moto, a line each, then
reliability/results.json and docs/reliability.md written; exits 1 when a promise broke, and fails outright when a
scenario injected no fault."""
from __future__ import annotations

import io
import logging
import sys
import time
from contextlib import redirect_stdout

from reliability import report
from reliability.scenario import explore
from reliability.scenarios import SCENARIOS


def main() -> int:
    logging.disable(logging.CRITICAL)  # the app logs every injected failure, as it should
    started = time.perf_counter()
    explored = []
    for scenario in SCENARIOS:
        began = time.perf_counter()
        with redirect_stdout(io.StringIO()):  # the app's metrics (CloudWatch EMF) print to stdout
            explored.append(explore(scenario))
        each = explored[-1]
        counts = each.counts
        print(f"{scenario.name:28} {each.runs:3} runs {each.faults_injected:3} faults  events "
              f"{counts.events_accepted}/{counts.events_counted} lost {counts.events_lost} duplicated "
              f"{counts.events_duplicated}  invoices {counts.invoices_expected}/{counts.invoices_issued} duplicated "
              f"{counts.invoices_duplicated} gaps {counts.invoice_number_gaps}  webhooks "
              f"{counts.webhooks_expected}/{counts.webhooks_delivered}  {time.perf_counter() - began:.1f}s")
        for run in each.failed_runs:
            print(f"    BROKEN at {run}")
    figures = report.results(explored)
    report.write(figures)
    print(f"{figures['scenarios']} scenarios, {figures['runs']} runs, {figures['faults_injected']} faults injected: "
          f"events accepted {figures['events_accepted']}, counted {figures['events_counted']}, lost "
          f"{figures['events_lost']}, duplicated {figures['events_duplicated']}; invoices expected "
          f"{figures['invoices_expected']}, issued {figures['invoices_issued']}, duplicated "
          f"{figures['invoices_duplicated']}; {time.perf_counter() - started:.1f}s; "
          f"written {report.RESULTS.relative_to(report.ROOT)} and {report.DOCUMENT.relative_to(report.ROOT)}")
    return 1 if report.failed(figures) else 0


if __name__ == "__main__":
    sys.exit(main())

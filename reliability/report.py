"""reliability/results.json and docs/reliability.md, from the explored scenarios: figures only, no instant and no
duration, so that a run on a clean checkout leaves both files unchanged."""
from __future__ import annotations

import json
from pathlib import Path

from reliability.counting import Counts
from reliability.scenario import Explored

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "reliability" / "results.json"
DOCUMENT = ROOT / "docs" / "reliability.md"
_FAULTS = {"crash_after_write": "crash after each write", "throughput_exceeded": "ProvisionedThroughputExceeded "
           "before each call", "transaction_conflict": "TransactionConflict on each transaction"}
_COLUMNS = [("runs", "runs"), ("faults_injected", "faults"), ("events_accepted", "events accepted"),
            ("events_counted", "counted"), ("events_lost", "lost"), ("events_duplicated", "duplicated"),
            ("invoices_expected", "invoices expected"), ("invoices_issued", "issued"),
            ("invoices_duplicated", "duplicated"), ("invoice_number_gaps", "number gaps"),
            ("webhooks_expected", "webhooks"), ("webhooks_delivered", "delivered"),
            ("webhooks_resent", "resent (same key)"), ("webhooks_altered", "altered")]


def results(explored: list[Explored]) -> dict:
    per_scenario = [{"name": each.scenario.name, "phase": each.scenario.phase, "fault": each.scenario.fault,
                     "summary": each.scenario.summary, "runs": each.runs, "faults_injected": each.faults_injected,
                     **each.counts.as_dict(), "failed_runs": each.failed_runs} for each in explored]
    totals = sum((each.counts for each in explored), Counts())
    return {"scenarios": len(explored), **totals.as_dict(), "runs": sum(each.runs for each in explored),
            "faults_injected": sum(each.faults_injected for each in explored), "per_scenario": per_scenario}


def failed(figures: dict) -> bool:
    """Any event lost or duplicated, any invoice missing or duplicated, any run that broke a promise."""
    return bool(figures["events_lost"] or figures["events_duplicated"] or figures["invoices_duplicated"]
                or figures["invoices_issued"] < figures["invoices_expected"]
                or any(scenario["failed_runs"] for scenario in figures["per_scenario"]))


def _row(name: str, figures: dict) -> str:
    return "| " + " | ".join([name] + [str(figures[key]) for key, _ in _COLUMNS]) + " |"


def document(figures: dict) -> str:
    header = "| scenario | " + " | ".join(title for _, title in _COLUMNS) + " |"
    rows = [_row(f"`{scenario['name']}`", scenario) for scenario in figures["per_scenario"]]
    total = _row(f"**total ({figures['scenarios']} scenarios)**", figures)
    described = [f"- `{scenario['name']}` ({scenario['phase']}; {_FAULTS[scenario['fault']]}): {scenario['summary']}"
                 for scenario in figures["per_scenario"]]
    broken = [f"- `{scenario['name']}`, fault at {run}" for scenario in figures["per_scenario"]
              for run in scenario["failed_runs"]]
    return "\n".join([
        (ROOT / "reliability" / "document_head.md").read_text().rstrip(), "",
        "## Scenarios", "", *described, "",
        "## Figures", "",
        "Each figure is summed over the scenario's runs (one run per fault turn, plus the last run, whose turn never "
        "came). Totals are in `reliability/results.json`.", "",
        header, "|" + " --- |" * (len(_COLUMNS) + 1), *rows, total, "",
        "## Runs that broke a promise", "",
        *(broken or ["None."]), "",
    ])


def write(figures: dict) -> None:
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    DOCUMENT.write_text(document(figures))

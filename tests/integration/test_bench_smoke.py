"""`make bench` cannot rot silently: one round of tiny sizes through every in-process path (bench/run.py --smoke),
each figure written with its raw counts, and the table written between the document's markers."""
from __future__ import annotations

import json

from bench.goals import GOALS
from bench.report import BEGIN, END
from bench.run import main

LOCAL_STACK = {"event_to_usage_lag_ms_p99", "local_stack_slowdown_100k"}


def test_one_tiny_round_measures_every_in_process_figure(tmp_path):
    document = tmp_path / "performance.md"
    document.write_text(f"# Performance\n{BEGIN}\nold\n{END}\nafter\n")
    results_file = tmp_path / "results.json"

    assert main(["--smoke", "--results", str(results_file), "--document", str(document)]) == 0

    results = json.loads(results_file.read_text())
    measured = {goal.key for goal in GOALS if "1000_events" not in goal.key and "10000" not in goal.key} - LOCAL_STACK
    assert measured <= results.keys()
    for key in measured:
        assert results[key]["rounds"] == 1 and results[key]["how"], key
    assert results["single_event_requests"]["raw"][0]["requests"] > 0
    assert results["ingest_write_units_per_event"]["raw"][0]["write_units"] > 0
    assert results["cost_per_million_events_spread"]["median"] > 0
    text = document.read_text()
    assert "old" not in text and "| ingestion, write units per event" in text and text.endswith(f"{END}\nafter\n")

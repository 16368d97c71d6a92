"""Schemathesis over the service's served description, shared by the in-process fuzz test (`make test`) and the soak
run against the local stack (`make soak`): every operation, valid cases, invalid ones where it takes a body or a
query, and valid ones on an existing record where its path names one; each answer checked: no 5xx, status code,
content type and body as described."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import requests
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _passes(document: dict, operation, record_id: Callable[[str], str | None]
            ) -> list[tuple[schemathesis.GenerationMode, dict]]:
    """(generation mode, fixed path parameters) of each pass over the operation: valid cases; invalid ones where it
    takes something that can be invalid, a body or a query (a path id is any non-empty string, which leaves nothing
    invalid to send); and valid ones on an existing record, where the path names one and `record_id` knows it."""
    described = document["paths"][operation.path][operation.method.lower()]
    parameters = described.get("parameters", ())
    passes = [(POSITIVE, {})]
    if "requestBody" in described or any(parameter["in"] == "query" for parameter in parameters):
        passes.append((NEGATIVE, {}))
    path_names = [parameter["name"] for parameter in parameters if parameter["in"] == "path"]
    if path_names and (known := record_id(operation.path)) is not None:
        passes.append((POSITIVE, {path_names[0]: known}))
    return passes


def described_operations(document: dict) -> list[tuple[str, str]]:
    return [(method, path) for path, item in document["paths"].items() for method in item]


def fuzz_operations(document: dict, session: requests.Session, base_url: str, api_key: str, cases_per_pass: int, *,
                    record_id: Callable[[str], str | None] = lambda path: None, run_seed: int | None = None,
                    stop_at: float | None = None) -> dict[str, Counter]:
    """Statuses answered per operation label. Derandomized unless `run_seed` is given (each seed other cases);
    with `stop_at` (a time.monotonic() instant), no operation starts after it. Raises at the first answer that
    fails a check."""
    schema = schemathesis.openapi.from_dict(document)
    # Cases without the key would only ever meet the 401 (the route matrix covers it): fuzz what lies behind it.
    schema.config.generation.update(with_security_parameters=False)
    headers = {"Authorization": f"Bearer {api_key}"}
    statuses: dict[str, Counter] = {}
    # Deletes last, so that the other operations find the existing records.
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda operation: operation.method.upper() == "DELETE")
    for operation in operations:
        if stop_at is not None and time.monotonic() >= stop_at:
            break
        for mode, path_parameters in _passes(document, operation, record_id):

            @settings(max_examples=cases_per_pass, derandomize=run_seed is None, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=["generate"])
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def run(case):
                response = case.call(base_url=base_url, session=session, headers=headers)
                statuses.setdefault(operation.label, Counter())[response.status_code] += 1
                case.validate_response(response, checks=CHECKS, headers=headers)

            (run if run_seed is None else seed(run_seed)(run))()
    return statuses


def figures(statuses: dict[str, Counter], seconds: float) -> str:
    """One line: operations, cases, statuses, 5xx, seconds."""
    overall = sum(statuses.values(), Counter())
    return (f"fuzz: {len(statuses)} operations, {overall.total()} cases, statuses {dict(sorted(overall.items()))}, "
            f"{sum(n for status, n in overall.items() if status >= 500)} 5xx, 0 schema failures, {seconds:.1f} s")

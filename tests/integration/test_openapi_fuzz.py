"""Schemathesis against the served description: every operation, cases generated from its schemas (valid ones,
invalid ones, valid ones on an existing record), derandomized, sent to the app behind the API Gateway emulation with a
tenant's key. No 5xx, and every answer a documented status, content type and body. It prints what it ran."""
from __future__ import annotations

import json
import time
from collections import Counter
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
import schemathesis
from described_records import DescribedRecords, create_described_records
from hypothesis import HealthCheck, given, settings
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from urllib3 import HTTPHeaderDict, HTTPResponse

BASE_URL = "http://api.local"
# Cases per operation and pass (`_passes`): about 40 s for the whole run on one core (the limit: 60 s).
CASES_PER_PASS = 15
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class ChaliceAdapter(BaseAdapter):
    """requests' transport to the in-process app (chalice's test client behind the API Gateway emulation)."""

    def __init__(self, http):
        super().__init__()
        self._http = http

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
        answer = self._http.request(request.method, url.path + (f"?{url.query}" if url.query else ""),
                                    headers=dict(request.headers), body=body)
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = HTTPStatus(answer.status_code).phrase
        response.headers = CaseInsensitiveDict(answer.headers)
        # schemathesis reads the headers as urllib3 received them.
        response.raw = HTTPResponse(headers=HTTPHeaderDict(answer.headers), status=answer.status_code, version=11,
                                    preload_content=False)
        response._content = answer.body
        response.request = request
        response.url = request.url
        return response

    def close(self):
        pass


def _session(chalice_http) -> requests.Session:
    session = requests.Session()
    session.mount(BASE_URL, ChaliceAdapter(chalice_http))
    return session


def _passes(document: dict, operation, records: DescribedRecords) -> list[tuple[schemathesis.GenerationMode, dict]]:
    """(generation mode, fixed path parameters) of each pass over the operation: valid cases; invalid ones where it
    takes something that can be invalid, a body or a query (a path id is any non-empty string, which leaves nothing
    invalid to send); and valid ones on the described record, where the path names one."""
    described = document["paths"][operation.path][operation.method.lower()]
    parameters = described.get("parameters", ())
    passes = [(POSITIVE, {})]
    if "requestBody" in described or any(parameter["in"] == "query" for parameter in parameters):
        passes.append((NEGATIVE, {}))
    path_names = [parameter["name"] for parameter in parameters if parameter["in"] == "path"]
    if path_names:
        passes.append((POSITIVE, {path_names[0]: records.id_in(operation.path)}))
    return passes


def test_fuzzing_every_operation_finds_no_5xx_and_no_answer_off_the_description(api, tenant, chalice_http, capsys):
    records = create_described_records(api, tenant)  # so that lists and reads answer real objects
    document = json.loads(chalice_http.request("GET", "/api/v1/openapi.json", headers={}).body)
    schema = schemathesis.openapi.from_dict(document)
    # Cases without the key would only ever meet the 401 (the route matrix covers it): fuzz what lies behind it.
    schema.config.generation.update(with_security_parameters=False)
    session = _session(chalice_http)
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    statuses: dict[str, Counter] = {}
    started = time.monotonic()
    # Deletes last, so that the other operations find the described records.
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda operation: operation.method.upper() == "DELETE")
    for operation in operations:
        for mode, path_parameters in _passes(document, operation, records):

            @settings(max_examples=CASES_PER_PASS, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=["generate"])
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def run(case):
                response = case.call(base_url=BASE_URL, session=session, headers=headers)
                statuses.setdefault(operation.label, Counter())[response.status_code] += 1
                case.validate_response(response, checks=CHECKS, headers=headers)

            run()
    seconds = time.monotonic() - started
    overall = sum(statuses.values(), Counter())
    with capsys.disabled():  # shown in every run, not only when the test fails
        print(f"\nfuzz: {len(operations)} operations, {overall.total()} cases, statuses "
              f"{dict(sorted(overall.items()))}, {sum(n for status, n in overall.items() if status >= 500)} 5xx, "
              f"0 schema failures, {seconds:.1f} s")
        for label, answered in sorted(statuses.items()):
            print(f"  {answered.total():3d} {label} {dict(sorted(answered.items()))}")
    assert len(operations) == len(_described_operations(document)), "operations skipped"
    assert set(statuses) == {operation.label for operation in operations}, "an operation ran no case"
    assert overall.total() >= len(operations)


def _described_operations(document: dict) -> list[tuple[str, str]]:
    return [(method, path) for path, item in document["paths"].items() for method in item]


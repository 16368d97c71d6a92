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
from described_records import create_described_records
from fuzzing import described_operations, figures, fuzz_operations
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict, HTTPResponse

BASE_URL = "http://api.local"
# Cases per operation and pass (tests/fuzzing.py): about 20 s for the whole run on one core (the limit: 60 s).
CASES_PER_PASS = 10


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


def test_fuzzing_every_operation_finds_no_5xx_and_no_answer_off_the_description(api, tenant, chalice_http, capsys):
    records = create_described_records(api, tenant)  # so that lists and reads answer real objects
    document = json.loads(chalice_http.request("GET", "/api/v1/openapi.json", headers={}).body)
    started = time.monotonic()
    statuses = fuzz_operations(document, _session(chalice_http), BASE_URL, tenant.api_key, CASES_PER_PASS,
                               record_id=records.id_in)
    seconds = time.monotonic() - started
    with capsys.disabled():  # shown in every run, not only when the test fails
        print(f"\n{figures(statuses, seconds)}")
        for label, answered in sorted(statuses.items()):
            print(f"  {answered.total():3d} {label} {dict(sorted(answered.items()))}")
    assert len(statuses) == len(described_operations(document)), "an operation ran no case"
    assert sum(statuses.values(), Counter()).total() >= len(statuses)

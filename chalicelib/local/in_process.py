"""The local stack's own AWS requests (the API's, the pollers', the biller's) handed to moto's server application in
the process, not over a socket (nothing here runs in AWS). moto's server (werkzeug) closes every connection after
one answer: each request of the stack paid a TCP connection, a thread and the sockets' wake-ups on top of what moto
does, and 100,000 events loaded at about 100 a second. The same application answers them (its one-request-at-a-time
lock, its recorder), and other processes (the CLI, the tests, the AWS CLI) still reach it on the DynamoDB port."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import MockRawResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app

WsgiApplication = Callable[..., Any]


def _answer(application: WsgiApplication, request: AWSPreparedRequest) -> AWSResponse:
    url = urlsplit(request.url)
    body = request.body.read() if hasattr(request.body, "read") else request.body
    headers = {name: value.decode() if isinstance(value, bytes) else value for name, value in request.headers.items()}
    environ = EnvironBuilder(path=url.path or "/", query_string=url.query, method=request.method,
                             headers=headers, data=body or b"",
                             base_url=f"{url.scheme}://{url.netloc}").get_environ()
    answer, status, answer_headers = run_wsgi_app(application, environ, buffered=True)
    return AWSResponse(request.url, int(status.split(" ", 1)[0]), dict(answer_headers.items()),
                       MockRawResponse(b"".join(answer)))


def route_in_process(application: WsgiApplication, endpoint_url: str) -> None:
    """Send what this process's boto3 clients (those of the default session, created from now on) address to
    `endpoint_url` to `application`, in the calling thread."""
    def send(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        return _answer(application, request) if request.url.startswith(endpoint_url) else None

    boto3._get_default_session().events.register("before-send", send)  # noqa: SLF001 - boto3.client()'s session

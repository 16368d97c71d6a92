"""What API Gateway does before a request reaches Lambda, as the local stack and the tests need it:
path parameters arrive percent-decoded, and a request that matches no route (or uses a verb such as TRACE that API
Gateway has no method for) gets the template's Lago-shaped gateway response instead of chalice local's 403 "Missing
Authentication Token" (or Python's 501 page)."""
from __future__ import annotations

import functools
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import unquote

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    EventType,
    ForbiddenError,
    HeaderType,
    LocalDevServer,
    LocalGateway,
    ResponseType,
)

from chalicelib.api.gateway_responses import UNKNOWN_ROUTE, lambda_proxy_response


class ApiGatewayEmulation(LocalGateway):
    def _generate_lambda_event(self, method: str, path: str, headers: HeaderType, body: bytes | None) -> EventType:
        event = super()._generate_lambda_event(method, path, headers, body)
        # API Gateway decodes each path parameter once (UTF-8); `%2F` inside an id stays in that id.
        event["pathParameters"] = {name: unquote(value, errors="strict")
                                   for name, value in (event["pathParameters"] or {}).items()}
        return event

    def handle_request(self, method: str, path: str, headers: HeaderType, body: bytes | None) -> ResponseType:
        try:
            return super().handle_request(method, path, headers, body)
        except ForbiddenError:
            # Without authorizers, chalice raises this only when no route matches the path (or the
            # path is not valid percent-encoded UTF-8).
            return lambda_proxy_response(UNKNOWN_ROUTE)


class ApiGatewayRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: bytes, client_address: tuple[str, int], server: HTTPServer, app_object: Chalice,
                 config: Config):
        self.local_gateway = ApiGatewayEmulation(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def handle(self) -> None:
        """A client that drops a request it no longer wants (htmx replacing a search in flight, a page left before its
        answer) ends that connection; it is no server error to print a traceback for."""
        try:
            super().handle()
        except ConnectionError:
            self.close_connection = True

    def __getattr__(self, name: str):
        """`do_TRACE`, `do_CONNECT`, `do_FOO`: a verb API Gateway has no method for gets the unknown route's
        Lago-shaped answer (its body read first, so the connection stays in step), never Python's 501 page."""
        if not name.startswith("do_"):
            raise AttributeError(name)
        return self._unknown_verb

    def _unknown_verb(self) -> None:
        self._parse_payload()
        response = lambda_proxy_response(UNKNOWN_ROUTE)
        self._send_http_response(response["statusCode"], dict(response["headers"]), response["body"])


def use_api_gateway_emulation(dev_server: LocalDevServer) -> None:
    """Make a chalice LocalDevServer answer as the deployed API Gateway does."""
    dev_server.server.RequestHandlerClass = functools.partial(
        ApiGatewayRequestHandler, app_object=dev_server.app_object,
        config=dev_server._wrapped_handler.keywords["config"])

"""The console's Blueprint: each view answers with the security headers; a signed-in view gets the request's
session (or the browser is sent to sign in), and a signed-in POST needs its session's CSRF token."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from chalice import Blueprint, Response

from chalicelib.console.http import (
    console_root,
    form,
    from_foreign_origin,
    html,
    redirect,
    session_cookie_value,
    with_security_headers,
)
from chalicelib.console.pages import render
from chalicelib.control_plane import console_sessions
from chalicelib.domain.clock import utc_now
from chalicelib.domain.console_sessions import same_token
from chalicelib.domain.errors import Contention, NotFound
from chalicelib.observability import logger
from chalicelib.usecases.console_sessions import SignedIn

FORM = ["application/x-www-form-urlencoded"]
CSRF_FIELD = "csrf_token"


def _answered(view: Callable[..., Response], *args: object, **params: str) -> Response:
    """The view's answer with the security headers; concurrent writers that kept winning are a page saying so, and
    any other failure a page too (logged, never a trace shown)."""
    try:
        response = view(*args, **params)
    except Contention:
        response = html("<!doctype html><title>Try again</title><p>Someone changed this at the same time: "
                        "go back and try again.</p>", status_code=503)
    except Exception:  # noqa: BLE001 - the console's last line of defence, as the API's middleware is the API's
        logger.exception("console view failed")
        response = html("<!doctype html><title>Something went wrong</title><p>Something went wrong on our side "
                        "and nothing was changed by it: try again in a moment.</p>", status_code=500)
    return with_security_headers(response)


def _not_found(root: str, signed_in: SignedIn, missing: NotFound) -> Response:
    return html(render("not_found.html", root=root, signed_in=signed_in, what=missing.resource), status_code=404)


def forbidden() -> Response:
    return html("<!doctype html><title>Forbidden</title><p>Forbidden: the form was not sent from this console.</p>",
                status_code=403)


def _accepting(methods: list[str]) -> dict[str, Any]:
    """A form POST's content type (Chalice accepts only JSON bodies unless told)."""
    return {"content_types": FORM} if "POST" in methods else {}


class ConsoleBlueprint(Blueprint):
    def public(self, path: str, methods: list[str]) -> Callable[[Callable[..., Response]], Any]:
        """A view anyone may open (the sign-in page, the assets)."""
        def register(view: Callable[..., Response]) -> Any:
            @wraps(view)
            def answered(**params: str) -> Response:
                if self.current_request.method == "POST" and from_foreign_origin(self.current_request):
                    return with_security_headers(forbidden())
                return _answered(view, **params)
            return self.route(path, methods=methods, **_accepting(methods))(answered)
        return register

    def signed_in(self, path: str, methods: list[str]) -> Callable[[Callable[..., Response]], Any]:
        """A view of the signed-in organization: `view(signed_in, **path_parameters)`; a record it does not find
        (NotFound) is the console's 404 page."""
        def register(view: Callable[..., Response]) -> Any:
            @wraps(view)
            def answered(**params: str) -> Response:
                request = self.current_request
                cookie = session_cookie_value(request)
                signed_in = console_sessions().signed_in(cookie, utc_now()) if cookie else None
                if signed_in is None:
                    return with_security_headers(redirect(f"{console_root(request)}/sign-in"))
                if request.method == "POST" and (from_foreign_origin(request)
                                                 or not same_token(form(request).get(CSRF_FIELD, ""),
                                                                   signed_in.csrf_token)):
                    return with_security_headers(forbidden())
                return _answered(self._found, view, signed_in, **params)
            return self.route(path, methods=methods, **_accepting(methods))(answered)
        return register

    def _found(self, view: Callable[..., Response], signed_in: SignedIn, **params: str) -> Response:
        try:
            return view(signed_in, **params)
        except NotFound as missing:
            return _not_found(console_root(self.current_request), signed_in, missing)

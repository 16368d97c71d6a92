"""Signing in and out of the console, and its root."""
from __future__ import annotations

from chalice import Response

from chalicelib.console.blueprint import ConsoleBlueprint
from chalicelib.console.http import cleared_session_cookie, console_root, form, html, redirect, session_cookie
from chalicelib.console.pages import render
from chalicelib.control_plane import console_sessions
from chalicelib.domain.clock import utc_now
from chalicelib.usecases.console_sessions import SignedIn

sessions = ConsoleBlueprint(__name__)


def _sign_in_page(invalid: bool = False) -> Response:
    root = console_root(sessions.current_request)
    return html(render("sign_in.html", root=root, invalid=invalid), status_code=401 if invalid else 200)


@sessions.public("/sign-in", methods=["GET"])
def sign_in_page() -> Response:
    return _sign_in_page()


@sessions.public("/sign-in", methods=["POST"])
def sign_in() -> Response:
    """The key is read from the form body only, and never logged."""
    request = sessions.current_request
    cookie = console_sessions().sign_in(form(request).get("api_key", "").strip(), utc_now())
    if cookie is None:
        return _sign_in_page(invalid=True)
    return redirect(f"{console_root(request)}/customers", {"Set-Cookie": session_cookie(request, cookie)})


@sessions.signed_in("/sign-out", methods=["POST"])
def sign_out(signed_in: SignedIn) -> Response:
    console_sessions().sign_out(signed_in)
    request = sessions.current_request
    return redirect(f"{console_root(request)}/sign-in", {"Set-Cookie": cleared_session_cookie(request)})


@sessions.signed_in("/", methods=["GET"])
def home(signed_in: SignedIn) -> Response:
    return redirect(f"{console_root(sessions.current_request)}/customers")

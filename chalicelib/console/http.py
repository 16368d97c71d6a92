"""What every console answer shares: the security headers, HTML and redirect answers, the session cookie, the
console's root under an API Gateway stage prefix, and a form body."""
from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

from chalice import Response
from chalice.app import Request

from chalicelib.domain.console_sessions import SESSION_LIFETIME

CONSOLE_PATH = "/console"
SESSION_COOKIE = "console_session"
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
                                "frame-ancestors 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
LAST_PAGE = 9_999


def console_root(request: Request) -> str:
    """`/console` behind whatever prefix the client's path has before it (API Gateway's stage, `/dev/console`):
    the public path of the request minus the path the app routed."""
    public_path = str(request.context.get("path", ""))
    routed_path = str(request.to_original_event().get("path") or public_path)
    prefix = public_path[:-len(routed_path)] if routed_path and public_path.endswith(routed_path) else ""
    return prefix.rstrip("/") + CONSOLE_PATH


def with_security_headers(response: Response) -> Response:
    response.headers = {**SECURITY_HEADERS, **(response.headers or {})}
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def html(body: str, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status_code,
                    headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})})


def redirect(location: str, headers: dict[str, str] | None = None) -> Response:
    """303 See Other: the browser follows with a GET (after a form POST too)."""
    return Response(body="", status_code=303, headers={"Location": location, **(headers or {})})


def _is_local(request: Request) -> bool:
    host = urlsplit("//" + request.headers.get("host", "")).hostname or ""
    return host in LOCAL_HOSTS


def session_cookie(request: Request, value: str) -> str:
    """The Set-Cookie of a new session: signed, HttpOnly, SameSite=Strict, Secure off localhost, for 12 hours."""
    secure = "" if _is_local(request) else "; Secure"
    return (f"{SESSION_COOKIE}={value}; Path={console_root(request)}; Max-Age={int(SESSION_LIFETIME.total_seconds())}"
            f"; HttpOnly; SameSite=Strict{secure}")


def cleared_session_cookie(request: Request) -> str:
    secure = "" if _is_local(request) else "; Secure"
    return f"{SESSION_COOKIE}=; Path={console_root(request)}; Max-Age=0; HttpOnly; SameSite=Strict{secure}"


def session_cookie_value(request: Request) -> str | None:
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(request.headers.get("cookie", ""))
    except CookieError:
        return None
    morsel = cookies.get(SESSION_COOKIE)
    return morsel.value if morsel else None


def form(request: Request) -> dict[str, str]:
    """A form-urlencoded body's fields (the first value of each)."""
    body = request.raw_body or b""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    fields = parse_qs(text, keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def query(request: Request, name: str) -> str | None:
    return request.query_params.get(name) if request.query_params else None


def bounded_number(text: str | None, default: int, highest: int) -> int:
    """A whole number typed in a form or a query, between 1 and `highest`; `default` for anything else (`²` is a
    digit that int() refuses, and a number of thousands of digits too)."""
    number = int(text) if text and text.isdecimal() and len(text) <= len(str(highest)) else default
    return min(max(number, 1), highest)


def page_number(request: Request) -> int:
    """The page the query's `page` names: 1 to LAST_PAGE, 1 for anything else."""
    return bounded_number(query(request, "page"), 1, LAST_PAGE)


def from_foreign_origin(request: Request) -> bool:
    """Whether a browser says the request comes from another site's page (its Origin names another host)."""
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host", "")

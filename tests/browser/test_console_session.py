"""Signing in and out of the console in Chromium: the session cookie, the navigation, the CSRF token, the
Content-Security-Policy."""
from __future__ import annotations

import re

import pytest
from console import CONSOLE, sign_in, signed_in
from playwright.sync_api import Page, Response, expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

NAVIGATION = ("Customers", "Billable metrics", "Plans", "Invoices")


def test_a_good_key_lands_on_the_customers_list_with_a_session_cookie(page: Page, api_key: str):
    sign_in(page, api_key)

    expect(page).to_have_url(re.compile(r"/console/customers/?$"))
    expect(page.get_by_role("heading", level=1, name="Customers")).to_be_visible()
    cookies = page.context.cookies()
    assert cookies, "signing in set no cookie"
    for cookie in cookies:
        assert cookie["httpOnly"], cookie
        assert cookie["sameSite"] == "Strict", cookie
        assert api_key not in cookie["value"], "the session cookie carries the API key"


def test_a_wrong_key_shows_invalid_api_key_and_signs_nobody_in(page: Page):
    sign_in(page, "not_a_key_0123456789abcdef")

    expect(page.get_by_text("Invalid API key")).to_be_visible()
    expect(page.get_by_label("API key")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert "not_a_key" not in page.url


def test_every_page_offers_the_navigation_and_sign_out(page: Page, api_key: str):
    signed_in(page, api_key)

    for name in NAVIGATION:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_sign_out_ends_the_session_even_for_its_old_cookie(page: Page, api_key: str):
    signed_in(page, api_key)
    customers_url = page.url
    old_cookies = page.context.cookies()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()

    page.goto(customers_url)
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.context.clear_cookies()
    page.context.add_cookies(old_cookies)  # a copy of the cookie kept from before signing out
    page.goto(customers_url)
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def script_sources(response: Response) -> str:
    """The script sources a response's Content-Security-Policy allows (script-src, else default-src)."""
    policy = response.headers.get("content-security-policy")
    assert policy, f"{response.url} sends no Content-Security-Policy"
    directives = dict(f"{directive.strip()} ".split(" ", 1) for directive in policy.split(";") if directive.strip())
    sources = directives.get("script-src", directives.get("default-src"))
    assert sources is not None, f"the policy restricts no scripts: {policy}"
    return sources


def test_pages_forbid_inline_scripts(page: Page, api_key: str):
    sign_in_page = page.goto(CONSOLE)
    assert sign_in_page is not None
    signed_in(page, api_key)
    customers = page.goto(page.url)
    assert customers is not None

    for response in (sign_in_page, customers):
        assert "'unsafe-inline'" not in script_sources(response)
    # Chromium enforces it: a script written into the page does not run.
    ran = page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.inlineScriptRan = true';
        document.head.appendChild(script);
        return window.inlineScriptRan === true;
    }""")
    assert ran is False


def test_a_form_with_a_forged_csrf_token_is_refused_and_changes_nothing(page: Page, api_key: str):
    signed_in(page, api_key)
    customers_url = page.url
    sign_out = page.locator("form", has=page.get_by_role("button", name="Sign out"))
    sign_out.locator("input[name=csrf_token]").evaluate("field => field.value = 'forged'")

    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name="Sign out").click()

    assert posted.value.status == 403
    page.goto(customers_url)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

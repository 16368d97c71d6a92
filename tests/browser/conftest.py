"""The browser tests' fixtures: one organization on the test process's local stack (tests/conftest.py `stack`) and
one headless Chromium (Debian's, at /usr/bin/chromium) per session, and a fresh browser context (no cookies) for each
test."""
from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from console import lago_api
from local_stack import RunningStack
from operator_cli import create_organization
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
# A missing element fails a test in seconds, not Playwright's default 30 s.
TIMEOUT_MILLISECONDS = 10_000


def chromium_flags() -> list[str]:
    """Chromium's sandbox needs user namespaces a root process in a container does not get."""
    return ["--no-sandbox"] if os.geteuid() == 0 else []


@pytest.fixture(scope="session")
def api_key(stack: RunningStack) -> str:
    """A new organization's key (through the operator's CLI): the tests see only the customers they create."""
    _organization_id, key = create_organization(stack, "Browser Tests")
    return key


@pytest.fixture(scope="session")
def api(stack: RunningStack, api_key: str) -> Iterator[httpx.Client]:
    with lago_api(stack, api_key) as client:
        yield client


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make suite` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=chromium_flags())
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, stack: RunningStack) -> Iterator[BrowserContext]:
    fresh = browser.new_context(base_url=stack.api_url, viewport=VIEWPORT)
    fresh.set_default_timeout(TIMEOUT_MILLISECONDS)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()

"""The end-to-end tests' fixtures: each module in an organization of its own on the test process's local stack
(tests/conftest.py `stack`), the tests of a module on one worker under `make test` (`--dist loadscope`), and clients
on the module's key."""
from __future__ import annotations

import httpx
import pytest
from lago_python_client.client import Client
from operator_cli import create_organization


@pytest.fixture(scope="module")
def organization(stack, request) -> tuple[str, str]:
    """(organization id, API key) of a new organization, created by the operator's CLI for this module alone."""
    return create_organization(stack, request.module.__name__)


@pytest.fixture(scope="module")
def api_key(organization) -> str:
    return organization[1]


@pytest.fixture(scope="module")
def client(stack, api_key) -> Client:
    """Lago's official Python client, on the module's key."""
    return Client(api_key=api_key, api_url=stack.api_url)


@pytest.fixture(scope="module")
def http(stack, api_key):
    """Plain HTTP with the same key, where the client cannot go."""
    with httpx.Client(base_url=stack.api_url, timeout=10,
                      headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}) as session:
        yield session

"""The end-to-end tests' fixtures: each module's own local stack (tests/local_stack.py), the tests of a module on one
worker under `make test` (`--dist loadscope`), and clients on the bootstrap organization's key."""
from __future__ import annotations

import httpx
import pytest
from lago_python_client.client import Client
from local_stack import running_stack


@pytest.fixture(scope="module")
def stack():
    with running_stack() as running:
        yield running


@pytest.fixture(scope="module")
def client(stack) -> Client:
    """Lago's official Python client, on the bootstrap organization's key."""
    return Client(api_key=stack.api_key, api_url=stack.api_url)


@pytest.fixture(scope="module")
def http(stack):
    """Plain HTTP with the same key, where the client cannot go."""
    with httpx.Client(base_url=stack.api_url, timeout=10,
                      headers={"Authorization": f"Bearer {stack.api_key}",
                               "Content-Type": "application/json"}) as session:
        yield session

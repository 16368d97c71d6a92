"""The admin CLI as an operator runs it against the running local stack (its DynamoDB endpoint, local
credentials), shared by the end-to-end and the browser tests."""
from __future__ import annotations

import os
import subprocess
import sys

from local_stack import ROOT


def cli(stack, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update({"AWS_ENDPOINT_URL": stack.dynamodb_url, "AWS_ACCESS_KEY_ID": "local",
                        "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true"})
    result = subprocess.run([sys.executable, "-m", "chalicelib.cli", *arguments], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, f"{arguments}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def last_line(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1].strip()


def create_organization(stack, name: str) -> tuple[str, str]:
    """(organization id, API key) of a new organization."""
    result = cli(stack, "create-organization", "--name", name)
    api_key = last_line(result)
    organization_id = next(line.split(":", 1)[1].strip() for line in result.stdout.splitlines()
                           if line.startswith("organization_id:"))
    return organization_id, api_key

"""The local stack started exactly as `make run` starts it: `python -m chalicelib.cli serve` in a subprocess,
on free ports of 127.0.0.1, stopped with Ctrl-C (SIGINT) and checked to stop cleanly; shared by the end-to-end and
the browser tests.

Under `make test`'s parallel workers each stack is its own: ports the kernel hands out (picked again should another
process take one first), no file written."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
API_KEY = "e2e_bootstrap_key_0123456789abcdef"
READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 5


def free_ports(count: int) -> list[int]:
    """Distinct ports the kernel calls free now (all probes held open together, so they differ)."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind((HOST, 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def local_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def port_is_free(port: int) -> bool:
    """Whether a server could listen on the port again. SO_REUSEADDR as every server sets it (moto's
    werkzeug, http.server, the stack's own check): TIME_WAIT leftovers don't count, a listener does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
            probe.listen(1)
        except OSError:
            return False
    return True


@dataclass
class RunningStack:
    process: subprocess.Popen
    api_port: int
    dynamodb_port: int
    api_key: str
    lines: list[str] = field(default_factory=list)
    stop_seconds: float | None = None

    @property
    def api_url(self) -> str:
        return local_url(self.api_port)

    @property
    def dynamodb_url(self) -> str:
        return local_url(self.dynamodb_port)

    def output(self) -> str:
        return "".join(self.lines)


def _drain(process: subprocess.Popen, lines: list[str], ready: threading.Event) -> None:
    """Read the stack's output to the end: a pipe left unread would block the stack once it is full."""
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Ready"):
            ready.set()
    ready.set()  # EOF: the stack exited; the fixture reports its output


def _stack_environment(api_port: int, dynamodb_port: int) -> dict:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("AWS_") and name not in {"BILLING_API_KEY", "PORT", "DYNAMODB_PORT"}}
    environment.update({"PORT": str(api_port), "DYNAMODB_PORT": str(dynamodb_port), "BILLING_API_KEY": API_KEY,
                        "BILLER_INTERVAL_SECONDS": "5", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true", "PYTHONUNBUFFERED": "1"})
    return environment


def _start(api_port: int, dynamodb_port: int) -> tuple[RunningStack, threading.Thread]:
    process = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "serve"], cwd=ROOT,
                               env=_stack_environment(api_port, dynamodb_port), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    running = RunningStack(process, api_port, dynamodb_port, API_KEY)
    ready = threading.Event()
    reader = threading.Thread(target=_drain, args=(process, running.lines, ready), daemon=True)
    reader.start()
    if not ready.wait(READY_TIMEOUT_SECONDS) or process.poll() is not None:
        process.kill()
        process.wait(5)
        reader.join(5)
    return running, reader


@contextmanager
def running_stack() -> Iterator[RunningStack]:
    """The local stack from start to a checked stop: a clean exit soon after Ctrl-C, its ports free again."""
    for _attempt in range(3):
        api_port, dynamodb_port = free_ports(2)
        running, reader = _start(api_port, dynamodb_port)
        # Another process may take a port between free_port() and the stack's bind: pick others then.
        if running.process.returncode is None or "is in use" not in running.output():
            break
    process = running.process
    if process.returncode is not None:
        pytest.fail(f"the local stack did not print 'Ready' within {READY_TIMEOUT_SECONDS} s "
                    f"(exit code {process.returncode}); its output:\n{running.output()}")
    assert f"API key:           {API_KEY}" in running.output(), running.output()
    assert f"AWS_ENDPOINT_URL:  {running.dynamodb_url}" in running.output(), running.output()

    yield running

    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        returncode = process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)  # the stack prints its threads' stacks (chalicelib/local/stack.py)
        time.sleep(1)
        process.kill()
        process.wait(5)
        pytest.fail(f"the local stack did not stop within {STOP_TIMEOUT_SECONDS} s of SIGINT; its output:\n"
                    f"{running.output()}")
    running.stop_seconds = time.monotonic() - started
    reader.join(5)
    print(f"\nlocal stack stopped {running.stop_seconds:.2f} s after SIGINT")
    assert returncode == 0, f"exit code {returncode}; output:\n{running.output()}"
    assert "Traceback" not in running.output(), running.output()
    assert port_is_free(api_port), f"API port {api_port} still in use after the stack stopped"
    assert port_is_free(dynamodb_port), f"DynamoDB port {dynamodb_port} still in use after the stack stopped"

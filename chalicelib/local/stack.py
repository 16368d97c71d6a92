"""`make run`: the whole product in one process on 127.0.0.1, with the same handlers as in AWS.

moto's server (DynamoDB and SQS, in memory; the stack's own requests reach its application in the process,
in_process.py), the tables and the webhook queues from the deployment's
definitions, a bootstrap organization, the API (chalice's local server behind the API Gateway emulation), one
poller per stream handler (each on its table's stream), one on each queue (webhooks, billing work), and a timer
that fires the biller."""
from __future__ import annotations

import faulthandler
import importlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import boto3
from chalice.app import BaseEventSourceConfig, DynamoDBEventConfig, SQSEventConfig
from chalice.cli import create_local_server
from chalice.cli.factory import CLIFactory
from chalice.local import LambdaContext
from moto.server import ThreadedMotoServer

from chalicelib.billing.fanout import BILLING_QUEUE_ARN_PLACEHOLDER
from chalicelib.billing.work_queue import create_billing_queue
from chalicelib.control_plane import organization_use_cases
from chalicelib.local import moto_fixes
from chalicelib.local.gateway import use_api_gateway_emulation
from chalicelib.local.in_process import route_in_process
from chalicelib.local.polling import LambdaHandler
from chalicelib.local.queue_poller import QueuePoller
from chalicelib.local.stream_poller import StreamPoller, wake_on_stream_writes
from chalicelib.observability import logger
from chalicelib.store.tables import ALL_TABLES, create_tables, table_of_stream_placeholder
from chalicelib.webhooks.queue import WEBHOOK_QUEUE_ARN_PLACEHOLDER, create_webhook_queues

PROJECT_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def scheduled_event(now: datetime) -> dict:
    """An EventBridge scheduled event, as Lambda gives it to the biller (its `time` is UTC, whole seconds)."""
    now = now.astimezone(timezone.utc)
    return {"version": "0", "id": "local", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "000000000000", "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "us-east-1",
            "resources": [], "detail": {}}


def fire_biller(now: datetime):
    app_module = importlib.import_module("app")
    return app_module.bill(scheduled_event(now), LambdaContext("biller", 512))


def _handler(app_module: ModuleType, source: BaseEventSourceConfig) -> LambdaHandler:
    """The app's function an event source calls."""
    return getattr(app_module, source.handler_string.split(".")[-1])


def _local_aws_environment(dynamodb_port: int) -> None:
    os.environ.update({
        "AWS_ENDPOINT_URL": f"http://{HOST}:{dynamodb_port}",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled", "AWS_EC2_METADATA_DISABLED": "true",
    })
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


# How often the main thread wakes to run a pending Ctrl-C or SIGTERM handler (`serve`).
SIGNAL_CHECK_SECONDS = 0.2


class LocalStack:
    def __init__(self, api_port: int, dynamodb_port: int, biller_interval_seconds: float):
        self.api_port = api_port
        self.dynamodb_port = dynamodb_port
        self.biller_interval_seconds = biller_interval_seconds
        self.stop_requested = threading.Event()
        self._threads: list[threading.Thread] = []
        self._moto: ThreadedMotoServer | None = None
        self._api = None

    def start(self) -> str:
        """Start everything; returns the bootstrap organization's API key."""
        for port in (self.api_port, self.dynamodb_port):
            if not _port_is_free(port):
                raise SystemExit(f"port {port} on {HOST} is in use; set PORT / DYNAMODB_PORT")
        _local_aws_environment(self.dynamodb_port)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
        moto_fixes.install()
        wake_on_stream_writes()
        self._moto = ThreadedMotoServer(ip_address=HOST, port=self.dynamodb_port, verbose=False)
        self._moto.start()
        route_in_process(self._moto._server.app, os.environ["AWS_ENDPOINT_URL"])  # noqa: SLF001 - its one app
        create_tables(boto3.client("dynamodb"))
        # Receivers of a local stack listen on this machine: the SSRF rule would refuse them (docs/webhooks.md).
        os.environ.update({"WEBHOOK_QUEUE_URL": create_webhook_queues(boto3.client("sqs")),
                           "BILLING_QUEUE_URL": create_billing_queue(boto3.client("sqs")),
                           "WEBHOOK_ALLOW_PRIVATE_URLS": "true"})
        _, api_key = organization_use_cases().create(os.environ.get("BILLING_ORGANIZATION_NAME", "Local Organization"),
                                                     os.environ.get("BILLING_API_KEY") or None)
        factory = CLIFactory(str(PROJECT_DIR), environ=os.environ)
        self._api = create_local_server(factory, HOST, self.api_port, "dev")
        use_api_gateway_emulation(self._api)
        self._spawn(threading.Thread(target=self._api.server.serve_forever, name="api", daemon=True))
        self._start_stream_pollers()
        self._start_queue_pollers()
        self._spawn(threading.Thread(target=self._biller_timer, name="biller-timer", daemon=True))
        return api_key

    def _spawn(self, thread: threading.Thread) -> None:
        thread.start()
        self._threads.append(thread)

    def _start_stream_pollers(self) -> None:
        app_module = importlib.import_module("app")
        streams, dynamodb = boto3.client("dynamodbstreams"), boto3.client("dynamodb")
        for source in app_module.app.event_sources:
            if isinstance(source, DynamoDBEventConfig):
                # The handler's placeholder ARN names its table (the template wires the same stream).
                table = table_of_stream_placeholder(source.stream_arn)
                stream_arn = dynamodb.describe_table(TableName=table.name)["Table"]["LatestStreamArn"]
                self._spawn(StreamPoller(streams, stream_arn, _handler(app_module, source), source.batch_size,
                                         self.stop_requested))

    def _start_queue_pollers(self) -> None:
        """The webhook queue's handler and the billing work queue's (the biller's fan-out, test clocks' advances)."""
        app_module = importlib.import_module("app")
        sqs = boto3.client("sqs")
        urls = {WEBHOOK_QUEUE_ARN_PLACEHOLDER: os.environ["WEBHOOK_QUEUE_URL"],
                BILLING_QUEUE_ARN_PLACEHOLDER: os.environ["BILLING_QUEUE_URL"]}
        for source in app_module.app.event_sources:
            if isinstance(source, SQSEventConfig) and source.queue_arn in urls:
                self._spawn(QueuePoller(sqs, urls[source.queue_arn], _handler(app_module, source),
                                        source.batch_size, self.stop_requested))

    def _biller_timer(self) -> None:
        while not self.stop_requested.wait(self.biller_interval_seconds):
            try:
                fire_biller(datetime.now(timezone.utc))
            except Exception:  # noqa: BLE001 - a failed run must not stop the next ones (as EventBridge)
                logger.exception("biller run failed")

    def stop(self, timeout_seconds: float = 3.0) -> None:
        """Stop everything started so far (also after a partial start) and free both ports."""
        self.stop_requested.set()
        if self._api is not None:
            self._api.server.shutdown()  # returns within serve_forever's 0.5 s poll interval
            self._api.server.server_close()
        # Let the pollers and the timer finish their current call while DynamoDB still answers.
        deadline = time.monotonic() + timeout_seconds
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._moto is not None:
            self._moto.stop()
            server = getattr(self._moto, "_server", None)
            if server is not None:
                server.server_close()  # ThreadedMotoServer.stop() leaves its listening socket open


def serve() -> None:
    stack = LocalStack(api_port=int(os.environ.get("PORT", "8000")),
                       dynamodb_port=int(os.environ.get("DYNAMODB_PORT", "8001")),
                       biller_interval_seconds=float(os.environ.get("BILLER_INTERVAL_SECONDS", "3600")))
    try:
        api_key = stack.start()
    except KeyboardInterrupt:  # Ctrl-C before the stack was ready
        stack.stop()
        sys.exit(130)
    tables = ", ".join(spec.name for spec in ALL_TABLES)
    print(f"API:               http://{HOST}:{stack.api_port}", flush=True)
    print(f"API key:           {api_key}", flush=True)
    print(f"AWS_ENDPOINT_URL:  {os.environ['AWS_ENDPOINT_URL']}  (tables: {tables})", flush=True)
    print(f"Webhook queue:     {os.environ['WEBHOOK_QUEUE_URL']}", flush=True)
    print(f"Billing queue:     {os.environ['BILLING_QUEUE_URL']}", flush=True)
    print("Ready. Ctrl-C stops everything.", flush=True)
    # `kill -USR1` prints every thread's stack: what a stop that does not end is waiting for.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    stopping = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())
    # Wait in slices, not once without a timeout: one CI run saw a SIGINT left unhandled for 5 s while the other
    # threads ran on. Python runs a handler when the main thread next runs bytecode; a slice's end is such a moment,
    # whether or not the signal interrupted the wait.
    while not stopping.wait(SIGNAL_CHECK_SECONDS):
        pass
    stack.stop()
    print("Stopped.", flush=True)
    sys.exit(0)

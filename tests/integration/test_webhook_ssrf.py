"""The SSRF rule at delivery: in production settings a URL whose host resolves to a non-public address is refused
before any connection (a permanent failure: recorded, never retried); the local stack's setting allows them. The
connection goes to the address that was checked (no second DNS lookup), while the Host header and TLS use the
URL's hostname; redirects are not followed."""
from __future__ import annotations

import datetime as dt
import socket
import ssl

import pytest
from builders import create_customer
from webhook_fixtures import hmac_key_of, pipeline, receiver, set_webhook_url
from webhook_receiver import Receiver, verifies

from chalicelib.store.repositories import repositories

__all__ = ["pipeline", "receiver"]  # fixtures


def only_webhook(tenant):
    [webhook] = repositories().webhooks.list(tenant.organization_id)
    return webhook


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "localhost",
                                  "[::ffff:127.0.0.1]"])
def test_loopback_in_any_spelling_is_refused_and_never_connected(api, tenant, pipeline, receiver, monkeypatch, host):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_URLS", "false")
    set_webhook_url(api, f"http://{host}:{receiver.port}/hooks")
    create_customer(api, "acme")

    pipeline.run()

    assert receiver.received == []
    refused = only_webhook(tenant)
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert refused.last_error.startswith("refused: ")
    assert pipeline.visibility_changes == []  # settled at once: no retry can change the answer
    assert pipeline.messages_in(pipeline.queue_url) == 0


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://100.64.0.1/",
                                 "http://[fe80::1]/", "http://224.0.0.1/", "http://0.0.0.0/"])
def test_private_addresses_never_reach_the_transport(api, tenant, pipeline, monkeypatch, url):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_URLS", "false")
    posted = []
    monkeypatch.setattr("chalicelib.webhooks.delivery.post", lambda *arguments: posted.append(arguments) or 200)
    set_webhook_url(api, url)
    create_customer(api, "acme")

    pipeline.run()

    assert posted == []
    assert only_webhook(tenant).status == "failed"


def test_the_setting_allows_loopback(api, tenant, pipeline, receiver):
    set_webhook_url(api, f"http://2130706433:{receiver.port}/hooks")  # the fixture sets the local stack's setting
    create_customer(api, "acme")
    pipeline.run()
    assert len(receiver.received) == 1 and only_webhook(tenant).status == "delivered"


class RebindingResolver:
    """A DNS name whose first answer is the receiver's address and every later one another address: a second
    lookup by the sender would connect elsewhere."""

    def __init__(self, name: str, first: str, later: str):
        self.name, self.answers, self.later = name, [first], later
        self.lookups = 0
        self._real = socket.getaddrinfo

    def __call__(self, host, port, *arguments, **options):
        if host != self.name:
            return self._real(host, port, *arguments, **options)
        self.lookups += 1
        address = self.answers.pop(0) if self.answers else self.later
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def test_the_connection_goes_to_the_checked_address_with_the_hostname_in_host(api, tenant, pipeline, receiver,
                                                                              monkeypatch):
    resolver = RebindingResolver("hooks.test", "127.0.0.1", "127.0.0.2")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    set_webhook_url(api, f"http://hooks.test:{receiver.port}/hooks")
    create_customer(api, "acme")

    pipeline.run()

    assert resolver.lookups == 1
    [received] = receiver.received
    assert received.headers["Host"] == f"hooks.test:{receiver.port}"
    assert only_webhook(tenant).status == "delivered"


def test_a_redirect_is_a_failed_attempt_not_followed(api, tenant, pipeline, receiver):
    receiver.script = [307]
    set_webhook_url(api, receiver.url)
    create_customer(api, "acme")
    pipeline.pump_stream()
    pipeline.pump_queue()
    assert len(receiver.received) == 1
    pending = only_webhook(tenant)
    assert (pending.status, pending.last_status_code) == ("pending", 307)


def _self_signed(directory, hostname: str) -> tuple[str, str]:
    """A certificate for `hostname`, its own issuer, and its key: (certificate path, key path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    certificate_path, key_path = directory / f"{hostname}.pem", directory / f"{hostname}.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(certificate_path), str(key_path)


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An HTTPS receiver on loopback with a certificate for `hooks.test` (trusted through SSL_CERT_FILE, which
    OpenSSL's default paths read), recording the SNI name each handshake sends."""
    certificate, key = _self_signed(tmp_path, "hooks.test")
    monkeypatch.setenv("SSL_CERT_FILE", certificate)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda _socket, server_name, _context: server_names.append(server_name)
    started = Receiver().start(tls=context)
    started.server_names = server_names
    yield started
    started.stop()


@pytest.mark.parametrize("hostname", ["hooks.test", "elsewhere.test"])
def test_tls_checks_the_url_s_hostname_on_the_pinned_address(api, tenant, pipeline, tls_receiver, monkeypatch,
                                                             hostname):
    monkeypatch.setattr(socket, "getaddrinfo", RebindingResolver(hostname, "127.0.0.1", "127.0.0.2"))
    set_webhook_url(api, f"https://{hostname}:{tls_receiver.port}/hooks")
    create_customer(api, "acme")

    pipeline.pump_stream()
    pipeline.pump_queue()

    assert tls_receiver.server_names == [hostname]  # SNI names the URL's host, not the address
    webhook = only_webhook(tenant)
    if hostname == "hooks.test":
        [received] = tls_receiver.received
        assert verifies(received, hmac_key_of(tenant.organization_id))
        assert webhook.status == "delivered"
    else:  # the certificate does not name this host: no request is sent, the attempt failed (and will retry)
        assert tls_receiver.received == []
        assert (webhook.status, webhook.last_status_code) == ("pending", None)
        assert webhook.last_error == "SSLError: hostname 'elsewhere.test' doesn't match 'hooks.test'"

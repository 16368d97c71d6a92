"""Where a webhook may go (the SSRF rule): only hosts whose every address is public, whatever the spelling; and the
retry schedule."""
from __future__ import annotations

import ipaddress

import pytest

from chalicelib.domain.webhooks import MAX_ATTEMPTS, MAX_RETRY_DELAY_SECONDS, retry_delay_seconds
from chalicelib.webhooks.addresses import RefusedUrl, Target, is_public_address, resolve_target

NOT_PUBLIC = [
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "192.168.1.1",  # loopback, private
    "169.254.169.254", "169.254.0.1",  # link-local: the instance metadata service
    "100.64.0.1", "100.127.255.254",  # carrier-grade NAT
    "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1",  # unspecified, multicast, reserved
    "192.0.2.10", "198.18.0.1",  # documentation, benchmarking
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",  # IPv6 loopback, unspecified, link-local, ULA
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",  # IPv4-mapped
    "64:ff9b::a9fe:a9fe", "::7f00:1", "2002:7f00:1::1",  # NAT64, IPv4-compatible and 6to4 forms of private ones
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_refused(address):
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert is_public_address(ipaddress.ip_address(address))


# Spellings the resolver turns into loopback or metadata addresses: decimal, octal, hex, short forms, IPv6.
SPELLINGS = ["http://127.0.0.1/", "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://127.1/",
             "http://017700000001/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
             "http://localhost/", "https://169.254.169.254/latest/meta-data/", "http://2852039166/",
             "http://0.0.0.0/", "http://[::]/", "http://10.1.2.3:8080/hooks"]


@pytest.mark.parametrize("url", SPELLINGS)
def test_every_spelling_of_a_non_public_host_is_refused(url):
    with pytest.raises(RefusedUrl):
        resolve_target(url, allow_private=False)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1/", "http:///x",
                                 "http://example.com:99999/", "javascript:alert(1)"])
def test_only_http_urls_with_a_host_are_allowed(url):
    with pytest.raises(RefusedUrl):
        resolve_target(url, allow_private=True)


def test_the_setting_allows_private_addresses_and_pins_the_one_resolved():
    target = resolve_target("http://2130706433:8080/hooks?token=1#fragment", allow_private=True)
    assert target == Target("http", "2130706433", 8080, "127.0.0.1", "/hooks?token=1")


@pytest.mark.parametrize(("scheme", "hostname", "port", "header"), [
    ("https", "hooks.example.com", 443, "hooks.example.com"), ("http", "hooks.example.com", 80, "hooks.example.com"),
    ("https", "hooks.example.com", 8443, "hooks.example.com:8443"), ("http", "::1", 8080, "[::1]:8080")])
def test_host_header_names_the_url_s_host(scheme, hostname, port, header):
    assert Target(scheme, hostname, port, "192.0.2.1", "/").host_header == header


def test_retry_delays_double_from_the_base_up_to_sqs_s_longest_visibility():
    base = 60
    delays = [retry_delay_seconds(attempt, base) for attempt in range(1, MAX_ATTEMPTS)]
    assert delays[:3] == [base, 2 * base, 4 * base]
    assert all(later == min(2 * earlier, MAX_RETRY_DELAY_SECONDS) for earlier, later in zip(delays, delays[1:]))
    assert max(delays) == MAX_RETRY_DELAY_SECONDS == 12 * 3600
    # A receiver down for a whole day loses nothing: the attempts span more than 24 hours.
    assert sum(delays) > 24 * 3600

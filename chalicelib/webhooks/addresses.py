"""Where a webhook may be sent: an http(s) URL whose host resolves only to public (globally routable) addresses,
and the one address the connection then uses, so that a second DNS answer cannot move it (DNS rebinding).

Checking the resolved addresses, rather than the URL's text, also covers every spelling of an IP literal that the
resolver accepts (`2130706433`, `0177.0.0.1`, `0x7f.1`, `[::ffff:127.0.0.1]`)."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# IPv6 forms that carry an IPv4 address a gateway may reach: NAT64's well-known prefix and the deprecated
# IPv4-compatible block (::a.b.c.d). ipv4_mapped and 6to4 have their own properties.
_IPV4_CARRYING = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedUrl(Exception):
    """A URL the sender never connects to (a permanent failure, not retried)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: the hostname (for the Host header and TLS), and the address to connect to."""

    scheme: str
    hostname: str
    port: int
    address: str
    path: str

    @property
    def host_header(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _IPV4_CARRYING):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IpAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local (169.254.169.254), CGNAT, multicast,
    unspecified or reserved, judged on the IPv4 address an IPv6 form carries."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def _addresses(hostname: str, port: int) -> list[IpAddress]:
    """Every address the resolver gives (a DNS failure raises OSError: retried, it may pass)."""
    found = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    # An IPv6 sockaddr may carry a scope (`fe80::1%eth0`).
    return list(dict.fromkeys(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]) for *_, sockaddr in found))


def resolve_target(url: str, allow_private: bool) -> Target:
    """The target of `url`, resolved once. Raises RefusedUrl for a scheme other than http(s), a URL without a
    host, or, unless `allow_private`, a host with any non-public address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as invalid:
        raise RefusedUrl(f"invalid URL: {invalid}") from invalid
    scheme, hostname = parts.scheme.lower(), parts.hostname
    if scheme not in DEFAULT_PORTS or not hostname:
        raise RefusedUrl("only http and https URLs with a host are allowed")
    port = port or DEFAULT_PORTS[scheme]
    addresses = _addresses(hostname, port)
    refused = [str(address) for address in addresses if not is_public_address(address)]
    if refused and not allow_private:
        raise RefusedUrl(f"{hostname} resolves to a non-public address ({', '.join(refused)})")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, hostname, port, str(addresses[0]), path)

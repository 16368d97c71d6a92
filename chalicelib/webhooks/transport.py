"""One POST to a checked target, connected to the address that was checked (no second DNS lookup) while the Host
header and TLS (SNI, certificate hostname) use the URL's hostname. Redirects are never followed."""
from __future__ import annotations

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.exceptions import HTTPError

from chalicelib.webhooks.addresses import Target

TIMEOUT = Timeout(total=10)
_ERROR_CHARACTERS = 500  # what an error message keeps on the webhook's record


class TransportFailure(Exception):
    """No HTTP answer: connection refused or dropped, timeout, TLS failure."""


def _pool(target: Target) -> HTTPConnectionPool:
    if target.scheme == "https":
        return HTTPSConnectionPool(target.address, target.port, timeout=TIMEOUT, retries=False,
                                   cert_reqs="CERT_REQUIRED", server_hostname=target.hostname,
                                   assert_hostname=target.hostname)
    return HTTPConnectionPool(target.address, target.port, timeout=TIMEOUT, retries=False)


def post(target: Target, body: bytes, headers: dict[str, str]) -> int:
    """The receiver's status code. Raises TransportFailure when there is none."""
    pool = _pool(target)
    try:
        response = pool.urlopen("POST", target.path, body=body, headers={**headers, "Host": target.host_header},
                                redirect=False, retries=False, preload_content=False, assert_same_host=False)
        response.release_conn()  # the answer's body is not read: only its status counts
        status: int = response.status
        return status
    except (HTTPError, OSError) as failure:
        raise TransportFailure(f"{type(failure).__name__}: {failure}"[:_ERROR_CHARACTERS]) from failure
    finally:
        pool.close()

"""One webhook request, sent to a vetted address, reported in a fixed set of words.

The connection goes to the addresses :func:`backcast.services.notify.webhook_targets.vet` accepted,
never to a fresh lookup of the name, while the request names the URL's host in ``Host`` and,
for https, in TLS (SNI) and in the certificate check. Redirects are not followed: a 3xx is
reported as its status. The receiver's body is never read.

What goes into the delivery log is an HTTP status or one of the error kinds below. The log is
read by the organisation's admins, who chose the URL, so it must not tell them more than whether
their receiver answered: a refused connection, a reset, an early close and a garbled answer are
all "connection failed", and nothing of what the remote end sent is kept.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from urllib.parse import quote

from backcast.services.notify.webhook_targets import IPAddress, Target

TIMEOUT = "timeout"
CONNECTION_FAILED = "connection failed"
TLS_ERROR = "TLS error"
HOST_NOT_FOUND = "host not found"
REFUSED = "refused by address policy"
UNEXPECTED = "delivery failed"  # a fault of Backcast's own, logged on the server
ERROR_KINDS = frozenset({TIMEOUT, CONNECTION_FAILED, TLS_ERROR, HOST_NOT_FOUND, REFUSED, UNEXPECTED})
PATH_SAFE = "!#$%&'()*+,/:;=?@[]~"  # left as they are in a request target; the rest is escaped


def open_socket(addresses: tuple[IPAddress, ...], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that accepts one, all within ``timeout``."""
    deadline = time.monotonic() + timeout
    failure: OSError = ConnectionError("no address")
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no time left")
        try:
            return socket.create_connection((str(address), port), timeout=remaining)
        except OSError as exc:
            failure = exc
    raise failure


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to ``target``'s vetted addresses; ``Host`` names its host."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses, self.connect_timeout = target.addresses, timeout

    def connect(self) -> None:
        self.sock = open_socket(self.addresses, self.port, self.connect_timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``target``'s vetted addresses; SNI and the certificate check use its host name."""

    def __init__(self, target: Target, timeout: float, tls: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=tls)
        self.addresses, self.connect_timeout, self.tls = target.addresses, timeout, tls

    def connect(self) -> None:
        sock = open_socket(self.addresses, self.port, self.connect_timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def send(
    target: Target, body: bytes, headers: dict[str, str], timeout: float, tls: ssl.SSLContext | None = None
) -> tuple[int | None, str]:
    """POST ``body`` to ``target``: the HTTP status (None without an answer) and an error, "" on 2xx.

    ``tls`` verifies the receiver's certificate (default: the system's trusted authorities).
    """
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = PinnedHTTPSConnection(target, timeout, tls or ssl.create_default_context())
    else:
        connection = PinnedHTTPConnection(target, timeout)
    try:
        connection.request("POST", quote(target.path, safe=PATH_SAFE), body=body, headers=headers)
        status = connection.getresponse().status
    except ssl.SSLError:  # before OSError: it is one (certificate, handshake, protocol)
        return None, TLS_ERROR
    except TimeoutError:
        return None, TIMEOUT
    except (OSError, http.client.HTTPException, ValueError):
        return None, CONNECTION_FAILED
    finally:
        connection.close()
    return status, "" if 200 <= status < 300 else f"HTTP {status}"

"""Fakes for webhook tests: a real receiver on loopback, a resolver that answers from a table,
listeners that misbehave, and the spellings of an internal address an attacker would try."""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from backcast.services.notify.webhook_targets import HostNotFound

LOOPBACK_ALLOWED = ["127.0.0.0/8"]  # for WEBHOOK_ALLOWED_NETWORKS: the receivers listen there


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every request and answers the statuses it is given.

    A failed answer carries ``banner`` as its body (what a scanner would like to read back);
    ``location`` is sent with every answer, for redirects.
    """

    def __init__(
        self, answers: list[int] | None = None, banner: bytes = b"receiver is down", location: str = ""
    ) -> None:
        self.answers = list(answers or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = outer.answers.pop(0) if outer.answers else 200
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else banner)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/hooks/T0SECRETPATH"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Listener:
    """A TCP listener on 127.0.0.1 that answers each connection with ``reply`` and hangs up.

    ``reply=b""`` closes at once (a service that disconnects); other bytes stand for a service
    that is not HTTP (a database's or a cache's banner).
    """

    def __init__(self, reply: bytes) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.reply = reply
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if self.reply:
                    conn.sendall(self.reply)

    def close(self) -> None:
        self.sock.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeResolver:
    """A resolver answering from a table, one answer after another for a name (rebinding).

    ``table`` maps a host to a list of answers; each call takes the next answer, the last one
    repeating. A name not in the table is not found. ``calls`` counts the look-ups made.
    """

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        answers = self.table.get(host)
        if not answers:
            raise HostNotFound("the host name cannot be found")
        turn = sum(1 for h in self.calls if h == host)
        self.calls.append(host)
        return answers[min(turn, len(answers) - 1)]


# What a URL may say to reach 127.0.0.1 (port appended by the tests) and other internal targets.
LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "localhost",
    "2130706433",  # decimal
    "0177.0.0.1",  # octal
    "0x7f.1",  # hex, short form
    "0x7f000001",
    "127.1",  # short form
    "127.0.0.1.",  # trailing dot
    "localhost.",
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11",  # full-width, read through IDNA
]
INTERNAL_URLS = [
    "http://127.0.0.1:5432/",
    "http://localhost:6379/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://[::1]/",
    "http://[::]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fec0::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://0x0a.0.0.1/",
    "http://012.0.0.1/",
    "http://167772161/",
    "https://127.0.0.1./",
    "http://user:pass@127.0.0.1:8000/",
    "http://example.com@127.0.0.1/",
] + [f"http://{host}:5432/" for host in LOOPBACK_SPELLINGS]

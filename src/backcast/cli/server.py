"""``backcast serve``: gunicorn in production-like runs, Django's autoreloading server in debug."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from backcast.cli.errors import fail


def check_port_free(host: str, port: int) -> None:
    """Fail with one line when the address is taken, before the server starts retrying noisily."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror}")


def run_gunicorn(host: str, port: int, workers: int, threads: int) -> None:
    """Serve ``backcast.wsgi`` with gunicorn; each worker imports the app itself (no preload)."""
    from gunicorn.app.base import BaseApplication

    bind = f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": bind,
                "workers": workers,
                "threads": threads,
                "accesslog": "-",
                "logger_class": "backcast.cli.access_log.MaskingLogger",
                "errorlog": "-",
                "graceful_timeout": 20,
                "timeout": 60,
                "proc_name": "backcast",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from backcast.wsgi import application

            return application

    Server().run()


@contextmanager
def background_worker(enabled: bool) -> Iterator[subprocess.Popen[bytes] | None]:
    """Run ``backcast worker`` as a child process while the body runs, then stop it (SIGTERM).

    The worker finishes its tick and exits; one that does not within 20 seconds is killed.
    """
    if not enabled:
        yield None
        return
    child = subprocess.Popen([sys.executable, "-m", "backcast.cli.worker"])
    try:
        yield child
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

"""``backcast serve``: gunicorn in production-like runs, Django's autoreloading server in debug."""

from __future__ import annotations

import socket
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

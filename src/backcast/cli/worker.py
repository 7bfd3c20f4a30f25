"""``backcast worker``: the scheduler loop that sends reminders, digests and notifications.

Each tick runs :data:`backcast.services.platform.jobs.JOBS` once and logs one line of counts. Several
workers may run at once, on one machine or many, over the same database: nothing is sent twice
(see :mod:`backcast.services.notify.outbox`). SIGTERM and SIGINT end it after the current tick.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import typer

from backcast.cli import setup
from backcast.cli.errors import reported

log = logging.getLogger("backcast.worker")


def worker(
    once: bool = typer.Option(False, "--once", help="Run one tick and exit."),
    interval: float = typer.Option(30.0, "--interval", min=1.0, help="Seconds between ticks."),
) -> None:
    """Send due reminders, weekly digests and notifications (e-mail, webhooks), tick after tick."""
    setup.django(migrate=True)
    from django.utils import timezone

    from backcast.services.platform.jobs import run_jobs

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("worker: %s received, stopping after this tick", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("worker: started, a tick every %g s", interval)
    with reported():
        while True:
            counts = run_jobs(timezone.now())
            log.info("worker: tick %s", " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
            if once or stop.wait(interval):
                break
    log.info("worker: stopped")


if __name__ == "__main__":  # ``python -m backcast.cli.worker``: how ``backcast serve --worker`` starts it
    typer.run(worker)

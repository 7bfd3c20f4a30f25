"""What the worker (``backcast worker``) does on each tick, in one list.

Each job takes the current time and returns counts of what it did (a number, or several by
name). To add a job, add one line to :data:`JOBS`. Every job must be safe when several workers
run it at the same moment: the notification jobs are, by their unique keys and claimed
deliveries (:mod:`backcast.services.notify.outbox`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import close_old_connections

from backcast.services.goals import trash
from backcast.services.notify import digest, outbox, reviews
from backcast.services.reporting import portfolio

log = logging.getLogger("backcast.worker")

Job = Callable[[datetime], "int | dict[str, int]"]

JOBS: list[tuple[str, Job]] = [
    ("reminders", reviews.send_reminders),
    ("digests", digest.send_digests),
    ("trash", trash.purge_expired),  # what has been in the trash for its retention period, deleted for good
    ("summaries", portfolio.refresh_stale),  # the dashboard's summaries, ready before it is opened
    ("deliveries", outbox.deliver_due),  # last: sends what the jobs above created
]


def run_jobs(now: datetime, jobs: list[tuple[str, Job]] | None = None) -> dict[str, int]:
    """Run every job once; returns flat counts (``reminders``, ``deliveries.sent``, ...).

    A job that raises is logged and counted in ``errors``; the others still run, and the next
    tick tries it again.
    """
    counts: dict[str, int] = {"errors": 0}
    for name, job in jobs if jobs is not None else JOBS:
        close_old_connections()  # a long-running process must not keep a dead connection
        try:
            result = job(now)
        except Exception:
            log.exception("job %s failed", name)
            counts["errors"] += 1
            continue
        if isinstance(result, dict):
            counts.update({f"{name}.{key}": value for key, value in result.items()})
        else:
            counts[name] = result
    return counts

"""Failed log-ins arriving at once, as from several app processes, are each counted exactly once.

Every thread has its own database connection in a test that commits, so on PostgreSQL the
transactions really overlap: the first failures race to create the counter row, the rest to
update it. SQLite's in-memory test database cannot make a writer wait (a second one fails at
once), so there the test is skipped; the app's SQLite file serialises writers by itself.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from backcast.accounts.models import LoginThrottle
from backcast.services.platform import throttle

pytestmark = pytest.mark.django_db(transaction=True)
T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def test_concurrent_failures_are_all_counted() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database cannot make a writer wait for another")
    threads = 12
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def fail() -> None:
        try:
            barrier.wait(timeout=10)
            throttle.record_failure("alice@acme.test", "203.0.113.7", T0)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=fail) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not errors, errors
    account = LoginThrottle.objects.get(scope="account")
    # 12 failures at a limit of 5: two locks taken, two failures counted towards a third
    assert (account.lockouts, account.failures) == (2, 2)
    assert LoginThrottle.objects.get(scope="address").failures == threads

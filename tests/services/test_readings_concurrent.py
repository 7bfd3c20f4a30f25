"""Readings recorded while a check-in on the same goal commits: both commit, neither deadlocks.

``bench/load.py`` found this: every write to a goal's rows bumps its stamp (a trigger takes the
stamp's row lock), and PostgreSQL checks foreign keys at commit (Django declares them deferred),
which takes a key-share lock on the referenced goal. Recording readings locks its KPI row; had it
locked the KPI's goal row too (``select_for_update`` locks every joined table unless told
``of``), the check-in's commit would wait for the readings, whose stamp bump waits for the
check-in: a deadlock, answered with a 500. Each thread here has its own connection in a test that
commits, so the transactions really overlap; on SQLite (one writer at a time) it is skipped.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from django.db import connection, transaction

from backcast.goals.models import CheckIn, Reading
from backcast.services.goals.checkins import post_checkin
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import ReadingIn, add_kpi, record_readings
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def someone_waits_for_a_lock(timeout: float = 10) -> None:
    """Return once another connection of this database waits for a lock (or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)


def test_readings_and_a_check_in_on_one_goal_both_commit() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database cannot make a writer wait for another")
    alice = make_user("alice@acme.test", "Acme Plant", "admin")
    goal = create_goal(alice, {"title": "Raise OEE to 85%", "deadline": date(2031, 6, 30)})
    kpi = add_kpi(alice, goal.pk, {"name": "OEE", "unit": "%", "baseline": 60.0, "target": 85.0})
    checked_in = threading.Event()
    errors: list[BaseException] = []

    def check_in() -> None:
        try:
            with transaction.atomic():
                post_checkin(alice, goal.pk, {"status": "on_track", "confidence": 7})
                checked_in.set()
                someone_waits_for_a_lock()  # the readings wait for this goal's stamp
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            checked_in.set()
            connection.close()

    def readings() -> None:
        try:
            checked_in.wait(timeout=10)
            record_readings(alice, kpi.pk, [ReadingIn(date(2031, 1, 5), 70.0, key="erp-1")])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=check_in), threading.Thread(target=readings)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not errors, errors
    assert CheckIn.objects.filter(goal=goal).count() == 1
    assert Reading.objects.filter(kpi=kpi).count() == 1

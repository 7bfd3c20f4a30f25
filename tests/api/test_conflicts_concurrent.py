"""Two real clients editing one milestone at once: exactly one wins, the other gets 409.

Each client runs in its own thread with its own database connection, inside a test that commits
(``transaction=True``), so the two requests' transactions really overlap on PostgreSQL. The test
database of SQLite is in memory with a shared cache, where a second writer fails at once ("table
is locked") instead of waiting as it does on the file the app uses (``transaction_mode``
IMMEDIATE, a busy timeout): there the requests take turns, in whichever order the threads
reach the lock, and the outcome must be the same.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from backcast.accounts.models import User
from backcast.goals.models import Milestone
from backcast.services.goals.goals import create_goal
from backcast.services.goals.milestones import add_milestone, update_milestone
from backcast.services.platform.tokens import create_token

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 6


def client_for(user: User) -> Callable[[str, dict[str, Any]], tuple[int, Any]]:
    """A PATCH-sending client of its own, acting as ``user`` through a bearer token."""
    _, raw = create_token(user, "concurrency")
    client = Client()

    def patch(url: str, body: dict[str, Any]) -> tuple[int, Any]:
        response = client.patch(
            f"/api/v1{url}",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {raw}"},
        )
        return response.status_code, response.json()

    return patch


def run_together(*jobs: Callable[[], tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Run the jobs in threads released by one barrier; each closes its own connection after."""
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[int, Any] | BaseException] = [RuntimeError("did not run")] * len(jobs)
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            with turns:
                results[index] = jobs[index]()
        except BaseException as exc:  # reported by the main thread below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if not isinstance(r, BaseException)]


@pytest.fixture
def milestone(alice: User) -> Milestone:
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    return add_milestone(alice, goal.pk, {"title": "Audit carriers", "duration": 5})


def test_two_clients_patching_one_version_one_wins_one_gets_409(
    milestone: Milestone, alice: User, carol: User
) -> None:
    url = f"/milestones/{milestone.pk}"
    clients = (client_for(alice), client_for(carol))
    for round_ in range(ROUNDS):
        version = Milestone.objects.get(pk=milestone.pk).version
        edits: tuple[dict[str, Any], ...] = (
            {"status": "in_progress", "actual_start": f"2031-01-{10 + round_}", "actual_finish": None},
            {
                "status": "done",
                "actual_start": f"2031-01-{20 + round_}",
                "actual_finish": f"2031-02-{10 + round_}",
            },
        )
        jobs = [
            functools.partial(send, url, edit | {"version": version})
            for send, edit in zip(clients, edits, strict=True)
        ]
        results = run_together(*jobs)
        assert sorted(status for status, _ in results) == [200, 409], results
        (_, won), (_, lost) = sorted(results, key=lambda r: r[0])
        winner = next(e for e in edits if e["status"] == won["status"])
        row = Milestone.objects.get(pk=milestone.pk)
        finish = str(row.actual_finish) if row.actual_finish else None
        stored = {"status": row.status, "actual_start": str(row.actual_start), "actual_finish": finish}
        assert stored == winner  # the final state is the winner's, whole
        assert row.version == version + 1
        assert lost["current"] == won  # the loser is shown exactly what the winner wrote


def test_an_edit_waiting_on_a_lock_sees_the_committed_change_and_is_refused(
    milestone: Milestone, alice: User
) -> None:
    """A deterministic overlap: the second request arrives while the first holds the row lock."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database cannot make a writer wait for another")
    holding, release = threading.Event(), threading.Event()
    patch = client_for(alice)

    def first() -> tuple[int, Any]:
        with transaction.atomic():
            update_milestone(alice, milestone.pk, {"title": "Audit every carrier"}, expected_version=1)
            holding.set()
            release.wait(timeout=10)
        return 200, None

    def second() -> tuple[int, Any]:
        holding.wait(timeout=10)
        timer = threading.Timer(0.5, release.set)  # the first commits while this one waits
        timer.start()
        try:
            return patch(f"/milestones/{milestone.pk}", {"title": "Audit the top carriers", "version": 1})
        finally:
            timer.cancel()
            release.set()

    (_, _), (status, body) = run_together(first, second)
    assert status == 409, body
    assert body["current"]["title"] == "Audit every carrier"
    row = Milestone.objects.get(pk=milestone.pk)
    assert (row.title, row.version) == ("Audit every carrier", 2)

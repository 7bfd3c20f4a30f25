"""A file import bumps its goal's stamp, so the stored summary is computed again, whatever the
database: on SQLite the readings' row trigger is off during the import and the goal bumped once
(``goals.stamps.inserts_bump_once``), and the trigger is back afterwards, also after a refusal."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import connection

from backcast.accounts.models import User
from backcast.goals import stamps
from backcast.goals.models import KPI, GoalStamp, Reading
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import ReadingIn, add_kpi, record_readings
from backcast.services.intake.imports import ImportRejected, import_readings


@pytest.fixture
def kpi(alice: User) -> KPI:
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    return add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})


def stamp_of(kpi: KPI) -> int:
    row = GoalStamp.objects.filter(goal_id=kpi.goal_id).first()
    return row.stamp if row else 0


def trigger_installed() -> bool:
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [f"{stamps.PREFIX}{Reading._meta.db_table}_insert"],
        )
        return cursor.fetchone() is not None


def test_an_import_moves_the_stamp_and_leaves_the_trigger_in_place(alice: User, kpi: KPI) -> None:
    assert trigger_installed()
    stamps.forget(connection)  # PostgreSQL bumps a goal once a transaction: as if a new one began
    before = stamp_of(kpi)
    csv = "date,value\n" + "".join(f"2030-01-{day:02d},{80 + day / 10}\n" for day in range(1, 29))
    result = import_readings(alice, kpi.pk, io.BytesIO(csv.encode()), "otd.csv")
    assert result.created == 28
    after = stamp_of(kpi)
    assert after > before
    assert trigger_installed()
    stamps.forget(connection)
    record_readings(alice, kpi.pk, [ReadingIn(date=date(2030, 2, 1), value=83.0)])
    assert stamp_of(kpi) > after  # the row trigger works again


def test_a_refused_import_leaves_the_trigger_and_the_stamp(alice: User, kpi: KPI) -> None:
    before = stamp_of(kpi)
    with pytest.raises(ImportRejected):
        import_readings(alice, kpi.pk, io.BytesIO(b"date,value\n2030-01-01,80\n2030-01-02,abc\n"), "bad.csv")
    assert trigger_installed()
    assert stamp_of(kpi) == before
    assert not Reading.objects.filter(kpi=kpi).exists()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_run_outside_a_transaction() -> None:
    """Outside a transaction another connection could write a row the missing trigger would miss."""
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError), stamps.inserts_bump_once(connection, Reading, [1]):
        pass

"""A KPI read every hour for 23 years (200,000 readings): its goal's pages and API answer at once.

Every view that computes from readings is asked: the goal page (health, SMART check, chart), the
API's goal (its SMART check) and health, and the wizard's SMART check. Each is held to under a
second of this process's CPU time, which includes SQLite's work, done in the same process: about
0.2 to 0.4 s on a busy machine, where fitting every six-month window afresh took hours.
"""

from __future__ import annotations

import json
import random
import re
import time
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils.timezone import now

from backcast.accounts.models import User
from backcast.goals.models import KPI, Goal, Reading
from backcast.goals.stamps import inserts_bump_once
from backcast.organizations.models import Organization
from backcast.services.platform.clock import org_today
from backcast.services.platform.tokens import create_token
from backcast.web.pages.goal_page import CHART_POINTS
from tests.conftest import logged_in

pytestmark = [pytest.mark.db, pytest.mark.slow]

DAYS = 8_334  # 24 readings a day: 200,016 readings


def record_hourly(kpi: KPI, last_day: date) -> tuple[date, float]:
    """24 readings a day for ``DAYS`` days up to ``last_day``: flat at 60, then a climb of 10
    points in 400 days, flat again, with noise; inserted in one statement. Returns the latest."""
    rng = random.Random(3)
    first = last_day - timedelta(days=DAYS - 1)
    stamp = connection.ops.adapt_datetimefield_value(now())
    rows = []
    for d in range(DAYS):
        level = 60 + 10 * min(1.0, max(0.0, (d - 4000) / 400))
        day = connection.ops.adapt_datefield_value(first + timedelta(days=d))
        rows += [(kpi.pk, day, round(level + rng.uniform(-1, 1), 2), stamp) for _ in range(24)]
    table = Reading._meta.db_table
    with inserts_bump_once(connection, Reading, [kpi.goal_id]), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (kpi_id, date, value, recorded_at) VALUES (%s, %s, %s, %s)",  # noqa: S608
            rows,
        )
    return last_day, rows[-1][2]


def timed(client: Client, url: str, **extra: str) -> tuple[float, str]:
    """The CPU time of a second request (the first one also loads templates and code) and its body."""
    assert client.get(url, **extra).status_code == 200  # type: ignore[arg-type]
    began = time.process_time()
    response = client.get(url, **extra)  # type: ignore[arg-type]
    elapsed = time.process_time() - began
    assert response.status_code == 200, response.content[:500]
    return elapsed, response.content.decode()


def test_a_goal_with_200_000_readings_answers_in_well_under_a_second(acme: Organization, alice: User) -> None:
    today = org_today(acme)
    goal = Goal.objects.create(
        organization=acme, title="Raise OEE to 95%", deadline=today + timedelta(weeks=26), owner=alice
    )
    kpi = KPI.objects.create(
        goal=goal, name="OEE", unit="%", baseline=60, baseline_date=today - timedelta(days=DAYS), target=95
    )
    latest_day, latest = record_hourly(kpi, today - timedelta(days=1))
    assert Reading.objects.filter(kpi=kpi).count() == 24 * DAYS

    page_time, page = timed(logged_in(alice), f"/goals/{goal.pk}/")
    found = re.search(rf'<script id="kpi-chart-{kpi.pk}" type="application/json">(.*?)</script>', page, re.S)
    assert found
    chart = json.loads(found.group(1))
    assert len(chart["readings"]) <= CHART_POINTS
    assert chart["means_of_days"] > 0
    assert chart["readings"][-1] == [latest_day.isoformat(), latest]  # the latest reading as it is
    assert "best 6 months so far: +0.8 points a month" in page  # the climb: 10 points in 400 days

    _, token = create_token(alice, "integration")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    api_time, body = timed(Client(), f"/api/v1/goals/{goal.pk}", **bearer)
    achievable = next(c for c in json.loads(body)["smart"] if c["letter"] == "A")
    assert any("best 6 months so far: +0.8 points a month" in r for r in achievable["reasons"])
    health_time, body = timed(Client(), f"/api/v1/goals/{goal.pk}/health", **bearer)
    assert json.loads(body)["status"] == "off_track"  # needs +4 points a month
    wizard_time, partial = timed(
        logged_in(alice),
        f"/goals/{goal.pk}/plan-wizard/smart/?title=Raise+OEE+to+95%25&deadline={goal.deadline}",
    )
    assert "best 6 months so far" in partial

    for elapsed in (page_time, api_time, health_time, wizard_time):
        assert elapsed < 1.0, (page_time, api_time, health_time, wizard_time)

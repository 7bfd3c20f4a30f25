"""Long KPI histories: the best rate and a goal's pages on a KPI read every hour for 23 years.

Not a test. First the planning core alone: ``best_rate`` (the best six-month improvement rate of
the SMART check's history check) on hourly series, by running sums as it is computed, and by
fitting each window afresh, which is what the definition reads as (and how it was computed: its
time grows with the square of the readings, so it is only run up to ``--refit-up-to``). Then, on
a fresh SQLite database in a temporary folder, one goal whose KPI holds 200,016 hourly readings:
the CPU time of its page, of ``GET /api/v1/goals/{id}`` (with its SMART check) and of its health,
through Django's test client (middleware, view, queries and template; SQLite works in the same
process, so its time counts too), median of ``--requests`` requests after a first one.

    .venv/bin/python bench/readings.py
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from backcast.planning.kpi import DAYS_PER_MONTH, Point, best_rate, slope_per_month

DAYS = 8_334  # 24 readings a day: 200,016 readings


def hourly(count: int, last: date) -> list[Point]:
    """``count`` readings, 24 a day up to ``last``: flat, a climb of 10 points in 400 days, flat."""
    rng = random.Random(3)
    days = -(-count // 24)
    first = last - timedelta(days=days - 1)
    points = []
    for i in range(count):
        d = i // 24
        level = 60 + 10 * min(1.0, max(0.0, (d - days // 2) / 400))
        points.append(Point(first + timedelta(days=d), round(level + rng.uniform(-1, 1), 2)))
    return points


def refitted(points: list[Point], window_days: int = 182) -> float:
    """The best rate of an increasing KPI with every window fitted again from its readings."""
    last, window = points[-1].day, timedelta(days=window_days)
    return max(
        slope_per_month([p for p in points[i:] if p.day <= start.day + window])
        for i, start in enumerate(points)
        if start.day + window <= last
    )


def cpu(fn: Callable[..., Any], *args: Any) -> float:
    """The CPU time of one call of ``fn(*args)``, in seconds."""
    began = time.process_time()
    fn(*args)
    return time.process_time() - began


def planning(refit_up_to: int) -> None:
    today = date(2027, 1, 4)
    for count in (8_000, 16_000, 200_000, 1_000_000):
        points = hourly(count, today)
        rate = best_rate(points, "increase")
        assert rate is not None
        fast = min(cpu(best_rate, points, "increase") for _ in range(3))
        line = f"best_rate, {count:>9,} readings: running sums {fast:7.3f} s"
        if count <= refit_up_to:
            slow = cpu(refitted, points)
            line += f", every window fitted afresh {slow:7.2f} s"
        print(f"{line}  (best {rate[0]:+.3f} a month; the climb is {10 / 400 * DAYS_PER_MONTH:+.3f})")


def pages(requests: int) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["BACKCAST_DATA_DIR"] = tempfile.mkdtemp(prefix="backcast-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backcast.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils.timezone import now

    from backcast.goals.models import KPI, Goal, Reading
    from backcast.goals.stamps import inserts_bump_once
    from backcast.organizations.models import Organization
    from backcast.services.platform.accounts import create_user
    from backcast.services.platform.clock import org_today
    from backcast.services.platform.tokens import create_token

    setup_test_environment()
    call_command("migrate", verbosity=0)
    user, _ = create_user("bench@backcast.local", "correct horse battery staple", org="Bench", role="admin")
    org = Organization.objects.get(slug="bench")
    today = org_today(org)
    goal = Goal.objects.create(
        organization=org, title="Raise OEE to 95%", deadline=today + timedelta(weeks=26), owner=user
    )
    kpi = KPI.objects.create(
        goal=goal, name="OEE", unit="%", baseline=60, baseline_date=today - timedelta(days=DAYS), target=95
    )
    stamp = connection.ops.adapt_datetimefield_value(now())
    rows = [
        (kpi.pk, connection.ops.adapt_datefield_value(p.day), p.value, stamp)
        for p in hourly(24 * DAYS, today - timedelta(days=1))
    ]
    with transaction.atomic(), inserts_bump_once(connection, Reading, [goal.pk]), connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {Reading._meta.db_table} (kpi_id, date, value, recorded_at) VALUES (%s, %s, %s, %s)",  # noqa: S608
            rows,
        )
    _, token = create_token(user, "bench")
    browser, api = Client(), Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    browser.force_login(user)
    print(f"one goal, one KPI of {Reading.objects.filter(kpi=kpi).count():,} hourly readings (SQLite)")
    for name, client, url in (
        ("goal page", browser, f"/goals/{goal.pk}/"),
        ("GET /api/v1/goals/{id}", api, f"/api/v1/goals/{goal.pk}"),
        ("GET /api/v1/goals/{id}/health", api, f"/api/v1/goals/{goal.pk}/health"),
    ):
        assert client.get(url).status_code == 200
        times = []
        for _ in range(requests):
            began = time.process_time()
            assert client.get(url).status_code == 200
            times.append(time.process_time() - began)
        print(
            f"{name}: median {statistics.median(times) * 1000:,.0f} ms of CPU, max {max(times) * 1000:,.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--refit-up-to", type=int, default=16_000, help="largest series fitted window by window"
    )
    parser.add_argument("--requests", type=int, default=10, help="timed requests per page")
    args = parser.parse_args()
    planning(args.refit_up_to)
    pages(args.requests)


if __name__ == "__main__":
    main()

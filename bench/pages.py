"""Page speed: the dashboard and a goal page of an organisation with 1,000 goals, on PostgreSQL.

Not a test: it builds one organisation with 1,000 goals (20 organisational objectives and 980
goals, nine in ten aligned to one of them), each with 5 KPIs of 40 weekly readings and 10
milestones in forking dependency chains (11,000 dependencies), about 30% of them drawing on one
of 12 shared crews, plus 4 check-ins a goal and a pinned interim target on one KPI: 5,000 KPIs,
10,000 milestones, 200,000 readings, then ``VACUUM ANALYZE`` (as autovacuum soon would). Goals
move at various paces, so about two in three are on track. It then times ``GET`` of the
dashboard and of one goal's page through Django's test client (server time: middleware, view,
queries and template; no network) and counts their SQL queries.

    .venv/bin/python bench/pages.py                       # local server, database backcast_bench
    .venv/bin/python bench/pages.py --database-url postgres://postgres@127.0.0.1:5432/backcast_bench
    .venv/bin/python bench/pages.py --reuse               # keep the data of an earlier run

The database is dropped and created afresh (its name must contain ``bench``); ``--reuse`` keeps it
when it already holds the data. Each page is requested once first ("first request": the plans
and goal summaries of the day are computed and stored), then ``--requests`` times warm, of which
the median and the 95th percentile are printed, with the queries of one warm request (with
``--reuse`` the first request may find the day's summaries stored already). The last line times
the dashboard right after a KPI reading is recorded, which makes that goal's summary stale.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/backcast_bench"
GOALS, OBJECTIVES, KPIS_PER_GOAL, MILESTONES_PER_GOAL, READINGS_PER_KPI = 1000, 20, 5, 10, 40
PEOPLE, TEAMS, RESOURCES = 24, 8, 12
EMAIL = "bench@backcast.local"
# Ten milestones: kickoff, then a chain that forks twice and joins again.
#   0 -> 1 -> 2 -> {3, 4} -> 5 -> 6 -> {7, 8} -> 9
LINKS = [(0, 1), (1, 2), (2, 3), (2, 4), (3, 5), (4, 5), (5, 6), (6, 7), (6, 8), (7, 9), (8, 9)]
STEPS = [
    "Kick-off",
    "Map the current process",
    "Measure the baseline",
    "Find the root causes",
    "Benchmark other sites",
    "Design the new standard",
    "Pilot on one line",
    "Train the teams",
    "Update the work instructions",
    "Roll out and hand over",
]


def fresh_database(url: str, reuse: bool) -> bool:
    """Drop and create the database named in ``url``; True when it was kept (``reuse``, and it exists)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"pages.py: error: refusing to drop {name!r}: the database name must contain 'bench'")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if reuse and exists:
            return True
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return False


def friday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 4) % 7)


def build(rng: random.Random) -> None:
    """The organisation, its people, teams, resources and goals, inserted in bulk, dated from its today."""
    from django.utils.timezone import make_aware

    from backcast.goals.models import (
        KPI,
        CheckIn,
        Checkpoint,
        Demand,
        Dependency,
        Goal,
        Milestone,
        Reading,
        Resource,
    )
    from backcast.organizations.models import Organization, Team
    from backcast.services.platform.accounts import create_user
    from backcast.services.platform.clock import org_today

    create_user(EMAIL, "bench-password", org="Bench Plant", role="admin", name="Bench Admin", validate=False)
    org = Organization.objects.get(name="Bench Plant")
    today = org_today(org)
    people = [
        create_user(f"p{i}@bench.test", None, org=org.slug, role="owner", name=f"Person {i}", validate=False)[
            0
        ]
        for i in range(PEOPLE)
    ]
    teams = Team.objects.bulk_create(
        Team(organization=org, name=f"Team {i}", slug=f"team-{i}") for i in range(TEAMS)
    )
    resources = Resource.objects.bulk_create(
        Resource(organization=org, name=f"Crew {i}", capacity=rng.randint(2, 6)) for i in range(RESOURCES)
    )
    goals = []
    for i in range(GOALS):
        objective = i < OBJECTIVES
        weeks = 52 if objective else rng.randint(14, 78)
        goals.append(
            Goal(
                organization=org,
                level=Goal.Level.OBJECTIVE if objective else Goal.Level.GOAL,
                title=f"Objective {i}" if objective else f"Goal {i}: raise line {i % 40} OEE",
                owner=people[i % PEOPLE],
                team=None if objective else teams[i % TEAMS],
                deadline=friday_on_or_before(today + timedelta(weeks=weeks)),
                start=None if rng.random() < 0.3 else today - timedelta(weeks=rng.randint(2, 30)),
            )
        )
    Goal.objects.bulk_create(goals)
    # Most goals move at or ahead of the pace their targets need; one in five lags a little and
    # one in ten a lot (the readings and the check-ins' confidence follow).
    pace = {g.pk: rng.choice((1.05, 1.1, 1.2, 1.3, 1.15, 1.25, 1.1, 1.05, 0.98, 0.7)) for g in goals}
    for g in goals[OBJECTIVES:]:
        g.parent_id = goals[rng.randrange(OBJECTIVES)].pk if rng.random() < 0.9 else None
    Goal.objects.bulk_update(goals[OBJECTIVES:], ["parent"])

    milestones = []
    for g in goals:
        for k, step in enumerate(STEPS):
            likely = 0 if k == 0 else rng.randint(3, 12)
            three = k > 0 and rng.random() < 0.5
            milestones.append(
                Milestone(
                    goal=g,
                    title=step,
                    owner=None if rng.random() < 0.1 else people[rng.randrange(PEOPLE)],
                    duration=likely,
                    optimistic=max(1, likely - 2) if three else None,
                    likely=likely if three else None,
                    pessimistic=likely + 5 if three else None,
                    status=Milestone.Status.DONE if k == 0 and g.start else Milestone.Status.NOT_STARTED,
                    actual_start=g.start if k == 0 else None,
                )
            )
    Milestone.objects.bulk_create(milestones, batch_size=2000)
    deps, demands = [], []
    for n in range(GOALS):
        rows = milestones[n * MILESTONES_PER_GOAL : (n + 1) * MILESTONES_PER_GOAL]
        deps += [
            Dependency(predecessor=rows[a], successor=rows[b], lag=rng.choice((0, 0, 0, 1, 2)))
            for a, b in LINKS
        ]
        for m in rows[1:]:
            if rng.random() < 0.3:
                demands.append(Demand(milestone=m, resource=rng.choice(resources), units=rng.randint(1, 2)))
    Dependency.objects.bulk_create(deps, batch_size=2000)
    Demand.objects.bulk_create(demands, batch_size=2000)

    first_reading = today - timedelta(weeks=READINGS_PER_KPI)
    kpis = []
    for g in goals:
        for k in range(KPIS_PER_GOAL):
            baseline = rng.uniform(50, 80)
            up = k % 2 == 0
            kpis.append(
                KPI(
                    goal=g,
                    name=f"KPI {k + 1}",
                    unit="%",
                    direction=KPI.Direction.INCREASE if up else KPI.Direction.DECREASE,
                    baseline=round(baseline, 1),
                    baseline_date=first_reading,
                    target=round(baseline + (15 if up else -15), 1),
                )
            )
    KPI.objects.bulk_create(kpis, batch_size=2000)
    readings, checkpoints = [], []
    for kpi in kpis:
        assert kpi.baseline is not None
        deadline = kpi.goal.deadline
        slope = (kpi.target - kpi.baseline) / max(1, (deadline - first_reading).days) * pace[kpi.goal.pk]
        for w in range(1, READINGS_PER_KPI + 1):
            day = first_reading + timedelta(weeks=w) - timedelta(days=1)
            value = kpi.baseline + slope * (day - first_reading).days + rng.gauss(0, 0.3)
            readings.append(Reading(kpi=kpi, date=day, value=round(value, 2)))
        if kpi.name == "KPI 1":
            middle = first_reading + (deadline - first_reading) / 2
            checkpoints.append(
                Checkpoint(kpi=kpi, date=middle, value=round((kpi.baseline + kpi.target) / 2, 1))
            )
    Reading.objects.bulk_create(readings, batch_size=5000)
    Checkpoint.objects.bulk_create(checkpoints, batch_size=2000)
    checkins = []
    for g in goals:
        for w in range(4):
            when = make_aware(datetime.combine(today - timedelta(weeks=2 * w + 1), datetime.min.time()))
            checkins.append(
                CheckIn(
                    goal=g,
                    author=people[rng.randrange(PEOPLE)],
                    status=rng.choice(("on_track", "on_track", "at_risk")),
                    confidence=rng.randint(6, 9) if pace[g.pk] > 1 else rng.randint(3, 7),
                    note="Weekly review.",
                    created_at=when,
                )
            )
    CheckIn.objects.bulk_create(checkins, batch_size=2000)


def timed(client: object, url: str, requests: int) -> tuple[float, list[float], int]:
    """First request's time, the warm requests' times (ms), and the queries of one warm request."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    assert isinstance(client, Client)

    def get() -> float:
        began = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    first = get()
    times = [get() for _ in range(requests)]
    with CaptureQueriesContext(connection) as queries:
        get()
    return first, times, len(queries)


def line(name: str, first: float, times: list[float], queries: int) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return (
        f"{name}: median {statistics.median(times):,.0f} ms, p95 {p95:,.0f} ms, {queries} queries"
        f" (first request {first:,.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=20, help="warm requests per page")
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    kept = fresh_database(args.database_url, args.reuse)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("BACKCAST_DATA_DIR", tempfile.mkdtemp(prefix="backcast-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backcast.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from backcast.accounts.models import User
    from backcast.goals.models import KPI, Goal, Milestone, Reading
    from backcast.organizations.models import Organization
    from backcast.services.goals.kpis import ReadingIn, record_readings
    from backcast.services.platform.clock import org_today

    setup_test_environment()
    call_command("migrate", verbosity=0)
    if not kept or not Organization.objects.filter(name="Bench Plant").exists():
        began = time.perf_counter()
        build(random.Random(args.seed))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does soon after such a load
        print(f"built in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    org = Organization.objects.get(name="Bench Plant")
    goals = Goal.objects.filter(organization=org)
    print(
        f"{goals.count():,} goals, {KPI.objects.filter(goal__in=goals).count():,} KPIs,"
        f" {Milestone.objects.filter(goal__in=goals).count():,} milestones,"
        f" {Reading.objects.filter(kpi__goal__in=goals).count():,} readings; today {org_today(org)}"
    )
    admin = User.objects.get(email=EMAIL)
    client = Client()
    client.force_login(admin)
    dashboard = f"/o/{org.slug}/goals/"
    goal = goals.filter(level=Goal.Level.GOAL).order_by("pk")[GOALS // 2]
    count = goals.count()
    print(line(f"dashboard: {count:,} goals", *timed(client, dashboard, args.requests)))
    print(
        line(
            f"goal page: {KPIS_PER_GOAL} KPIs, {KPIS_PER_GOAL * READINGS_PER_KPI} readings,"
            f" {MILESTONES_PER_GOAL} milestones",
            *timed(client, f"/goals/{goal.pk}/", args.requests),
        )
    )
    kpi = KPI.objects.filter(goal=goal).order_by("pk").first()
    assert kpi is not None
    after = []
    for n in range(5):
        record_readings(admin, kpi.pk, [ReadingIn(org_today(org), 70.0 + n, key=f"bench-{time.time_ns()}")])
        began = time.perf_counter()
        assert client.get(dashboard).status_code == 200
        after.append((time.perf_counter() - began) * 1000)
    print(f"dashboard right after a reading is recorded: median {statistics.median(after):,.0f} ms")


if __name__ == "__main__":
    main()

"""Load: several gunicorn workers over one PostgreSQL, driven by locust from loopback.

Not a test. It creates a fresh PostgreSQL database (its name must contain ``bench``; dropped
afterwards unless ``--keep``), migrates it and seeds one organisation: ``--goals`` goals (one in
twenty an objective the others align to) with 4 KPIs of 26 weekly readings, 8 milestones in a
forking chain (some drawing on shared crews) and 3 check-ins each; 12 people who log in with a
password and 4 integrations with API tokens. The day's goal summaries are computed before the
server starts, as a server up since the morning has them. Then it starts the real server,
``backcast serve`` with ``--workers`` gunicorn processes of ``--threads`` threads, as in
production but on 127.0.0.1 over plain HTTP (DEBUG off, ALLOWED_HOSTS set, a random SECRET_KEY,
the access log to a file), and runs locust headless against it (``bench/locustfile.py``, in a
process of its own, so nothing else imports locust and its gevent patching):

1. the mix, for ``--duration`` seconds: ``--users`` simulated clients, three in five people in a
   browser (log in through the form, then the dashboard, goal pages, timelines, and now and then
   a reading or a check-in through the goal page's forms), two in five API integrations (goal
   list, a goal's plan and health, readings pushed in bulk with keys, check-ins), each waiting
   ``--wait`` 0.5 to 1.5 s between requests and opening a connection for each, as a proxy in
   front of gunicorn does;
2. the comparison: ``GET /api/v1/goals`` (the first page, 100 goals) and the trivial
   ``GET /api/v1/health``, each alone with ``--compare-users`` clients and no wait (over
   kept-alive connections, locust's lighter client), and the ratio of their throughputs: how
   close listing goals comes to the most this stack serves (target 0.5). Between them,
   ``GET /api/v1/me``: a bearer token checked and one query, the least any route of an
   integration costs. Each runs ``--compare-duration`` seconds in all, in short runs in the order
   list, me, health, health, me, list, ``--cycles`` times over (the machine's other load comes
   and goes), after a ``VACUUM ANALYZE`` (what autovacuum would do after the mix's writes, in
   the middle of the comparison) and ``--warm-up`` seconds of each that are not counted (every
   server thread opens its database connection and prepares its queries, every process renders
   the page once): the steady state.

It prints each request type's count, failures, median, 95th percentile and requests a second,
the server's CPU time a request in the comparison, and how the machine's CPU was shared: the load
generator runs on the same cores as the server and PostgreSQL (and whatever else the machine
runs), so every figure is a floor. Exit status 1 when any request failed; the server's first
error is printed then, and the database and the logs are kept.

    .venv/bin/python bench/load.py                     # 60 s, 40 clients, 3 workers of 4 threads
    .venv/bin/python bench/load.py --users 80 --workers 4 --duration 120
    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/backcast_load_bench --keep
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil  # type: ignore[import-untyped]
import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/backcast_load_bench"
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
KPIS_PER_GOAL, READINGS_PER_KPI, MILESTONES_PER_GOAL, CHECKINS_PER_GOAL = 4, 26, 8, 3
TEAMS, RESOURCES = 6, 6
LINKS = [(0, 1), (1, 2), (1, 3), (2, 4), (3, 4), (4, 5), (5, 6), (6, 7)]
PEOPLE = [("owner", 4), ("contributor", 8)]  # who logs in through the form
INTEGRATIONS = ["erp", "wms", "helpdesk", "mes"]
PASSWORD = "load-bench-password"  # noqa: S105 - a throwaway database's login


def fresh_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"load.py: error: refusing to drop {name!r}: the database name must contain 'bench'")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def seed(goal_count: int, rng: random.Random) -> dict[str, Any]:
    """The organisation, in bulk; returns what the simulated clients need to know."""
    from django.utils.timezone import make_aware

    from backcast.goals.models import KPI, CheckIn, Demand, Dependency, Goal, Milestone, Reading, Resource
    from backcast.organizations.models import Organization, Team
    from backcast.services.platform.accounts import create_user
    from backcast.services.platform.clock import org_today
    from backcast.services.platform.tokens import create_token

    admin, _ = create_user("admin@load.test", PASSWORD, org="Load Plant", role="admin", validate=False)
    org = Organization.objects.get(name="Load Plant")
    today = org_today(org)
    people = [admin]
    logins = []
    for role, count in PEOPLE:
        for i in range(count):
            email = f"{role}{i}@load.test"
            people.append(create_user(email, PASSWORD, org=org.slug, role=role, validate=False)[0])
            logins.append((email, PASSWORD))
    tokens = []
    for name in INTEGRATIONS:
        user, _ = create_user(f"{name}@load.test", None, org=org.slug, role="contributor", validate=False)
        tokens.append(create_token(user, f"{name} push")[1])
    teams = Team.objects.bulk_create(
        Team(organization=org, name=f"Team {i}", slug=f"team-{i}") for i in range(TEAMS)
    )
    crews = Resource.objects.bulk_create(
        Resource(organization=org, name=f"Crew {i}", capacity=rng.randint(2, 4)) for i in range(RESOURCES)
    )
    objectives = max(1, goal_count // 20)
    goals = Goal.objects.bulk_create(
        Goal(
            organization=org,
            level=Goal.Level.OBJECTIVE if i < objectives else Goal.Level.GOAL,
            title=f"Objective {i}" if i < objectives else f"Goal {i}: raise line {i % 30} OEE",
            owner=people[i % len(people)],
            team=None if i < objectives else teams[i % TEAMS],
            deadline=today + timedelta(weeks=52 if i < objectives else rng.randint(12, 60)),
            start=today - timedelta(weeks=rng.randint(2, 20)),
        )
        for i in range(goal_count)
    )
    for g in goals[objectives:]:
        g.parent_id = goals[rng.randrange(objectives)].pk
    Goal.objects.bulk_update(goals[objectives:], ["parent"])
    milestones = Milestone.objects.bulk_create(
        Milestone(
            goal=g,
            title=f"Step {k + 1}",
            owner=rng.choice(people),
            duration=0 if k == 0 else rng.randint(3, 10),
        )
        for g in goals
        for k in range(MILESTONES_PER_GOAL)
    )
    deps, demands = [], []
    for n in range(goal_count):
        rows = milestones[n * MILESTONES_PER_GOAL : (n + 1) * MILESTONES_PER_GOAL]
        deps += [Dependency(predecessor=rows[a], successor=rows[b]) for a, b in LINKS]
        demands += [
            Demand(milestone=m, resource=rng.choice(crews), units=1) for m in rows[1:] if rng.random() < 0.3
        ]
    Dependency.objects.bulk_create(deps)
    Demand.objects.bulk_create(demands)
    first = today - timedelta(weeks=READINGS_PER_KPI)
    kpis = KPI.objects.bulk_create(
        KPI(goal=g, name=f"KPI {k + 1}", unit="%", baseline=60.0, baseline_date=first, target=85.0)
        for g in goals[objectives:]
        for k in range(KPIS_PER_GOAL)
    )
    Reading.objects.bulk_create(
        (
            Reading(kpi=kpi, date=first + timedelta(weeks=w), value=round(60 + w * rng.uniform(0.2, 0.6), 2))
            for kpi in kpis
            for w in range(1, READINGS_PER_KPI + 1)
        ),
        batch_size=5000,
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            goal=g,
            author=rng.choice(people),
            status=rng.choice(("on_track", "on_track", "at_risk")),
            confidence=rng.randint(4, 9),
            created_at=make_aware(datetime.combine(today - timedelta(weeks=2 * w + 1), clock(9))),
        )
        for g in goals
        for w in range(CHECKINS_PER_GOAL)
    )
    return {
        "org": org.slug,
        "today": today.isoformat(),
        "people": logins,
        "tokens": tokens,
        "goals": [g.pk for g in goals],
        "kpis": [{"id": k.pk, "goal": k.goal_id, "baseline": k.baseline, "target": k.target} for k in kpis],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(args: argparse.Namespace, port: int, folder: Path) -> subprocess.Popen[bytes]:
    """``backcast serve`` with production-like settings on loopback; returns once it answers."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
    }
    log = (folder / "server.log").open("wb")
    command = [str(BIN / "backcast"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(args.workers), "--threads", str(args.threads)]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"load.py: error: the server stopped:\n{(folder / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("load.py: error: the server did not answer within 60 s")


def cpu_seconds(process: psutil.Process) -> float:
    """CPU time (user and system) of a process and all its children so far."""
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@dataclass
class Run:
    """One locust run: its stats rows (the last is the total), failures, wall and CPU seconds."""

    rows: list[dict[str, str]]
    failures: list[dict[str, str]]
    wall: float
    server: float  # CPU seconds of the server's processes
    locust: float
    machine: float  # busy CPU seconds of the whole machine

    @property
    def total(self) -> dict[str, str]:
        return self.rows[-1]

    @property
    def requests(self) -> int:
        return int(self.total["Request Count"])

    @property
    def failed(self) -> int:
        return int(self.total["Failure Count"])

    def cpu_line(self) -> str:
        rest = max(0.0, self.machine - self.server - self.locust)
        return (
            f"CPU, in cores of the machine's {psutil.cpu_count()}: server {self.server / self.wall:.2f},"
            f" load generator {self.locust / self.wall:.2f}, PostgreSQL and the rest {rest / self.wall:.2f}"
        )


def run_locust(
    users: list[str], clients: int, rate: float, seconds: int, host: str, prefix: Path, server: psutil.Process
) -> Run:
    """Run locust headless with the ``users`` classes of the locustfile; what it measured."""
    command = [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary"]
    command += ["-u", str(clients), "-r", str(rate), "-t", f"{seconds}s", "--host", host]
    command += ["--csv", str(prefix), "--stop-timeout", "10", "--loglevel", "WARNING", *users]
    machine, served = psutil.cpu_times(), cpu_seconds(server)
    own = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    log = prefix.parent / f"{prefix.name}.log"
    with log.open("wb") as out:
        subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    wall = time.monotonic() - began
    after, done = psutil.cpu_times(), resource.getrusage(resource.RUSAGE_CHILDREN)
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as stats:
        rows = list(csv.DictReader(stats))
    if len(rows) < 2:
        sys.exit(f"load.py: error: locust reported nothing:\n{log.read_text()[-2000:]}")
    with Path(f"{prefix}_failures.csv").open(encoding="utf-8") as failures:
        errors = list(csv.DictReader(failures))
    return Run(
        rows=rows,
        failures=errors,
        wall=wall,
        server=cpu_seconds(server) - served,
        locust=done.ru_utime + done.ru_stime - own.ru_utime - own.ru_stime,
        machine=sum(after) - after.idle - after.iowait - (sum(machine) - machine.idle - machine.iowait),
    )


def table(rows: list[dict[str, str]]) -> None:
    print(f"{'request':42} {'count':>7} {'failed':>6} {'median':>7} {'p95':>7} {'req/s':>7}")
    for r in rows:
        name = "all requests" if r["Name"] == "Aggregated" else r["Name"]
        print(
            f"{name:42} {int(r['Request Count']):7,} {int(r['Failure Count']):6,}"
            f" {float(r['Median Response Time']):5.0f}ms {float(r['95%']):5.0f}ms {float(r['Requests/s']):7.1f}"
        )


def report_failures(run: Run) -> None:
    for f in run.failures:
        print(f"  failed {f['Occurrences']}x: {f['Method']} {f['Name']}: {f['Error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=40, help="simulated clients in the mix")
    parser.add_argument("--spawn-rate", type=float, default=10, help="clients started a second")
    parser.add_argument("--duration", type=int, default=60, help="seconds of the mix")
    parser.add_argument("--wait", type=float, nargs=2, default=[0.5, 1.5], metavar=("MIN", "MAX"))
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    # Enough kept-alive connections that each of the gunicorn processes gets its share: with 8,
    # chance often put most on one process, and the run measured one core instead of the server.
    parser.add_argument("--compare-users", type=int, default=24, help="clients of the comparison")
    parser.add_argument("--compare-duration", type=int, default=30, help="seconds of each route alone")
    parser.add_argument("--cycles", type=int, default=3, help="times over the order of the comparison")
    parser.add_argument("--warm-up", type=int, default=3, help="seconds of each route before, not counted")
    parser.add_argument("--goals", type=int, default=200)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database and the folder of logs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="backcast-load-"))
    fresh_database(args.database_url)
    os.environ.update(DATABASE_URL=args.database_url, BACKCAST_DATA_DIR=str(folder))
    from backcast.cli import setup

    setup.django(migrate=True)
    from django.db import connection, connections

    from backcast.goals.models import Goal
    from backcast.services.reporting.portfolio import summaries

    began = time.perf_counter()
    data = seed(args.goals, random.Random(args.seed))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does soon after such a load
    # The dashboard's first request of the day computes every goal's summary: done here, as a
    # server that has been up since the morning has.
    summaries(Goal.objects.filter(pk__in=data["goals"]).order_by("pk"), date.fromisoformat(data["today"]))
    connections.close_all()
    data["wait"] = args.wait
    (folder / "data.json").write_text(json.dumps(data), encoding="utf-8")
    os.environ["BACKCAST_LOAD_DATA"] = str(folder / "data.json")
    print(
        f"seeded {args.goals} goals, {len(data['kpis']):,} KPIs, {len(data['kpis']) * READINGS_PER_KPI:,}"
        f" readings, {args.goals * MILESTONES_PER_GOAL:,} milestones in {time.perf_counter() - began:.1f} s"
        f" ({setup.describe_database()})"
    )
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = start_server(args, port, folder)
    failed = 0
    try:
        process = psutil.Process(server.pid)
        print(
            f"server: backcast serve, {args.workers} gunicorn workers x {args.threads} threads on {host};"
            f" load: locust on the same {psutil.cpu_count()} cores (it competes with the server)\n"
        )
        print(
            f"1. the mix: {args.users} clients (3 in 5 browsers, 2 in 5 API integrations), "
            f"{args.wait[0]:g}-{args.wait[1]:g} s between requests, {args.duration} s"
        )
        mix = run_locust(
            ["WebUser", "ApiClient"],
            args.users,
            args.spawn_rate,
            args.duration,
            host,
            folder / "mix",
            process,
        )
        table(mix.rows)
        print(mix.cpu_line())
        report_failures(mix)
        failed += mix.failed

        # The mix's writes wake autovacuum; vacuumed now, as after the seeding, it does not land
        # in the middle of the comparison (it took the first runs down to a third).
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        order = ("list", "me", "health", "health", "me", "list") * args.cycles
        piece = max(1, args.compare_duration * 3 // len(order))
        print(
            f"\n2. each route alone, {args.compare_users} clients, no wait: {piece} s at a time in the order"
            f" list, me, health, health, me, list, {args.cycles} times over (so a change in the machine's"
            f" other load evens out), after {args.warm_up} s of each not counted"
        )
        runs: dict[str, list[Run]] = {"list": [], "me": [], "health": []}
        callers = {"list": "GoalListCaller", "me": "MeCaller", "health": "HealthCaller"}
        for label, caller in callers.items():  # the warm-up, not counted
            warm = run_locust(
                [caller],
                args.compare_users,
                args.compare_users,
                args.warm_up,
                host,
                folder / f"warm-{label}",
                process,
            )
            report_failures(warm)
            failed += warm.failed
        for label in order:
            prefix = folder / f"{label}{len(runs[label])}"
            run = run_locust(
                [callers[label]], args.compare_users, args.compare_users, piece, host, prefix, process
            )
            runs[label].append(run)
            report_failures(run)
            failed += run.failed
        for done in runs.values():
            rates = ", ".join(f"{float(r.total['Requests/s']):,.0f}" for r in done)
            wall = sum(r.wall for r in done)
            print(
                f"  {done[0].rows[0]['Name']}: {rates} req/s in its {len(done)} runs; cores busy:"
                f" server {sum(r.server for r in done) / wall:.2f}, load generator"
                f" {sum(r.locust for r in done) / wall:.2f}, PostgreSQL and the rest"
                f" {sum(max(0.0, r.machine - r.server - r.locust) for r in done) / wall:.2f}"
            )
        rate, cpu = {}, {}
        for label, done in runs.items():
            requests = sum(r.requests for r in done)
            seconds = sum(r.requests / float(r.total["Requests/s"]) for r in done if r.requests)
            rate[label] = requests / seconds if seconds else 0.0
            cpu[label] = sum(r.server for r in done) / requests * 1000 if requests else 0.0
            print(f"  {label:6}: {rate[label]:7,.1f} req/s, server CPU {cpu[label]:6.2f} ms a request")
        ratio = rate["list"] / rate["health"] if rate["health"] else 0.0
        print(
            f"goal list / health check: {ratio:.2f} of the throughput"
            f" ({'meets' if ratio >= 0.5 else 'misses'} the target of 0.5);"
            f" by the server's CPU a request alone {cpu['health'] / cpu['list']:.2f}"
        )
        print(
            f"me / health check: {rate['me'] / rate['health']:.2f} of the throughput;"
            f" goal list / me: {rate['list'] / rate['me']:.2f}"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log = (folder / "server.log").read_text(encoding="utf-8", errors="replace")
        if failed and "Traceback" in log:
            print(f"\nthe server's first error:\n{log[log.index('Traceback') :][:3000]}")
        if args.keep or failed:
            print(f"kept the database and {folder} (server.log, locust's CSV files and logs)")
        else:
            drop_database(args.database_url)
            for path in sorted(folder.rglob("*"), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
            folder.rmdir()
    print(f"\n{failed} failed requests")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

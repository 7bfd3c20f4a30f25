"""The demo organisation that ``backcast demo`` and the first ``make run`` load.

Built from the three templates, with a few months of weekly readings and check-ins, so every page
has something real to show. ``today`` is passed in; the readings are drawn from a seeded random
generator, so the same day gives the same demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils.timezone import make_aware

from backcast.accounts.models import User
from backcast.goals.models import CheckIn, Goal, Milestone, Reading
from backcast.organizations.models import Organization, Team
from backcast.organizations.tenancy import Role
from backcast.services.goals.from_templates import create_goal_from_template
from backcast.services.platform.accounts import create_user
from backcast.services.reporting.plans import goal_plan

DEMO_ORG = "Northwind Operations"
DEMO_EMAIL = "demo@backcast.local"
DEMO_PASSWORD = "backcast-demo"  # noqa: S105 - a published demo login, only created on request
DEMO_PEOPLE = [
    ("lena.ortiz@backcast.local", "Lena Ortiz", Role.OWNER, "Assembly line"),
    ("sam.okafor@backcast.local", "Sam Okafor", Role.CONTRIBUTOR, "Logistics"),
    ("mia.chen@backcast.local", "Mia Chen", Role.CONTRIBUTOR, "Customer service"),
    ("raj.patel@backcast.local", "Raj Patel", Role.VIEWER, "Assembly line"),
]
DEMO_TEAMS = ["Assembly line", "Logistics", "Customer service"]
HISTORY_WEEKS = 12
NOTES = [
    ("on_track", 8, "Pilot numbers look good.", ""),
    ("on_track", 7, "Steady week.", ""),
    ("at_risk", 5, "Two people out sick this week.", "Waiting on IT for the data extract."),
    ("on_track", 7, "Caught up on the backlog.", ""),
]


@dataclass(frozen=True)
class DemoLogin:
    """How to log in to the demo, and whether this call created it."""

    created: bool
    email: str
    password: str
    organization: str


def demo_exists() -> bool:
    return Organization.objects.filter(name=DEMO_ORG).exists()


def fill_history(goal: Goal, people: list[User], today: date, rng: random.Random) -> None:
    """Weekly readings drifting from the baseline toward the target, and weekly check-ins."""
    start = today - timedelta(weeks=HISTORY_WEEKS)
    for kpi in goal.kpis.all():
        assert kpi.baseline is not None
        kpi.baseline_date = start
        kpi.save(update_fields=["baseline_date"])
        pace = (kpi.target - kpi.baseline) / 40  # a third of the way in twelve weeks, roughly
        noise = abs(kpi.target - kpi.baseline) / 25
        Reading.objects.bulk_create(
            Reading(
                kpi=kpi,
                date=start + timedelta(weeks=w),
                value=round(kpi.baseline + pace * w + rng.gauss(0, noise), 2),
            )
            for w in range(1, HISTORY_WEEKS + 1)
        )
    for w in range(1, HISTORY_WEEKS + 1, 2):
        status, confidence, note, blockers = NOTES[rng.randrange(len(NOTES))]
        when = make_aware(datetime.combine(start + timedelta(weeks=w), time(9, 30)))
        CheckIn.objects.create(
            goal=goal, author=people[w % len(people)], status=status, confidence=confidence,
            note=note, blockers=blockers, created_at=when,
        )  # fmt: skip


def progress_as_planned(goal: Goal, owners: list[User], today: date, *, lagging: bool) -> None:
    """Give every milestone an owner and the status its backward plan implies by ``today``.

    Work whose latest finish has passed is done on its planned dates; work whose latest start
    has passed is in progress. With ``lagging``, the most recent milestone that should have
    begun has not, so the demo shows a goal falling behind as well as goals on plan.
    """
    result = goal_plan(goal, today)
    by_id = {m.pk: m for m in Milestone.objects.filter(goal=goal)}
    started = []
    for k, planned in enumerate(result.result.milestones):
        milestone = by_id[result.milestone_ids[planned.id]]
        milestone.owner = owners[k % len(owners)]
        if planned.finish < today:
            milestone.status = Milestone.Status.DONE
            milestone.actual_start, milestone.actual_finish = planned.start, planned.finish
        elif planned.start <= today:
            milestone.status = Milestone.Status.IN_PROGRESS
            milestone.actual_start = planned.start
            started.append(milestone)
        milestone.save()
    if lagging and started:
        late = max(started, key=lambda m: m.actual_start or today)
        late.status, late.actual_start = Milestone.Status.NOT_STARTED, None
        late.save()


@transaction.atomic
def load_demo(today: date, *, only_if_empty: bool = False) -> DemoLogin | None:
    """Create the demo organisation, its people, teams and goals; running it again changes nothing.

    With ``only_if_empty``, nothing is created when the database already holds any organisation
    (a real installation), and None is returned unless the demo itself is there.
    """
    if demo_exists():
        return DemoLogin(False, DEMO_EMAIL, DEMO_PASSWORD, DEMO_ORG)
    if only_if_empty and Organization.objects.exists():
        return None
    admin, membership = create_user(
        DEMO_EMAIL, DEMO_PASSWORD, org=DEMO_ORG, role=Role.ADMIN, name="Dana Demo", validate=False
    )
    org = membership.organization
    teams = {
        name: Team.objects.create(organization=org, name=name, slug=name.lower().replace(" ", "-"))
        for name in DEMO_TEAMS
    }
    teams["Assembly line"].members.add(admin)
    people = {}
    for email, name, role, team in DEMO_PEOPLE:
        person, _ = create_user(email, DEMO_PASSWORD, org=org.slug, role=role, name=name, validate=False)
        teams[team].members.add(person)
        people[team] = person
    objective = Goal.objects.create(
        organization=org, level=Goal.Level.OBJECTIVE, title="Operational excellence this year",
        description="The plant, the network and the service desk each deliver one measurable step.",
        deadline=today + timedelta(weeks=40), owner=admin,
    )  # fmt: skip
    rng = random.Random(f"backcast-demo-{today.isoformat()}")
    plan = [
        ("manufacturing", "Assembly line", 30),
        ("supply-chain", "Logistics", 26),
        ("customer-service", "Customer service", 22),
    ]
    for key, team, weeks_left in plan:
        start = today - timedelta(weeks=HISTORY_WEEKS)
        goal = create_goal_from_template(
            admin,
            org.slug,
            key,
            deadline=today + timedelta(weeks=weeks_left),
            today=today,
            start=start,
            parent=objective,
        )
        goal.team = teams[team]
        goal.owner = people[team] if people[team].memberships.get().role == Role.OWNER else admin
        goal.save(update_fields=["team", "owner"])
        goal.contributors.set([people[team]])
        progress_as_planned(goal, [people[team], admin], today, lagging=key == "customer-service")
        fill_history(goal, [admin, people[team]], today, rng)
    return DemoLogin(True, DEMO_EMAIL, DEMO_PASSWORD, org.name)


def demo_user() -> User | None:
    return User.objects.filter(email=DEMO_EMAIL).first()

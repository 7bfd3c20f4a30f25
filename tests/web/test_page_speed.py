"""The dashboard and a goal's page take as many SQL queries for a little data as for a lot.

Timings are not asserted here (on shared machines they are noise): ``bench/pages.py`` measures
them with 1,000 goals on PostgreSQL and the README quotes it. What a test can pin down is the
shape: the queries of a page do not grow with the goals, KPIs, milestones or readings behind it,
and the dashboard's goal table is paged, so the page itself stays the same size.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from backcast.accounts.models import User
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
from backcast.services.platform.clock import org_today
from backcast.services.reporting import assessment
from backcast.services.reporting.assessment import trajectory_of
from backcast.services.reporting.portfolio import gather_many
from backcast.web.pages.dashboard import DUE_SHOWN, PAGE_SIZE
from tests.conftest import logged_in
from tests.web.plan_data import objective, template_goal


def queries(client: Client, url: str) -> tuple[int, int]:
    """The queries of a first request (it stores the day's summaries) and of the next one."""
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(captured))
    return counts[0], counts[1]


def add_kpis(goal: Goal, n: int, today: date) -> None:
    """``n`` KPIs, each with six weekly readings and a pinned interim target."""
    kpis = KPI.objects.bulk_create(
        KPI(
            goal=goal,
            name=f"KPI {k}",
            unit="%",
            baseline=50,
            baseline_date=today - timedelta(weeks=8),
            target=90,
        )
        for k in range(n)
    )
    Reading.objects.bulk_create(
        Reading(kpi=kpi, date=today - timedelta(weeks=w), value=50 + 4 * (6 - w))
        for kpi in kpis
        for w in range(6)
    )
    Checkpoint.objects.bulk_create(
        Checkpoint(kpi=kpi, date=today + timedelta(days=20), value=75) for kpi in kpis
    )


def add_milestones(goal: Goal, n: int, owner: User, crew: Resource) -> None:
    """``n`` milestones in a chain, every other one owned and drawing on ``crew``."""
    rows = Milestone.objects.bulk_create(
        Milestone(goal=goal, title=f"Step {k}", duration=2 + k % 3, owner=owner if k % 2 else None)
        for k in range(n)
    )
    Dependency.objects.bulk_create(
        Dependency(predecessor=a, successor=b) for a, b in itertools.pairwise(rows)
    )
    Demand.objects.bulk_create(Demand(milestone=m, resource=crew, units=1) for m in rows[::2])


def add_goals(org: Organization, owner: User, n: int, *, due_in: int = 120) -> None:
    """``n`` goals under an objective, in two teams, each with KPIs, milestones and a check-in."""
    today = org_today(org)
    top = Goal.objects.filter(organization=org, level=Goal.Level.OBJECTIVE).first() or objective(
        org, owner, today
    )
    teams = [
        Team.objects.get_or_create(organization=org, slug=s, defaults={"name": s.title()})[0]
        for s in ("a", "b")
    ]
    crew, _ = Resource.objects.get_or_create(organization=org, name="Crew", defaults={"capacity": 3})
    first = Goal.objects.filter(organization=org, level=Goal.Level.GOAL).count()
    for k in range(first, first + n):
        goal = Goal.objects.create(
            organization=org, title=f"Goal {k:03}", deadline=today + timedelta(days=due_in + k),
            owner=owner, team=teams[k % 2], parent=top,
        )  # fmt: skip
        add_kpis(goal, 2, today)
        add_milestones(goal, 3, owner, crew)
        CheckIn.objects.create(goal=goal, author=owner, status="on_track", confidence=7)


def test_dashboard_queries_do_not_grow_with_the_goals(acme: Organization, alice: User) -> None:
    client = logged_in(alice)
    url = f"/o/{acme.slug}/goals/"
    add_goals(acme, alice, 3)
    cold_3, warm_3 = queries(client, url)
    add_goals(acme, alice, 27)
    cold_30, warm_30 = queries(client, url)  # 27 goals without a summary yet: computed in bulk
    assert warm_30 == warm_3
    assert cold_30 == cold_3
    assert warm_3 <= 12
    assert queries(client, url + "?page=2")[1] == warm_3
    assert queries(client, url + "?team=a&owner=" + str(alice.pk))[1] == warm_3


def test_goal_page_queries_do_not_grow_with_kpis_and_milestones(acme: Organization, alice: User) -> None:
    today = org_today(acme)
    crew = Resource.objects.create(organization=acme, name="Crew", capacity=3)
    goal = Goal.objects.create(
        organization=acme, title="Cut scrap", deadline=today + timedelta(weeks=20), owner=alice
    )
    add_kpis(goal, 2, today)
    add_milestones(goal, 2, alice, crew)
    CheckIn.objects.create(goal=goal, author=alice, status="on_track", confidence=7)
    client = logged_in(alice)
    _, with_two = queries(client, f"/goals/{goal.pk}/")
    add_kpis(goal, 18, today)
    add_milestones(goal, 18, alice, crew)
    _, with_twenty = queries(client, f"/goals/{goal.pk}/")
    assert with_twenty == with_two
    assert with_two <= 20


def test_the_goal_table_is_paged_and_keeps_the_filters(acme: Organization, alice: User) -> None:
    add_goals(acme, alice, 2 * PAGE_SIZE + 3)  # and their objective: 54 goals, three pages
    client = logged_in(alice)
    url = f"/o/{acme.slug}/goals/"
    first = client.get(url).content.decode()
    assert len(re.findall(r'class="goal-title"', first)) == PAGE_SIZE
    assert "Goal 000" in first and "Goal 030" not in first
    assert f"1\u2013{PAGE_SIZE} of 54" in first  # an en dash
    assert 'aria-label="Pages of goals"' in first
    assert '<a class="button primary" aria-current="page" href="?page=1">' in first
    assert 'rel="next" href="?page=2"' in first and 'rel="prev"' not in first
    # the counts are over every goal, not the page
    tiles = [int(n) for n in re.findall(r'<span class="count">(\d+)</span>', first)]
    assert sum(tiles) == 54

    last = client.get(url + "?page=3").content.decode()
    assert len(re.findall(r'class="goal-title"', last)) == 4
    assert "Goal 052" in last and 'rel="next"' not in last and 'rel="prev" href="?page=2"' in last
    assert client.get(url + "?page=99").content.decode().count('class="goal-title"') == 4  # the last page
    assert "Goal 000" in client.get(url + "?page=x").content.decode()  # not a number: the first

    team = client.get(url + "?team=a&page=2").content.decode()
    assert "27 of 54 goals" in team
    assert 'href="?team=a&amp;page=1"' in team and 'aria-current="page" href="?team=a&amp;page=2"' in team
    assert "Operational excellence this year" in team  # the objective its goals serve, in the tree
    assert "goals that serve it" in team  # only some of the goals that serve it are on this page


def test_small_dashboards_have_no_pager(acme: Organization, alice: User) -> None:
    add_goals(acme, alice, 3)
    page = logged_in(alice).get(f"/o/{acme.slug}/goals/").content.decode()
    assert "Pages of goals" not in page
    assert "3 goals serve it" in page


def test_the_next_two_weeks_lists_the_soonest_and_counts_the_rest(acme: Organization, alice: User) -> None:
    add_goals(acme, alice, DUE_SHOWN + 5, due_in=3)  # every goal's last step is due within days
    page = logged_in(alice).get(f"/o/{acme.slug}/goals/").content.decode()
    listed = page.split('id="due-h"')[1].split("</section>")[0]
    assert listed.count("<li>") == DUE_SHOWN
    assert re.search(r"And \d+ more of the goals in Acme Plant", listed)


def test_the_pages_trajectories_are_the_apis(acme: Organization, alice: User) -> None:
    """The goal page works each KPI's interim targets out of the facts it gathered, without a query."""
    today = org_today(acme)
    goal = template_goal(alice, acme, "manufacturing")
    kpi = goal.kpis.order_by("pk")[0]
    Checkpoint.objects.create(kpi=kpi, date=today + timedelta(days=30), value=kpi.target)
    facts = gather_many([goal], today)[goal.pk]
    for k, _ in facts.kpis:
        expected = assessment.kpi_trajectory(KPI.objects.get(pk=k.pk), today)
        assert trajectory_of(k, goal, facts.result, facts.pins[k.pk]) == expected
    assert trajectory_of(kpi, goal, None, {}) == [(kpi.target_date or goal.deadline, kpi.target, False, [])]

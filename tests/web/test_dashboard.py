"""The organisation's dashboard: every goal judged in bulk, the alignment tree, filters, empty states."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from backcast.accounts.models import User
from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Organization, Team
from backcast.services.platform.clock import org_today
from backcast.services.reporting import assessment
from backcast.services.reporting.progress import goal_progress
from backcast.web.templatetags.goal_ui import status_label, workdays
from tests.conftest import logged_in
from tests.web.plan_data import objective, template_goal


def friday_weeks_ahead(today: date, weeks: int) -> date:
    return today + timedelta(weeks=weeks) + timedelta(days=(4 - today.weekday()) % 7)


def test_dashboard_shows_health_progress_slack_and_next_milestones(
    acme: Organization, alice: User, carol: User
) -> None:
    today = org_today(acme)
    top = objective(acme, alice, today)
    logistics = Team.objects.create(organization=acme, name="Logistics", slug="logistics")
    otd = template_goal(alice, acme, "supply-chain", parent=top, team=logistics)
    csat = template_goal(alice, acme, "customer-service", weeks_left=22, parent=top, seed=2)
    audit = otd.milestones.exclude(status="done").order_by("id").first()
    assert audit is not None
    audit.owner = carol
    audit.save()

    page = logged_in(alice).get(f"/o/{acme.slug}/goals/").content.decode()

    progress = goal_progress([otd])
    for goal in (otd, csat):
        verdict = assessment.goal_health(goal, today)
        assert f'status-{verdict.status}">{status_label(verdict.status)}</span>' in page
        assert f">{round((progress[goal.pk] or 0) * 100)}%<" in page
        assert goal.deadline.strftime("%-d %b %Y") in page
    assert f"/goals/{otd.pk}/" in page and f"/goals/{top.pk}/" in page
    assert "Carol Contributor" in page  # who owns the next milestone
    assert "no owner" in page  # the ones nobody owns are flagged
    assert "milestones without an owner" in page
    # the alignment tree folds out from the objective to the goals that serve it
    assert "2 goals serve it" in page
    assert page.index("Operational excellence this year") < page.index("2 goals serve it")
    assert "<details open>" in page


def test_slack_left_counts_working_days_to_the_latest_start(acme: Organization, alice: User) -> None:
    today = org_today(acme)
    deadline = friday_weeks_ahead(today, 6)
    goal = Goal.objects.create(
        organization=acme, title="Ship the 5-day pilot", deadline=deadline, owner=alice
    )
    Milestone.objects.create(goal=goal, title="Pilot week", duration=5, owner=alice)
    monday = deadline - timedelta(days=4)  # five working days back from the Friday deadline
    expected = int(np.busday_count(today, monday))
    page = logged_in(alice).get(f"/o/{acme.slug}/goals/").content.decode()
    assert workdays(expected) in page
    assert "Pilot week" in page
    assert deadline.strftime("%-d %b") in page  # the pilot's planned finish is the deadline


def test_behind_and_late_milestones_are_listed_for_the_next_two_weeks(
    acme: Organization, alice: User
) -> None:
    today = org_today(acme)
    goal = Goal.objects.create(
        organization=acme,
        title="Cut changeover to 10 minutes",
        deadline=today + timedelta(days=3),
        start=today - timedelta(weeks=8),
        owner=alice,
    )
    Milestone.objects.create(goal=goal, title="Long study", duration=30)
    page = logged_in(alice).get(f"/o/{acme.slug}/goals/").content.decode()
    assert "Long study" in page
    assert "behind · should have begun" in page
    assert "working days behind" in page


def test_filters_by_team_owner_and_health_keep_the_tree_context(
    acme: Organization, alice: User, carol: User
) -> None:
    today = org_today(acme)
    top = objective(acme, alice, today)
    line = Team.objects.create(organization=acme, name="Line 1", slug="line-1")
    Goal.objects.create(
        organization=acme, title="Line goal", deadline=date(2031, 6, 30), team=line, owner=carol, parent=top
    )
    Goal.objects.create(organization=acme, title="Other goal", deadline=date(2031, 6, 30), owner=alice)
    client = logged_in(alice)
    by_team = client.get(f"/o/{acme.slug}/goals/?team=line-1").content.decode()
    assert "Line goal" in by_team and "Other goal" not in by_team
    assert "Operational excellence this year" in by_team  # the objective it serves stays in the tree
    assert 'value="line-1" selected' in by_team
    assert "Clear filters" in by_team
    by_health = client.get(f"/o/{acme.slug}/goals/?health=none").content.decode()
    assert "Line goal" in by_health and "Other goal" in by_health  # nothing to judge them by yet
    assert (
        "No goals match these filters"
        in client.get(f"/o/{acme.slug}/goals/?health=off_track").content.decode()
    )
    ignored = client.get(f"/o/{acme.slug}/goals/?health=bogus&owner=x").content.decode()
    assert "Line goal" in ignored and "Other goal" in ignored


def test_filters_are_swapped_in_by_htmx_without_inline_handlers(acme: Organization, alice: User) -> None:
    Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    page = logged_in(alice).get(f"/o/{acme.slug}/goals/").content.decode()
    assert 'hx-get="/o/acme-plant/goals/"' in page
    assert 'hx-select="#results"' in page and 'id="results"' in page
    assert "vendor/htmx-2.0.11.min.js" in page
    assert "onchange" not in page and "onclick" not in page
    assert '"allowEval": false' in page


def test_empty_dashboard_says_what_to_do_first(acme: Organization, alice: User, bob: User) -> None:
    page = logged_in(alice).get(f"/o/{acme.slug}/goals/").content.decode()
    assert "No goals yet" in page
    assert "Create your first goal" in page
    assert f'href="/o/{acme.slug}/goals/new/"' in page
    try:
        wizard = reverse("wizard-start", args=[acme.slug])
    except NoReverseMatch:  # the step-by-step planner is not there yet
        assert "Start from a template" not in page
    else:
        assert "Start from a template" in page and wizard in page
    viewer = logged_in(bob).get(f"/o/{acme.slug}/goals/").content.decode()
    assert "No goals yet" in viewer
    assert "Create your first goal" not in viewer
    assert "ask an owner or an admin" in viewer


def dashboard_queries(client_user: User, org: Organization) -> int:
    client = logged_in(client_user)
    client.get(f"/o/{org.slug}/goals/")  # plans are computed and cached; the count must not depend on it
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/o/{org.slug}/goals/?team=&owner=")
    assert response.status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_number_of_goals(acme: Organization, alice: User, carol: User) -> None:
    today = org_today(acme)
    top = objective(acme, alice, today)
    team = Team.objects.create(organization=acme, name="Logistics", slug="logistics")
    keys = ["supply-chain", "manufacturing", "customer-service"]

    def add(n: int) -> None:
        for k in range(n):
            goal = template_goal(alice, acme, keys[k % 3], weeks_left=20 + k, parent=top, team=team, seed=k)
            goal.milestones.filter(status="not_started").update(owner=carol)

    add(3)
    with_three = dashboard_queries(alice, acme)
    add(9)
    assert Goal.objects.filter(organization=acme).count() == 13
    with_twelve = dashboard_queries(alice, acme)
    assert with_twelve == with_three
    assert with_three <= 20

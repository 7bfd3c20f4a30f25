"""The goal page: plan verdict, health, SMART reasons, KPI charts from json_script, milestones, forms."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from django.template.defaultfilters import floatformat

from backcast.accounts.models import User
from backcast.goals.models import KPI, Goal, Milestone, Reading
from backcast.organizations.models import Organization
from backcast.planning.kpi import Point, forecast
from backcast.planning.report import verdict
from backcast.services.platform.clock import org_today
from backcast.services.reporting import assessment
from backcast.services.reporting.plans import goal_plan
from backcast.services.reporting.progress import kpi_target
from tests.conftest import csrf_token, logged_in
from tests.web.plan_data import objective, template_goal


def json_script(page: str, element_id: str) -> Any:
    """The data a json_script element carries (and proof that it is one)."""
    match = re.search(
        rf'<script id="{re.escape(element_id)}" type="application/json">(.*?)</script>', page, re.S
    )
    assert match, f"no json_script #{element_id}"
    return json.loads(match.group(1))


def test_goal_page_shows_the_plan_health_and_smart_reasons(acme: Organization, alice: User) -> None:
    today = org_today(acme)
    goal = template_goal(alice, acme, "supply-chain", parent=objective(acme, alice, today))
    page = logged_in(alice).get(f"/goals/{goal.pk}/").content.decode()

    result = goal_plan(goal, today).result
    assert verdict(result) in page
    assert result.required_start.strftime("%-d %b %Y") in page
    health = assessment.goal_health(goal, today)
    assert health.findings, "the history drifts behind its interim targets"
    for finding in health.findings:
        assert finding.text.replace("'", "&#x27;") in page
    for letter in assessment.goal_smart(goal, today):
        assert f"{letter.name} " in page
        for reason in letter.reasons:
            assert reason.replace("'", "&#x27;") in page
    for planned in result.milestones:
        assert planned.title in page
        assert planned.start.strftime("%-d %b %Y") in page
        assert planned.finish.strftime("%-d %b %Y") in page
    assert 'class="crit"' in page  # the critical path is marked
    assert f'href="/goals/{goal.pk}/timeline/"' in page
    assert "Waiting on IT for the data extract." in page or "Steady week." in page  # the check-in history


def test_each_kpi_chart_gets_its_data_through_json_script(acme: Organization, alice: User) -> None:
    today = org_today(acme)
    goal = template_goal(alice, acme, "manufacturing")
    page = logged_in(alice).get(f"/goals/{goal.pk}/").content.decode()
    assert "vendor/echarts-5.6.0.min.js" in page and "backcast/charts.js" in page
    for kpi in KPI.objects.filter(goal=goal):
        data = json_script(page, f"kpi-chart-{kpi.pk}")
        assert f'data-source="kpi-chart-{kpi.pk}"' in page
        readings = list(Reading.objects.filter(kpi=kpi).order_by("date", "pk"))
        assert data["readings"] == [[r.date.isoformat(), r.value] for r in readings]
        assert data["name"] == kpi.name and data["target"] == kpi.target
        assert data["target_date"] == goal.deadline.isoformat() and data["today"] == today.isoformat()
        trajectory = assessment.kpi_trajectory(kpi, today)
        assert data["trajectory"][0] == [kpi.baseline_date.isoformat(), kpi.baseline, ["baseline"], False]  # type: ignore[union-attr]
        assert data["trajectory"][1:] == [
            [d.isoformat(), v, titles, pinned] for d, v, pinned, titles in trajectory
        ]
        expected = forecast(
            [Point(r.date, r.value) for r in readings], kpi_target(kpi, goal.deadline).target_date
        )
        assert expected is not None
        last = data["forecast"]["points"][-1]
        assert last == [goal.deadline.isoformat(), expected.value, expected.low, expected.high]
        assert data["forecast"]["points"][0][0] == readings[-1].date.isoformat()
        assert f"{floatformat(expected.low, -2)}\N{EN DASH}{floatformat(expected.high, -2)}" in page


def test_people_text_in_charts_is_escaped(acme: Organization, alice: User) -> None:
    goal = Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    kpi = KPI.objects.create(goal=goal, name="</script><script>alert(1)</script>", unit="%", target=95)
    page = logged_in(alice).get(f"/goals/{goal.pk}/").content.decode()
    assert "<script>alert(1)" not in page
    assert json_script(page, f"kpi-chart-{kpi.pk}")["name"] == "</script><script>alert(1)</script>"


def test_a_new_goal_says_what_is_missing(acme: Organization, alice: User) -> None:
    goal = Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    page = logged_in(alice).get(f"/goals/{goal.pk}/").content.decode()
    assert "No plan yet: the plan has no milestones." in page
    assert "Not assessed yet" in page
    assert "No KPI yet" in page and "No milestones yet" in page and "No check-ins yet" in page
    assert "Measurable" in page and "status-fail" in page  # no KPI fails the M of SMART


def test_milestone_rows_show_owner_plan_dates_and_slack(acme: Organization, alice: User, carol: User) -> None:
    today = org_today(acme)
    deadline = today + timedelta(weeks=8)
    goal = Goal.objects.create(
        organization=acme, title="Ship the 5-day pilot", deadline=deadline, owner=alice
    )
    first = Milestone.objects.create(goal=goal, title="Prepare the pilot", duration=5, owner=carol)
    second = Milestone.objects.create(goal=goal, title="Run the pilot", duration=5)
    second.predecessor_links.create(predecessor=first)
    page = logged_in(alice).get(f"/goals/{goal.pk}/").content.decode()
    plan = goal_plan(goal, today).result
    by_title = {m.title: m for m in plan.milestones}
    assert by_title["Run the pilot"].finish.strftime("%-d %b %Y") in page
    assert by_title["Prepare the pilot"].start.strftime("%-d %b %Y") in page
    assert f"{by_title['Prepare the pilot'].slack} d" in page
    assert "Carol Contributor" in page and "no owner" in page
    assert "after Prepare the pilot" in page


def test_reading_errors_are_shown_by_the_field_with_the_input_kept(acme: Organization, alice: User) -> None:
    goal = template_goal(alice, acme, "customer-service", history=False)
    kpi = KPI.objects.filter(goal=goal).first()
    assert kpi is not None
    client = logged_in(alice)
    token = csrf_token(client, f"/goals/{goal.pk}/")
    response = client.post(
        f"/kpis/{kpi.pk}/readings/", {"date": "2031-01-31", "value": "lots"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a number." in page
    assert 'value="lots"' in page and 'value="2031-01-31"' in page
    assert not Reading.objects.filter(kpi=kpi).exists()
    ok = client.post(
        f"/kpis/{kpi.pk}/readings/", {"date": "2031-01-31", "value": "81"}, HTTP_X_CSRFTOKEN=token
    )
    assert ok.status_code == 302


def test_viewer_reads_the_page_but_cannot_record(acme: Organization, alice: User, bob: User) -> None:
    goal = template_goal(alice, acme, "supply-chain")
    kpi = KPI.objects.filter(goal=goal).first()
    assert kpi is not None
    client = logged_in(bob)
    page = client.get(f"/goals/{goal.pk}/").content.decode()
    assert "SMART check" in page and "Record a reading" not in page
    token = csrf_token(client, f"/goals/{goal.pk}/")
    before = Reading.objects.count()
    response = client.post(
        f"/kpis/{kpi.pk}/readings/", {"date": "2031-01-31", "value": "81"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 403
    assert Reading.objects.count() == before

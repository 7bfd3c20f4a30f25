"""The timeline page: the backward plan as a Gantt and the load on each resource, from json_script."""

from __future__ import annotations

from datetime import date

from backcast.accounts.models import User
from backcast.goals.models import Demand, Goal, Milestone, Resource
from backcast.organizations.models import Organization
from backcast.services.platform.clock import org_today
from backcast.services.reporting.plans import goal_plan
from tests.conftest import logged_in
from tests.web.plan_data import template_goal
from tests.web.test_goal_overview import json_script


def test_gantt_data_is_the_backward_plan(acme: Organization, alice: User) -> None:
    today = org_today(acme)
    goal = template_goal(alice, acme, "manufacturing")
    response = logged_in(alice).get(f"/goals/{goal.pk}/timeline/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "vendor/echarts-5.6.0.min.js" in page and "backcast/timeline.js" in page
    assert 'data-chart="gantt" data-source="gantt-data"' in page
    data = json_script(page, "gantt-data")
    plan = goal_plan(goal, today)
    result, ids = plan.result, plan.milestone_ids
    assert data["today"] == today.isoformat()
    assert data["deadline"] == goal.deadline.isoformat()
    assert data["required_start"] == result.required_start.isoformat()
    assert data["critical_path"] == [ids[name] for name in result.critical_path]
    bars = {m["id"]: m for m in data["milestones"]}
    for planned in result.milestones:
        bar = bars[ids[planned.id]]
        assert (bar["start"], bar["finish"]) == (planned.start.isoformat(), planned.finish.isoformat())
        assert bar["critical"] == planned.critical and bar["slack"] == planned.slack
        assert bar["baseline"] is None  # re-planning will fill it; nothing is faked before then
    starts = [m["start"] for m in data["milestones"]]
    assert starts == sorted(starts)  # drawn in planned order
    links = {(link["from"], link["to"]) for link in data["links"]}
    for m in Milestone.objects.filter(goal=goal):
        for link in m.predecessor_links.all():
            assert (link.predecessor_id, m.pk) in links
    done = next(m for m in data["milestones"] if m["status"] == "done")
    assert done["owner"] == "Alice Admin"
    assert data["baseline"] is None
    assert "Baselines appear here once the goal has been re-planned" in page


def test_capacity_view_marks_overloads_where_goals_share_a_resource(acme: Organization, alice: User) -> None:
    first = template_goal(alice, acme, "supply-chain", history=False)
    second = template_goal(alice, acme, "supply-chain", history=False)
    page = logged_in(alice).get(f"/goals/{first.pk}/timeline/").content.decode()
    analysts = Resource.objects.get(organization=acme, name="Analysts")
    data = json_script(page, f"capacity-{analysts.pk}")
    assert data["resource"] == "Analysts" and data["capacity"] == analysts.capacity
    others = [s for s in data["series"] if s["goal"] == "other"]
    assert [s["goal_id"] for s in others] == [second.pk]
    mine = {s["name"] for s in data["series"] if s["goal"] == "this"}
    assert mine == set(
        Demand.objects.filter(milestone__goal=first, resource=analysts).values_list(
            "milestone__title", flat=True
        )
    )
    # each plan is levelled on its own; the two together need twice the analysts on the same days
    assert any(data["overloaded"])
    for k, over in enumerate(data["overloaded"]):
        assert over == (data["peak"][k] > analysts.capacity)
        assert data["capacity_per_week"][k] <= 5 * analysts.capacity
    assert "overloaded" in page
    alone = logged_in(alice).get(f"/goals/{first.pk}/timeline/")
    assert alone.status_code == 200


def test_one_goal_alone_stays_within_capacity(acme: Organization, alice: User) -> None:
    goal = template_goal(alice, acme, "customer-service", history=False)
    page = logged_in(alice).get(f"/goals/{goal.pk}/timeline/").content.decode()
    for resource in Resource.objects.filter(organization=acme):
        data = json_script(page, f"capacity-{resource.pk}")
        assert not any(data["overloaded"])
        assert sum(sum(s["values"]) for s in data["series"]) > 0
        week_of = date.fromisoformat(data["weeks"][0])
        assert week_of.weekday() == 0
    assert "within capacity" in page


def test_timeline_without_milestones_says_what_to_do(acme: Organization, alice: User) -> None:
    goal = Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    page = logged_in(alice).get(f"/goals/{goal.pk}/timeline/").content.decode()
    assert "No timeline yet" in page
    assert "gantt-data" not in page
    Milestone.objects.create(goal=goal, title="Audit", duration=5)
    page = logged_in(alice).get(f"/goals/{goal.pk}/timeline/").content.decode()
    assert "No milestone of this goal uses a resource" in page
    assert json_script(page, "gantt-data")["milestones"][0]["finish"] == "2031-06-30"


def test_timeline_is_read_only_for_a_viewer_and_hidden_from_outsiders(
    acme: Organization, alice: User, bob: User, charlie: User
) -> None:
    goal = template_goal(alice, acme, "supply-chain", history=False)
    assert logged_in(bob).get(f"/goals/{goal.pk}/timeline/").status_code == 200
    outsider = logged_in(charlie)
    assert outsider.get(f"/goals/{goal.pk}/timeline/").status_code == 404
    assert logged_in(alice).get(f"/goals/{goal.pk + 1000}/timeline/").status_code == 404

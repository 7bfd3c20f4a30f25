"""Re-planning pages: baselines on the timeline (bars, variance, the accept form) and what-if scenarios."""

from __future__ import annotations

from datetime import date

from backcast.accounts.models import User
from backcast.goals.models import Goal, Milestone, Resource
from backcast.organizations.models import Organization
from backcast.replanning.models import Baseline, Scenario
from backcast.services.goals.milestones import add_milestone, update_milestone
from backcast.services.replanning.baselines import accept_plan
from backcast.services.replanning.scenarios import create_scenario
from tests.conftest import csrf_token, logged_in
from tests.web.plan_data import template_goal
from tests.web.test_goal_overview import json_script


def small_goal(alice: User, acme: Organization) -> tuple[Goal, Milestone, Milestone]:
    goal = Goal.objects.create(
        organization=acme, title="Raise OTD to 95%", start=date(2031, 1, 6), deadline=date(2031, 6, 30)
    )
    audit = add_milestone(alice, goal.pk, {"title": "Audit carriers", "duration": 5})
    cards = add_milestone(alice, goal.pk, {"title": "Scorecards", "duration": 5, "after": [audit.pk]})
    return goal, audit, cards


def test_accepting_the_plan_draws_baseline_bars_and_the_variance(acme: Organization, alice: User) -> None:
    goal = template_goal(alice, acme, "supply-chain", history=False)
    client = logged_in(alice)
    page = client.get(f"/goals/{goal.pk}/timeline/").content.decode()
    assert "Accept this plan as a baseline" in page and "No baseline yet" in page
    token = csrf_token(client)
    response = client.post(
        f"/goals/{goal.pk}/timeline/baselines/", {"reason": "first plan"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302 and response["Location"] == f"/goals/{goal.pk}/timeline/"
    baseline = Baseline.objects.get(goal=goal)
    assert (baseline.number, baseline.reason, baseline.taken_by) == (1, "first plan", alice)
    # a slip: the longest milestone takes a week more, and the plan is worked out again
    slipping = goal.milestones.order_by("-duration", "pk").first()
    assert slipping is not None
    update_milestone(alice, slipping.pk, {"duration": slipping.duration + 5})
    page = client.get(f"/goals/{goal.pk}/timeline/").content.decode()
    assert "Plan accepted as baseline 1" in page
    data = json_script(page, "gantt-data")
    assert data["baseline"]["number"] == 1 and data["baseline"]["reason"] == "first plan"
    assert data["baseline"]["removed"] == []
    bars = {m["id"]: m for m in data["milestones"]}
    kept = {m["id"]: m for m in baseline.plan["milestones"]}
    assert set(bars) == set(kept)
    for pk, bar in bars.items():
        assert (bar["baseline"]["start"], bar["baseline"]["finish"]) == (
            kept[pk]["start"],
            kept[pk]["finish"],
        )
    assert bars[slipping.pk]["baseline"]["start_slip"] < 0  # it must begin earlier now
    assert "Baselines and variance" in page and "Baseline 1 (thin bar under each)" in page
    assert "accepted by Alice Admin" in page
    assert "working days earlier" in page
    assert "Baselines appear here once the goal has been re-planned" not in page


def test_the_accept_form_needs_a_reason_and_keeps_what_was_typed(acme: Organization, alice: User) -> None:
    goal, _, _ = small_goal(alice, acme)
    client = logged_in(alice)
    token = csrf_token(client)
    response = client.post(f"/goals/{goal.pk}/timeline/baselines/", {"reason": "  "}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    page = response.content.decode()
    assert "say why this plan is accepted" in page and 'class="field has-error"' in page
    long = "slipped " * 70
    response = client.post(f"/goals/{goal.pk}/timeline/baselines/", {"reason": long}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "must be at most 500 characters" in response.content.decode()
    assert long.strip() in response.content.decode()
    assert not Baseline.objects.exists()
    assert client.post(f"/goals/{goal.pk}/timeline/baselines/", {"reason": "first plan"}).status_code == 403


def test_choosing_another_baseline(acme: Organization, alice: User, bob: User) -> None:
    goal, audit, cards = small_goal(alice, acme)
    accept_plan(alice, goal.pk, "first plan")
    update_milestone(alice, audit.pk, {"duration": 10})
    accept_plan(alice, goal.pk, "audit slipped a week")
    client = logged_in(bob)
    page = client.get(f"/goals/{goal.pk}/timeline/").content.decode()
    data = json_script(page, "gantt-data")
    assert data["baseline"]["number"] == 2
    assert {m["id"]: m["baseline"]["start_slip"] for m in data["milestones"]} == {audit.pk: 0, cards.pk: 0}
    assert "Accept this plan as a baseline" not in page  # a viewer reads, nothing more
    page = client.get(f"/goals/{goal.pk}/timeline/baselines/?baseline=1").content.decode()
    data = json_script(page, "gantt-data")
    assert data["baseline"]["number"] == 1
    assert {m["id"]: m["baseline"]["start_slip"] for m in data["milestones"]} == {audit.pk: -5, cards.pk: 0}
    assert '<option value="1" selected>' in page and "5 working days earlier" in page
    for bad in ("9", "one", "-1"):
        assert client.get(f"/goals/{goal.pk}/timeline/baselines/?baseline={bad}").status_code == 404
    token = csrf_token(client)
    response = client.post(
        f"/goals/{goal.pk}/timeline/baselines/", {"reason": "mine"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 403
    assert Baseline.objects.count() == 2


def test_a_removed_milestone_and_a_goal_that_cannot_be_planned(acme: Organization, alice: User) -> None:
    goal, audit, cards = small_goal(alice, acme)
    accept_plan(alice, goal.pk, "first plan")
    cards.delete()
    page = logged_in(alice).get(f"/goals/{goal.pk}/timeline/").content.decode()
    assert json_script(page, "gantt-data")["baseline"]["removed"][0]["title"] == "Scorecards"
    assert "removed</span>" in page
    audit.delete()
    page = logged_in(alice).get(f"/goals/{goal.pk}/timeline/").content.decode()
    assert "No timeline yet" in page and "There is no live plan to compare" in page
    assert "Accept this plan as a baseline" not in page


def test_create_compare_and_adopt_a_scenario_on_its_pages(acme: Organization, alice: User) -> None:
    goal, audit, cards = small_goal(alice, acme)
    analysts = Resource.objects.create(organization=acme, name="Analysts", capacity=1)
    update_milestone(alice, audit.pk, {"demand": {"Analysts": 1}})
    client = logged_in(alice)
    page = client.get(f"/goals/{goal.pk}/scenarios/").content.decode()
    assert "No scenario yet" in page and "Save and compare" in page
    assert f'name="duration_{audit.pk}"' in page and f'name="capacity_{analysts.pk}"' in page
    token = csrf_token(client)
    form = {
        "name": "Audit slips",
        f"duration_{audit.pk}": "8",
        f"duration_{cards.pk}": "5",  # unchanged: no change recorded
        f"capacity_{analysts.pk}": "2",
        "add_title": "Brief the board",
        "add_duration": "1",
        "add_after": [str(cards.pk)],
    }
    response = client.post(f"/goals/{goal.pk}/scenarios/", form, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    scenario = Scenario.objects.get(goal=goal)
    assert response["Location"] == f"/scenarios/{scenario.pk}/"
    assert scenario.changes["milestones"] == [{"id": audit.pk, "duration": 8}]
    assert scenario.changes["capacity"] == [{"resource": analysts.pk, "capacity": 2}]
    assert scenario.changes["add"][0]["after"] == [cards.pk]
    page = client.get(response["Location"]).content.decode()
    assert "What if: Audit slips" in page
    assert "“Audit carriers”: 8 working days" in page and "Analysts: 2 a day" in page
    assert "Add “Brief the board”, 1 working day, after “Scorecards”" in page
    assert "4 working days earlier" in page  # work must begin 3 + 1 days sooner
    assert "Adopt this scenario" in page
    assert "· 1 a day → 2 a day in the scenario" in page
    listing = client.get(f"/goals/{goal.pk}/scenarios/").content.decode()
    assert "1 milestone changed · 1 added · 1 capacity" in listing
    response = client.post(f"/scenarios/{scenario.pk}/adopt/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302 and response["Location"] == f"/goals/{goal.pk}/timeline/"
    audit.refresh_from_db()
    analysts.refresh_from_db()
    assert (audit.duration, analysts.capacity) == (8, 2)
    page = client.get(response["Location"]).content.decode()
    assert "Scenario “Audit slips” adopted and kept as baseline 1" in page
    assert "adopted scenario Audit slips" in page
    assert not Scenario.objects.exists()


def test_scenario_form_errors_are_shown_by_the_field(acme: Organization, alice: User) -> None:
    goal, audit, cards = small_goal(alice, acme)
    create_scenario(alice, goal.pk, {"name": "Taken"})
    client = logged_in(alice)
    token = csrf_token(client)
    url = f"/goals/{goal.pk}/scenarios/"
    response = client.post(url, {"name": "taken"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "there is already a scenario called" in response.content.decode()
    response = client.post(url, {"name": "Half", "add_title": "Brief the board"}, HTTP_X_CSRFTOKEN=token)
    page = response.content.decode()
    assert response.status_code == 400 and 'value="Brief the board"' in page
    error = page.index("give a duration in working days or an estimate")
    assert page.rindex('name="add_duration"', 0, error) > page.rindex('name="add_title"', 0, error)
    loop = {"name": "Loop", f"remove_{audit.pk}": "on", "add_title": "X", "add_duration": "1"}
    response = client.post(url, loop | {"add_after": [str(audit.pk)]}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400 and "is removed in this scenario" in response.content.decode()
    response = client.post(url, {"name": "Early", "deadline": "2030-12-01"}, HTTP_X_CSRFTOKEN=token)
    page = response.content.decode()
    assert response.status_code == 400 and "is before the start" in page and 'value="2030-12-01"' in page
    gone = {"name": "Gone", f"remove_{audit.pk}": "on", f"remove_{cards.pk}": "on"}
    response = client.post(url, gone, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400 and "cannot be planned" in response.content.decode()
    response = client.post(url, {"name": "", f"duration_{audit.pk}": "-1"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert Scenario.objects.count() == 1


def test_a_refused_adoption_changes_nothing_and_says_why(acme: Organization, alice: User) -> None:
    goal, audit, _ = small_goal(alice, acme)
    scenario = create_scenario(
        alice, goal.pk, {"name": "Short audit", "changes": {"milestones": [{"id": audit.pk, "duration": 2}]}}
    )
    audit.delete()
    client = logged_in(alice)
    token = csrf_token(client)
    page = client.get(f"/scenarios/{scenario.pk}/").content.decode()
    assert "Some changes no longer fit the goal" in page
    response = client.post(f"/scenarios/{scenario.pk}/adopt/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "Not adopted, nothing changed" in response.content.decode()
    assert not Baseline.objects.exists()
    response = client.post(f"/scenarios/{scenario.pk}/discard/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302 and response["Location"] == f"/goals/{goal.pk}/scenarios/"
    assert not Scenario.objects.exists()


def test_viewers_read_scenarios_without_forms_and_cannot_act(
    acme: Organization, alice: User, bob: User, charlie: User
) -> None:
    goal, _, _ = small_goal(alice, acme)
    scenario = create_scenario(alice, goal.pk, {"name": "As is"})
    client = logged_in(bob)
    listing = client.get(f"/goals/{goal.pk}/scenarios/").content.decode()
    assert "As is" in listing and "Save and compare" not in listing
    page = client.get(f"/scenarios/{scenario.pk}/").content.decode()
    assert "None: this scenario is a copy of the live plan" in page and "Adopt this scenario" not in page
    token = csrf_token(client)
    for url in (
        f"/goals/{goal.pk}/scenarios/",
        f"/scenarios/{scenario.pk}/adopt/",
        f"/scenarios/{scenario.pk}/discard/",
    ):
        assert client.post(url, {"name": "Mine"}, HTTP_X_CSRFTOKEN=token).status_code == 403
    assert logged_in(charlie).get(f"/scenarios/{scenario.pk}/").status_code == 404
    assert Scenario.objects.count() == 1


def test_baselines_and_scenarios_in_the_back_office(acme: Organization, alice: User) -> None:
    from django.test import Client
    from django.urls import reverse

    goal, _, _ = small_goal(alice, acme)
    baseline = accept_plan(alice, goal.pk, "first plan")
    create_scenario(alice, goal.pk, {"name": "As is"})
    staff = User.objects.create_superuser(email="ops@backcast.test", password="a long passphrase 1")
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("admin:replanning_baseline_changelist")).status_code == 200
    assert client.get(reverse("admin:replanning_scenario_changelist")).status_code == 200
    page = client.get(reverse("admin:replanning_baseline_change", args=[baseline.pk]))
    assert page.status_code == 200 and b"first plan" in page.content
    assert client.get(reverse("admin:replanning_baseline_add")).status_code == 403

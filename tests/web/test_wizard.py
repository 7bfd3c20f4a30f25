"""The backward-planning wizard as an operations lead walks it: five steps, each saved as it goes.

alice (admin) plans; carol (contributor) and bob (viewer) may not; charlie (another organisation)
sees nothing. Dates: work may begin Monday 6 January 2031, the deadline is Monday 30 June 2031.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from backcast.accounts.models import User
from backcast.goals.models import KPI, Dependency, Goal, Milestone
from backcast.organizations.models import Organization
from backcast.services.reporting.plans import goal_plan
from tests.conftest import csrf_token, logged_in

GOAL = {
    "title": "Raise on-time delivery to 95%",
    "description": "Carrier performance, dock scheduling and stock levels across the network.",
    "deadline": "2031-06-30",
    "start": "2031-01-06",
    "template": "",
}


def step(goal: Goal | int, number: int) -> str:
    pk = goal if isinstance(goal, int) else goal.pk
    return f"/goals/{pk}/plan-wizard/{number}/"


class Planner:
    """A logged-in person with the CSRF token that the forms need."""

    def __init__(self, user: User, org: Organization) -> None:
        self.user = user
        self.client: Client = logged_in(user)
        self.token = csrf_token(self.client)
        self.org = org

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(url, params)

    def post(self, url: str, data: dict[str, Any]) -> Any:
        return self.client.post(url, data, HTTP_X_CSRFTOKEN=self.token)

    def start(self, **fields: Any) -> Goal:
        response = self.post(f"/o/{self.org.slug}/plan/", GOAL | {"owner": self.user.pk} | fields)
        assert response.status_code == 302, response.content.decode()
        goal = Goal.objects.latest("pk")
        assert response["Location"] == step(goal, 2)
        return goal

    def add_milestone(self, goal: Goal, title: str, **fields: Any) -> Milestone:
        response = self.post(step(goal, 3), {"title": title, "action": "add"} | fields)
        assert response.status_code == 302, response.content.decode()
        assert response["Location"] == step(goal, 3)
        return Milestone.objects.get(goal=goal, title=title)


@pytest.fixture
def planner(acme: Organization, alice: User) -> Planner:
    return Planner(alice, acme)


def html(response: Any) -> str:
    return str(response.content.decode())


def field_block(page: str, name: str) -> str:
    """The markup from a form field's input to the next field: where its errors are shown."""
    found = re.search(rf'name="{re.escape(name)}".*?(?=<div class="field|<fieldset|$)', page, re.S)
    assert found, name
    return found.group(0)


def test_walk_all_five_steps_to_a_planned_goal(planner: Planner, acme: Organization, carol: User) -> None:
    page = html(planner.get(f"/o/{acme.slug}/plan/"))
    assert 'aria-current="step"' in page and "step 1 of 5" in page
    assert f'hx-get="/o/{acme.slug}/plan/smart/"' in page  # the live SMART check, when htmx is there
    assert 'data-letter="T" data-status="fail"' in page  # no deadline typed yet
    goal = planner.start()
    assert goal.owner is not None and goal.owner.email == "alice@acme.test"

    # 2. KPIs: Add stays on the step; Next adds the KPI typed and moves on.
    kpi = {"name": "On-time delivery", "unit": "%", "direction": "increase", "baseline": "82"}
    kpi |= {"baseline_date": "2031-01-06", "target": "95", "action": "add"}
    response = planner.post(step(goal, 2), kpi)
    assert (response.status_code, response["Location"]) == (302, step(goal, 2))
    lead = {
        "name": "Order lead time",
        "unit": "days",
        "direction": "decrease",
        "baseline": "6",
        "target": "4",
    }
    response = planner.post(step(goal, 2), lead | {"action": "next"})
    assert (response.status_code, response["Location"]) == (302, step(goal, 3))
    assert list(goal.kpis.values_list("name", flat=True)) == ["On-time delivery", "Order lead time"]

    # 3. Milestones from the end backward, each before the last one added.
    page = html(planner.get(step(goal, 3)))
    assert "right before the deadline, 30 Jun 2031?" in page
    assert "No plan yet" in page
    rollout = planner.add_milestone(goal, "Roll out to all lanes", duration="10")
    page = html(planner.get(step(goal, 3)))
    assert "right before “Roll out to all lanes”?" in page
    assert re.search(rf'name="before" value="{rollout.pk}" id="id_before_\d+" checked', page)
    pilot = planner.add_milestone(
        goal, "Pilot with three carriers", optimistic="4", likely="5", pessimistic="9", before=rollout.pk
    )
    audit = planner.add_milestone(goal, "Audit carrier data", duration="5", before=pilot.pk)
    master = planner.add_milestone(goal, "Clean master data", duration="3", before=rollout.pk)
    links = set(Dependency.objects.values_list("predecessor__title", "successor__title"))
    assert links == {
        ("Pilot with three carriers", "Roll out to all lanes"),
        ("Audit carrier data", "Pilot with three carriers"),
        ("Clean master data", "Roll out to all lanes"),
    }
    page = html(planner.get(step(goal, 3)))
    assert 'data-feasible="true"' in page and "Feasible:" in page
    assert 'Work must begin by</dt><dd><time datetime="2031-06-03">' in page
    for start, finish in [
        ("2031-06-17", "2031-06-30"),
        ("2031-06-10", "2031-06-16"),
        ("2031-06-03", "2031-06-09"),
    ]:
        assert f'<time datetime="{start}">' in page and f'<time datetime="{finish}">' in page
    assert "12 Jun 2031" in page  # master data, planned as late as the roll-out allows
    table = page[page.index('class="table wizard-milestones"') :]
    assert (
        table.index("Audit carrier data") < table.index("Pilot with three carriers") < table.index("Roll out")
    )

    # 4. Owners and pinned dates; the plan is shown again.
    page = html(planner.get(step(goal, 4)))
    assert 'Work must begin by</dt><dd><time datetime="2031-06-03">' in page
    assert "4 milestones without an owner" in page
    owners = {f"m{m.pk}-owner": str(planner.user.pk) for m in (rollout, pilot, audit)}
    owners |= {f"m{master.pk}-owner": str(carol.pk), f"m{audit.pk}-pinned_finish": "2031-06-13"}
    response = planner.post(step(goal, 4), owners | {"action": "save"})
    assert (response.status_code, response["Location"]) == (302, step(goal, 4))
    page = html(planner.get(step(goal, 4)))
    assert "without an owner" not in page
    assert '<time datetime="2031-06-09">' in page and 'value="2031-06-13"' in page
    response = planner.post(step(goal, 4), owners | {"action": "next"})
    assert (response.status_code, response["Location"]) == (302, step(goal, 5))
    assert Milestone.objects.get(pk=master.pk).owner == carol
    assert Milestone.objects.get(pk=audit.pk).pinned_finish == date(2031, 6, 13)

    # 5. The review cadence, then the goal page.
    page = html(planner.get(step(goal, 5)))
    assert "On-time delivery (82.0 → 95.0 %)" in page and "Feasible:" in page
    response = planner.post(step(goal, 5), {"cadence": "fortnightly"})
    assert (response.status_code, response["Location"]) == (302, f"/goals/{goal.pk}/")
    goal.refresh_from_db()
    assert goal.cadence == "fortnightly"
    plan = goal_plan(goal, timezone.localdate()).result
    assert plan.feasible and plan.required_start == date(2031, 6, 3)
    assert not Milestone.objects.filter(goal=goal, owner__isnull=True).exists()
    assert "Goal planned" in html(planner.get(f"/goals/{goal.pk}/"))


def test_a_template_fills_kpis_and_milestones(planner: Planner) -> None:
    goal = planner.start(template="supply-chain", title="", description="", deadline="2031-12-19")
    assert goal.title == "Raise on-time delivery to 95%"  # the template's, as none was typed
    assert goal.kpis.count() == 3 and goal.milestones.count() == 8
    own = planner.start(template="customer-service", title="CSAT to 90% in the Leeds centre")
    assert own.title == "CSAT to 90% in the Leeds centre" and own.description == GOAL["description"]
    page = html(planner.get(step(own, 3)))
    assert "Feasible:" in page or "Not feasible:" in page
    assert "Quality audit of 200 tickets" in page


def test_step_one_errors_are_shown_by_the_field_with_the_input_kept(
    planner: Planner, acme: Organization
) -> None:
    url = f"/o/{acme.slug}/plan/"
    response = planner.post(url, GOAL | {"title": "  ", "owner": planner.user.pk})
    assert response.status_code == 400
    page = html(response)
    assert "Name the outcome, or start from a template." in field_block(page, "title")
    assert GOAL["description"] in page and 'value="2031-06-30"' in page
    assert 'aria-invalid="true"' in field_block(page, "title") and "autofocus" in field_block(page, "title")
    assert 'role="alert"' in page and 'href="#id_title"' in page
    response = planner.post(
        url,
        GOAL
        | {"title": "Ship faster", "deadline": "2031-01-01", "start": "2031-02-01", "owner": planner.user.pk},
    )
    assert response.status_code == 400
    page = html(response)
    assert "is before the start" in field_block(page, "deadline")
    assert 'value="Ship faster"' in page and 'value="2031-02-01"' in page
    response = planner.post(url, GOAL | {"deadline": "30/06/2031"})
    assert "Enter a valid date." in field_block(html(response), "deadline")
    assert not Goal.objects.exists()


def test_kpi_errors_are_shown_by_the_field(planner: Planner) -> None:
    goal = planner.start()
    kpi = {
        "name": "OTD",
        "unit": "%",
        "direction": "increase",
        "baseline": "90",
        "target": "80",
        "action": "add",
    }
    response = planner.post(step(goal, 2), kpi)
    assert response.status_code == 400
    page = html(response)
    assert "is below the baseline" in field_block(page, "target")
    assert 'value="OTD"' in page and 'value="80"' in page
    response = planner.post(step(goal, 2), kpi | {"target": "", "action": "next"})
    assert response.status_code == 400  # Next with a half-typed KPI does not lose it
    assert "This field is required." in field_block(html(response), "target")
    assert not KPI.objects.exists()
    assert planner.post(step(goal, 2), {"action": "next", "direction": "increase"})["Location"] == step(
        goal, 3
    )


def test_milestone_errors_are_shown_by_the_field_with_the_input_kept(planner: Planner) -> None:
    goal = planner.start()
    for duration, message in [("-2", "greater than or equal to 0"), ("two weeks", "Enter a whole number.")]:
        response = planner.post(step(goal, 3), {"title": "Pilot", "duration": duration, "action": "add"})
        assert response.status_code == 400
        page = html(response)
        assert message in field_block(page, "duration")
        assert 'value="Pilot"' in page and f'value="{duration}"' in page
    response = planner.post(step(goal, 3), {"title": "Pilot", "action": "add"})
    assert "give a duration in working days or an estimate" in field_block(html(response), "duration")
    response = planner.post(
        step(goal, 3),
        {"title": "Pilot", "optimistic": "9", "likely": "5", "pessimistic": "9", "action": "add"},
    )
    assert "must be ordered optimistic" in field_block(html(response), "likely")
    assert not Milestone.objects.exists()


def test_a_dependency_cycle_is_refused_by_the_field_and_nothing_is_saved(planner: Planner) -> None:
    goal = planner.start()
    launch = planner.add_milestone(goal, "Launch", duration="2")
    pilot = planner.add_milestone(goal, "Pilot", duration="5", before=launch.pk)
    # "Train" after the launch but before the pilot, which comes before the launch: a loop.
    body = {
        "title": "Train the crews",
        "duration": "3",
        "after": launch.pk,
        "before": pilot.pk,
        "action": "add",
    }
    response = planner.post(step(goal, 3), body)
    assert response.status_code == 400
    page = html(response)
    assert "would close a cycle" in field_block(page, "before")
    assert 'value="Train the crews"' in page
    assert not Milestone.objects.filter(title="Train the crews").exists()
    assert set(Dependency.objects.values_list("predecessor", "successor")) == {(pilot.pk, launch.pk)}


def test_owner_step_errors_keep_every_row(planner: Planner) -> None:
    goal = planner.start()
    first = planner.add_milestone(goal, "Audit", duration="5")
    second = planner.add_milestone(goal, "Scope", duration="2", before=first.pk)
    body = {
        f"m{second.pk}-owner": str(planner.user.pk),
        f"m{first.pk}-owner": "",
        f"m{first.pk}-pinned_start": "2031-06-20",
        f"m{first.pk}-pinned_finish": "2031-06-10",
        "action": "next",
    }
    response = planner.post(step(goal, 4), body)
    assert response.status_code == 400
    page = html(response)
    assert "is before the pinned start" in field_block(page, f"m{first.pk}-pinned_finish")
    assert 'value="2031-06-20"' in page and f'<option value="{planner.user.pk}" selected>' in page
    assert not Milestone.objects.filter(owner__isnull=False).exists()  # all rows or none


def test_removing_a_milestone_keeps_the_chain_and_a_kpi_can_be_removed(planner: Planner) -> None:
    goal = planner.start()
    c = planner.add_milestone(goal, "C", duration="2")
    b = planner.add_milestone(goal, "B", duration="2", before=c.pk)
    a = planner.add_milestone(goal, "A", duration="2", before=b.pk)
    response = planner.post(step(goal, 3), {"action": "remove", "milestone": b.pk})
    assert response.status_code == 302
    assert set(Dependency.objects.values_list("predecessor", "successor")) == {(a.pk, c.pk)}
    planner.post(
        step(goal, 2), {"name": "OTD", "unit": "%", "direction": "increase", "target": "95", "action": "add"}
    )
    kpi = KPI.objects.get()
    assert planner.post(step(goal, 2), {"action": "remove", "kpi": kpi.pk}).status_code == 302
    assert not KPI.objects.exists()
    assert planner.post(step(goal, 2), {"action": "remove", "kpi": "x"}).status_code == 404


def test_the_live_smart_check_judges_draft_values(planner: Planner, acme: Organization) -> None:
    objective = Goal.objects.create(
        organization=acme, title="Best service in the region", deadline=date(2032, 12, 31), level="objective"
    )
    url = f"/o/{acme.slug}/plan/smart/"
    response = planner.get(
        url, title="Raise OTD to 95% by year end", description="All lanes", deadline="2031-06-30"
    )
    assert response.status_code == 200
    page = html(response)
    assert [m[0] for m in re.findall(r'data-letter="(\w)" data-status="(\w+)"', page)] == list("SMART")
    status = dict(re.findall(r'data-letter="(\w)" data-status="(\w+)"', page))
    assert status == {"S": "fail", "M": "fail", "A": "warn", "R": "warn", "T": "pass"}
    assert "no owner" in page and "no KPI yet" in page
    drafted = planner.get(url, title="Improve", owner=planner.user.pk, parent=objective.pk, deadline="")
    status = dict(re.findall(r'data-letter="(\w)" data-status="(\w+)"', html(drafted)))
    assert (status["S"], status["R"], status["T"]) == ("warn", "pass", "fail")
    assert "<html" not in html(drafted)  # a partial, for htmx to swap in
    goal = planner.start()
    planner.post(
        step(goal, 2),
        {
            "name": "OTD",
            "unit": "%",
            "direction": "increase",
            "baseline": "82",
            "target": "95",
            "action": "add",
        },
    )
    on_goal = planner.get(f"/goals/{goal.pk}/plan-wizard/smart/", title=GOAL["title"], deadline="2031-06-30")
    status = dict(re.findall(r'data-letter="(\w)" data-status="(\w+)"', html(on_goal)))
    assert status["M"] == "pass"  # the saved goal's KPI counts
    assert f'hx-get="/goals/{goal.pk}/plan-wizard/smart/"' in html(planner.get(step(goal, 1)))
    assert not Goal.objects.filter(title="Improve").exists()  # the check saves nothing


def wizard_urls(acme: Organization, goal: Goal) -> list[str]:
    return [
        f"/o/{acme.slug}/plan/",
        f"/o/{acme.slug}/plan/smart/",
        f"/goals/{goal.pk}/plan-wizard/smart/",
        *(step(goal, n) for n in range(1, 6)),
    ]


def test_an_outsider_gets_404_on_every_wizard_url(
    planner: Planner, acme: Organization, charlie: User
) -> None:
    goal = planner.start()
    audit = planner.add_milestone(goal, "Audit", duration="5")
    outsider = Planner(charlie, acme)
    for url in wizard_urls(acme, goal):
        assert outsider.get(url).status_code == 404, url
        answer = outsider.post(url, GOAL | {"action": "remove", "milestone": audit.pk, "cadence": "monthly"})
        assert answer.status_code in {404, 405}, url
    assert Milestone.objects.filter(pk=audit.pk).exists()
    assert Goal.objects.get(pk=goal.pk).cadence == "weekly" and Goal.objects.count() == 1


@pytest.mark.parametrize("persona", ["bob", "carol"])
def test_viewers_and_contributors_cannot_plan(
    planner: Planner, acme: Organization, persona: str, request: pytest.FixtureRequest
) -> None:
    goal = planner.start()
    other = Planner(request.getfixturevalue(persona), acme)
    for url in wizard_urls(acme, goal):
        assert other.get(url).status_code == 403, url
        assert other.post(url, GOAL | {"title": "Hijack", "cadence": "monthly"}).status_code in {403, 405}, (
            url
        )
    goal.refresh_from_db()
    assert (goal.title, goal.cadence, Goal.objects.count()) == (GOAL["title"], "weekly", 1)


def test_anonymous_is_sent_to_login(planner: Planner, acme: Organization) -> None:
    goal = planner.start()
    for url in wizard_urls(acme, goal):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/account/login/"), url


def test_a_step_that_does_not_exist_is_404(planner: Planner) -> None:
    goal = planner.start()
    assert planner.get(step(goal, 0)).status_code == 404
    assert planner.get(step(goal, 6)).status_code == 404


def test_the_wizard_resumes_where_it_was_left(planner: Planner, acme: Organization, alice: User) -> None:
    goal = planner.start()
    planner.post(
        step(goal, 2), {"name": "OTD", "unit": "%", "direction": "increase", "target": "95", "action": "add"}
    )
    later = Planner(alice, acme)  # another browser, another session
    start = html(later.get(f"/o/{acme.slug}/plan/"))
    assert "Pick up where you left off" in start
    assert f'href="{step(goal, 3)}"' in start and "resume at step 3" in start
    page = html(later.get(step(goal, 2)))
    assert "OTD" in page and 'class="wizard-step done"' in page
    assert f'value="{GOAL["title"]}"' in html(later.get(step(goal, 1)))
    response = later.post(step(goal, 1), GOAL | {"title": "Raise on-time delivery to 96%", "owner": alice.pk})
    assert (response.status_code, response["Location"]) == (302, step(goal, 2))
    goal.refresh_from_db()
    assert goal.title == "Raise on-time delivery to 96%"
    later.add_milestone(goal, "Audit", duration="5")
    page = html(later.get(step(goal, 4)))
    assert 'class="wizard-step current" aria-current="step"' in page
    assert f'href="{step(goal, 3)}"' in page  # every step can be reopened


def test_owner_step_leaves_a_milestone_it_did_not_show_alone(planner: Planner, carol: User) -> None:
    goal = planner.start()
    shown = planner.add_milestone(goal, "Audit", duration="5")
    later = planner.add_milestone(goal, "Scope", duration="2", before=shown.pk)
    Milestone.objects.filter(pk=later.pk).update(owner=carol)  # set elsewhere after the page was shown
    response = planner.post(step(goal, 4), {f"m{shown.pk}-owner": str(planner.user.pk), "action": "save"})
    assert response.status_code == 302
    owners = dict(Milestone.objects.values_list("title", "owner__email"))
    assert owners == {"Audit": "alice@acme.test", "Scope": "carol@acme.test"}

"""No user-supplied text reaches a page unescaped: every text field holds markup, every page is read.

The payload closes an attribute and opens a script and an image with a handler, so it breaks out
of text, of a quoted attribute and of a ``<script>`` data block alike. Each page must show the
text (escaped: ``&lt;script&gt;``) and never the markup itself; the chart data embedded with
``json_script`` must carry ``\\u003C`` instead of ``<``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from backcast.accounts.models import User
from backcast.organizations.models import Organization
from tests.conftest import logged_in

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
RAW = ("<script>alert(", "<img src=x")  # the markup itself; "onerror=" alone is harmless text
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def text(label: str) -> str:
    return f"{label} {PAYLOAD}"


@pytest.fixture
def hostile(acme: Organization, alice: User, carol: User) -> dict[str, Any]:
    """Alice's organisation with markup in every field a person types, and the pages that show them."""
    from backcast.goals.models import Resource
    from backcast.replanning.models import Scenario
    from backcast.services.goals.checkins import post_checkin
    from backcast.services.goals.comments import add_comment
    from backcast.services.goals.goals import create_goal
    from backcast.services.goals.kpis import ReadingIn, add_kpi, record_readings
    from backcast.services.goals.milestones import add_milestone
    from backcast.services.platform.organizations import create_organization, create_team
    from backcast.services.replanning.baselines import accept_plan

    acme.name = text("Org")
    acme.save()
    for person in (alice, carol):
        person.name = text(person.email)
        person.save()
    team = create_team(alice, acme.slug, text("Team"))
    objective = create_goal(alice, {"title": text("Objective"), "deadline": date(2031, 12, 31)})
    goal = create_goal(
        alice,
        {
            "title": text("Goal"),
            "description": text("Description"),
            "deadline": date(2031, 6, 30),
            "start": date(2031, 1, 6),
            "owner": carol.email,
            "team": team.pk,
            "parent": objective.pk,
            "contributors": [carol.email],
        },
    )
    kpi = add_kpi(alice, goal.pk, {"name": text("KPI"), "unit": "<b>%", "baseline": 80.0, "target": 95.0})
    record_readings(alice, kpi.pk, [ReadingIn(date=date(2031, 1, 10), value=81.0, key=text("key"))])
    Resource.objects.create(organization=acme, name=text("Resource"), capacity=2)
    first = add_milestone(alice, goal.pk, {"title": text("Milestone"), "duration": 5, "owner": carol.email})
    add_milestone(
        alice,
        goal.pk,
        {"title": text("Second"), "duration": 3, "after": [first.pk], "demand": {text("Resource"): 1}},
    )
    post_checkin(
        carol,
        goal.pk,
        {"status": "at_risk", "confidence": 4, "note": text("Note"), "blockers": text("Blocker")},
    )
    add_comment(carol, goal.pk, {"body": text("Comment") + "\nsecond line @alice"})
    accept_plan(alice, goal.pk, text("Reason"))
    scenario = Scenario.objects.create(goal=goal, name=text("Scenario"), changes={})
    create_organization(text("Second org"), creator=alice)  # so the home page lists both
    from backcast.services.platform.invitations import invite

    invite(alice, acme.slug, "newcomer@elsewhere.test", "viewer")  # listed with its sender's name
    from django.utils import timezone

    from backcast.services.platform.throttle import record_failure

    record_failure(text("typed as a log-in name"), "203.0.113.7", timezone.now())  # shown in the admin
    pages = [
        "/",
        f"/o/{acme.slug}/",
        f"/o/{acme.slug}/goals/",
        f"/o/{acme.slug}/goals/?team={team.slug}",
        f"/goals/{goal.pk}/",
        f"/goals/{goal.pk}/edit/",
        f"/goals/{goal.pk}/timeline/",
        f"/goals/{goal.pk}/timeline/baselines/",
        f"/goals/{goal.pk}/comments/",
        f"/goals/{goal.pk}/scenarios/",
        f"/scenarios/{scenario.pk}/",
        f"/kpis/{kpi.pk}/import/",
        f"/o/{acme.slug}/plan/",
        *[f"/goals/{goal.pk}/plan-wizard/{step}/" for step in range(1, 6)],
        "/account/tokens/",
        "/account/calendar/",
    ]
    return {"goal": goal, "pages": pages, "org": acme}


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} reached the page unescaped"


def test_every_page_escapes_what_people_typed(hostile: dict[str, Any], alice: User) -> None:
    client = logged_in(alice)
    shown = 0
    for url in hostile["pages"]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_escaped(html, url)
        shown += ESCAPED in html
    assert shown >= len(hostile["pages"]) - 3  # the text is there, escaped (not merely absent)


def test_the_goal_page_shows_each_field_escaped(hostile: dict[str, Any], alice: User) -> None:
    html = logged_in(alice).get(f"/goals/{hostile['goal'].pk}/").content.decode()
    for label in ("Goal", "Description", "KPI", "Milestone", "Note", "Blocker"):
        assert f"{label} {ESCAPED}" in html, label
    discussion = logged_in(alice).get(f"/goals/{hostile['goal'].pk}/comments/").content.decode()
    assert f"Comment {ESCAPED}" in discussion


def test_chart_data_is_embedded_as_inert_json(hostile: dict[str, Any], alice: User) -> None:
    client = logged_in(alice)
    for url in (f"/goals/{hostile['goal'].pk}/", f"/goals/{hostile['goal'].pk}/timeline/"):
        html = client.get(url).content.decode()
        blocks = re.findall(r'<script id="[^"]+" type="application/json">(.*?)</script>', html, re.S)
        assert blocks, url
        data = "".join(blocks)
        assert "<" not in data and "\\u003Cscript\\u003E" in data, url


def test_htmx_fragments_escape_too(hostile: dict[str, Any], alice: User) -> None:
    client = logged_in(alice)
    goal = hostile["goal"]
    for url in (f"/goals/{goal.pk}/comments/", f"/goals/{goal.pk}/plan-wizard/smart/"):
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code in {200, 405}, url
        assert_escaped(response.content.decode(), url)


def test_the_back_office_lists_escape_too(hostile: dict[str, Any]) -> None:
    staff = User.objects.create_user("ops@acme.test", "x", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    for model in admin.site._registry:
        meta = model._meta
        listing = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = client.get(listing)
        assert response.status_code == 200, listing
        assert_escaped(response.content.decode(), listing)
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            page = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            response = client.get(page)
            assert response.status_code == 200, page
            assert_escaped(response.content.decode(), page)

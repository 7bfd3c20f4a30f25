"""The goal pages as an operations lead uses them: forms, errors by the field, roles."""

from __future__ import annotations

from datetime import date

from backcast.accounts.models import User
from backcast.goals.models import KPI, CheckIn, Goal, Milestone, Reading
from backcast.organizations.models import Organization
from tests.conftest import csrf_token, logged_in


def test_empty_goal_list_tells_what_to_do_first(acme: Organization, alice: User) -> None:
    page = logged_in(alice).get(f"/o/{acme.slug}/goals/").content.decode()
    assert "No goals yet" in page
    assert f"/o/{acme.slug}/goals/new/" in page


def test_create_a_goal_then_kpi_reading_milestone_and_checkin(acme: Organization, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client, f"/o/{acme.slug}/goals/new/")
    response = client.post(
        f"/o/{acme.slug}/goals/new/",
        {
            "title": "Cut dock-to-stock time to 4 h",
            "deadline": "2031-06-30",
            "cadence": "weekly",
            "owner": alice.pk,
        },
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert response["Location"] == f"/goals/{goal.pk}/"
    assert goal.owner == alice
    post = {"X-CSRFToken": token}
    kpi_body = {"name": "Dock-to-stock", "unit": "h", "direction": "decrease", "baseline": "9", "target": "4"}
    assert client.post(f"/goals/{goal.pk}/kpis/", kpi_body, headers=post).status_code == 302
    kpi = KPI.objects.get()
    assert (
        client.post(
            f"/kpis/{kpi.pk}/readings/", {"date": "2031-01-31", "value": "8.5"}, headers=post
        ).status_code
        == 302
    )
    assert Reading.objects.get().value == 8.5
    ms = {"title": "Slotting study", "optimistic": "4", "likely": "5", "pessimistic": "9", "owner": alice.pk}
    assert client.post(f"/goals/{goal.pk}/milestones/", ms, headers=post).status_code == 302
    assert Milestone.objects.get().duration == 5
    checkin = {"status": "at_risk", "confidence": "6", "blockers": "Scanner rollout late"}
    assert client.post(f"/goals/{goal.pk}/checkins/", checkin, headers=post).status_code == 302
    page = client.get(f"/goals/{goal.pk}/").content.decode()
    for text in ("Dock-to-stock", "8.5", "Slotting study", "Scanner rollout late", "(4/5/9)"):
        assert text in page


def test_errors_are_shown_by_the_field_with_the_input_kept(acme: Organization, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client, f"/o/{acme.slug}/goals/new/")
    response = client.post(
        f"/o/{acme.slug}/goals/new/",
        {"title": "Ship faster", "deadline": "2031-01-01", "start": "2031-02-01", "cadence": "weekly"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is before the start" in html
    assert 'value="Ship faster"' in html
    assert not Goal.objects.exists()
    goal = Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    kpi = {"name": "OTD", "unit": "%", "direction": "increase", "baseline": "90", "target": "90"}
    response = client.post(f"/goals/{goal.pk}/kpis/", kpi, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "equals the baseline" in response.content.decode()
    assert '<details class="stacked" open>' in response.content.decode()
    ms = {"title": "Bad estimate", "optimistic": "9", "likely": "5", "pessimistic": "9"}
    response = client.post(f"/goals/{goal.pk}/milestones/", ms, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "must be ordered optimistic" in response.content.decode()
    assert not KPI.objects.exists()
    assert not Milestone.objects.exists()


def test_viewer_sees_no_forms_and_cannot_post(acme: Organization, alice: User, bob: User) -> None:
    goal = Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    client = logged_in(bob)
    page = client.get(f"/goals/{goal.pk}/").content.decode()
    assert "Raise OTD to 95%" in page
    assert "Add a KPI" not in page
    assert "Post a check-in" not in page
    token = csrf_token(client, f"/goals/{goal.pk}/")
    response = client.post(
        f"/goals/{goal.pk}/checkins/", {"status": "on_track", "confidence": "8"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_contributor_checks_in_but_does_not_plan(acme: Organization, alice: User, carol: User) -> None:
    goal = Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    client = logged_in(carol)
    page = client.get(f"/goals/{goal.pk}/").content.decode()
    assert "Post a check-in" in page
    assert "Add a milestone" not in page
    token = csrf_token(client, f"/goals/{goal.pk}/")
    assert (
        client.post(
            f"/goals/{goal.pk}/checkins/", {"status": "on_track", "confidence": "8"}, HTTP_X_CSRFTOKEN=token
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/goals/{goal.pk}/milestones/", {"title": "x", "duration": "1"}, HTTP_X_CSRFTOKEN=token
        ).status_code
        == 403
    )


def test_goal_list_filters_by_team_and_owner(acme: Organization, alice: User, carol: User) -> None:
    from backcast.organizations.models import Team

    line = Team.objects.create(organization=acme, name="Line 1", slug="line-1")
    Goal.objects.create(
        organization=acme, title="Line goal", deadline=date(2031, 6, 30), team=line, owner=carol
    )
    Goal.objects.create(organization=acme, title="Other goal", deadline=date(2031, 6, 30), owner=alice)
    client = logged_in(alice)
    by_team = client.get(f"/o/{acme.slug}/goals/?team=line-1").content.decode()
    assert "Line goal" in by_team
    assert "Other goal" not in by_team
    by_owner = client.get(f"/o/{acme.slug}/goals/?owner={alice.pk}").content.decode()
    assert "Other goal" in by_owner
    assert "Line goal" not in by_owner
    assert (
        "No goals match these filters" in client.get(f"/o/{acme.slug}/goals/?owner=999999").content.decode()
    )

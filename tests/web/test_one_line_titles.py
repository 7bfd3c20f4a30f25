"""A title with a second line is refused by the field on the pages, and nothing is stored."""

from __future__ import annotations

import re
from datetime import date

from backcast.accounts.models import User
from backcast.goals.models import KPI, Goal
from backcast.organizations.models import Organization, Team
from tests.conftest import csrf_token, logged_in


def field_errors(page: str, name: str) -> str:
    """The field's block (label, input, help and errors) as the shared form template renders it."""
    found = re.search(rf'<label for="id_{re.escape(name)}">.*?</div>', page, re.S)
    assert found, name
    return found.group(0)


def test_the_goal_form_refuses_a_title_with_a_line_break(acme: Organization, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client, f"/o/{acme.slug}/goals/new/")
    body = {"title": "Raise OTD\r\nBcc: everyone@example.test", "deadline": "2031-06-30", "cadence": "weekly"}
    response = client.post(f"/o/{acme.slug}/goals/new/", body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "must be one line" in field_errors(response.content.decode(), "title")
    assert not Goal.objects.exists()
    goal = Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    body = {"title": "Raise OTD\u2028to 97%", "deadline": "2031-06-30", "cadence": "weekly"}
    response = client.post(f"/goals/{goal.pk}/edit/", body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "must be one line" in field_errors(response.content.decode(), "title")
    assert Goal.objects.get().title == "Raise OTD to 95%"


def test_kpi_and_team_forms_refuse_a_tab_or_a_newline(acme: Organization, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    goal = Goal.objects.create(organization=acme, title="Raise OTD to 95%", deadline=date(2031, 6, 30))
    kpi = {"name": "On\ttime", "unit": "%", "direction": "increase", "baseline": "90", "target": "95"}
    response = client.post(f"/goals/{goal.pk}/kpis/", kpi, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "must be one line" in response.content.decode()
    assert not KPI.objects.exists()
    response = client.post(f"/o/{acme.slug}/teams/", {"name": "Line\n2"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "must be one line" in field_errors(response.content.decode(), "name")
    assert not Team.objects.exists()

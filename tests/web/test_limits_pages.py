"""Limits on what one page request may send, tried as an attacker would: the site's own 413 page,
or the form again with the limit named, and nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backcast.accounts.models import User
from backcast.goals.models import CheckIn, Goal, Milestone, Reading
from backcast.replanning.models import Scenario
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import add_kpi
from tests.conftest import csrf_token, logged_in

pytestmark = pytest.mark.db


@pytest.fixture
def goal(alice: User) -> Goal:
    return create_goal(
        alice, {"title": "Raise OTD to 95%", "start": date(2031, 1, 6), "deadline": date(2031, 6, 30)}
    )


def test_an_over_size_form_gets_the_sites_413_page_naming_the_limit(goal: Goal, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    form = {"status": "on_track", "confidence": "7", "note": "a" * (4 * 1024 * 1024 + 1)}
    response = client.post(
        f"/goals/{goal.pk}/checkins/",
        form,
        HTTP_X_CSRFTOKEN=token,
        HTTP_REFERER=f"http://testserver/goals/{goal.pk}/",
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'class="topbar"' in page and "Too large · Backcast" in page
    assert "more than the 4 MB a page takes" in page
    assert f'href="http://testserver/goals/{goal.pk}/"' in page  # back to the page the form was on
    elsewhere = client.post(
        f"/goals/{goal.pk}/checkins/", form, HTTP_X_CSRFTOKEN=token, HTTP_REFERER="https://evil.test/"
    )
    assert elsewhere.status_code == 413 and 'href="/">Go back' in elsewhere.content.decode()
    assert not CheckIn.objects.exists()


def test_a_form_of_too_many_fields_gets_the_413_page(goal: Goal, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    form = {f"field_{i}": "1" for i in range(6_000)} | {"status": "on_track", "confidence": "7"}
    response = client.post(f"/goals/{goal.pk}/checkins/", form, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 413
    page = response.content.decode()
    assert 'class="topbar"' in page and "more than 5,000 fields" in page
    assert not CheckIn.objects.exists()


def test_a_check_in_note_past_the_limit_is_shown_by_the_field(goal: Goal, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    form = {"status": "on_track", "confidence": "7", "note": "a" * 5_001}
    response = client.post(f"/goals/{goal.pk}/checkins/", form, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "Ensure this value has at most 5000 characters (it has 5001)." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_an_over_size_upload_gets_the_413_page_before_it_is_read(
    alice: User, goal: Goal, settings: Any
) -> None:
    kpi = add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})
    settings.BACKCAST_MAX_UPLOAD_BYTES = 1024 * 1024
    client = logged_in(alice)
    token = csrf_token(client)
    rows = b"".join(b"2026-01-%02d,%d\n" % (1 + i % 28, i) for i in range(200_000))
    file = SimpleUploadedFile("otd.csv", b"date,value\n" + rows, content_type="text/csv")
    response = client.post(f"/kpis/{kpi.pk}/import/", {"file": file}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 413
    page = response.content.decode()
    assert "larger than 1 MB, the most the import page takes" in page
    assert "backcast import readings" in page and 'class="topbar"' in page
    assert not Reading.objects.exists()


def test_a_file_just_over_the_upload_limit_is_shown_on_the_import_page(
    alice: User, goal: Goal, settings: Any
) -> None:
    kpi = add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})
    settings.BACKCAST_MAX_UPLOAD_BYTES = 10
    client = logged_in(alice)
    token = csrf_token(client)
    file = SimpleUploadedFile("otd.csv", b"date,value\n2026-01-05,81\n", content_type="text/csv")
    response = client.post(f"/kpis/{kpi.pk}/import/", {"file": file}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "is larger than 10 bytes: import it with `backcast import readings`" in response.content.decode()
    assert not Reading.objects.exists()


def test_the_what_if_form_past_the_scenario_limit_comes_back_with_the_limit(goal: Goal, alice: User) -> None:
    rows = Milestone.objects.bulk_create(
        Milestone(goal=goal, title=f"Step {i}", duration=1) for i in range(600)
    )
    client = logged_in(alice)
    token = csrf_token(client)
    form = {"name": "Everything slips"} | {f"duration_{m.pk}": "2" for m in rows}
    response = client.post(f"/goals/{goal.pk}/scenarios/", form, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    page = response.content.decode()
    assert "a scenario may change at most 500 milestones" in page and "this one changes 600" in page
    assert 'value="Everything slips"' in page
    assert not Scenario.objects.exists()


def test_the_import_page_states_its_limits(alice: User, goal: Goal) -> None:
    kpi = add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})
    page = logged_in(alice).get(f"/kpis/{kpi.pk}/import/").content.decode()
    assert "at most 25 MB" in page and "1,000,000 readings" in page

"""The API refuses a title or a name with a second line: 400 naming the field, nothing stored."""

from __future__ import annotations

from backcast.goals.models import KPI, Goal
from tests.api.client import Api, new_goal


def test_a_goal_title_with_a_line_break_is_refused(api: Api) -> None:
    body = {"title": "Raise OTD\r\nBcc: everyone@example.test", "deadline": "2031-06-30"}
    status, answer = api.call("post", "/goals", body)
    assert status == 400
    assert answer["field"] == "title" and "must be one line" in answer["detail"]
    assert not Goal.objects.exists()
    goal = new_goal(api)
    status, answer = api.call("patch", f"/goals/{goal}", {"title": "Raise OTD\nto 97%"})
    assert (status, answer["field"]) == (400, "title")
    assert Goal.objects.get().title == "Raise on-time delivery to 95%"


def test_kpi_and_milestone_names_too(api: Api) -> None:
    goal = new_goal(api)
    kpi = {"name": "OTD\x00", "unit": "%", "direction": "increase", "baseline": 90, "target": 95}
    status, answer = api.call("post", f"/goals/{goal}/kpis", kpi)
    assert (status, answer["field"]) == (400, "name")
    assert not KPI.objects.exists()
    status, answer = api.call(
        "post", f"/goals/{goal}/milestones", {"title": "Audit\u2029carriers", "duration": 3}
    )
    assert (status, answer["field"]) == (400, "title")

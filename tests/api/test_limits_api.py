"""Limits on what one API request may create or change, tried as an attacker would.

Each request here is bigger than any operations team sends: a what-if of 20,000 new milestones,
a batch of readings past the limit, a body of several megabytes, a goal grown one milestone at a
time past its cap. Each must be refused with JSON naming the limit, and nothing written.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.test import Client

from backcast import limits
from backcast.accounts.models import User
from backcast.goals.models import CheckIn, Dependency, Milestone, Reading
from backcast.replanning.models import Baseline, Scenario
from backcast.services.goals.goals import create_goal
from backcast.services.platform.errors import InvalidInput
from backcast.services.replanning.scenarios import create_scenario
from tests.api.client import Api, add, new_goal

pytestmark = pytest.mark.db


def many_milestones(goal_id: int, n: int) -> list[int]:
    """``n`` milestones of a day each, written at once (the API would take a request each)."""
    rows = Milestone.objects.bulk_create(
        Milestone(goal_id=goal_id, title=f"Step {i}", duration=1) for i in range(n)
    )
    return [m.pk for m in rows]


def new_kpi(api: Api, goal: int) -> int:
    body = {"name": "On-time delivery", "unit": "%", "baseline": 80.0, "target": 95.0}
    status, created = api.call("post", f"/goals/{goal}/kpis", body)
    assert status == 201
    return int(created["id"])


def text_of(answer: dict[str, object]) -> str:
    """The answer's detail as text, whether a message (400) or a list of faults (422)."""
    return json.dumps(answer["detail"])


def test_a_scenario_of_20000_new_milestones_is_refused_and_nothing_is_written(api: Api) -> None:
    goal = new_goal(api)
    audit = add(api, goal, title="Audit carriers", duration=5)
    added = [{"title": f"Step {i}", "duration": 1, "after": [audit]} for i in range(20_000)]
    body = {"name": "Everything at once", "changes": {"add": added}}
    status, answer = api.call("post", f"/goals/{goal}/scenarios", body)
    assert status in (400, 413, 422)
    assert "at most 50 items" in text_of(answer) and "20000" in text_of(answer)
    assert not Scenario.objects.exists()
    assert Milestone.objects.filter(goal_id=goal).count() == 1


def test_a_scenario_whose_changes_add_up_past_the_limit_names_both_numbers(api: Api) -> None:
    goal = new_goal(api)
    ids = many_milestones(goal, 451)
    body = {
        "name": "Redo everything",
        "changes": {
            "milestones": [{"id": pk, "duration": 2} for pk in ids],
            "remove": [],
            "add": [{"title": f"New {i}", "duration": 1} for i in range(50)],
        },
    }
    status, answer = api.call("post", f"/goals/{goal}/scenarios", body)
    assert status == 400
    assert answer == {
        "detail": "a scenario may change at most 500 milestones (changed, added and removed together); "
        "this one changes 501",
        "field": "changes",
    }
    assert not Scenario.objects.exists()


def test_a_scenario_that_would_grow_the_goal_past_its_cap_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    goal = new_goal(api)
    many_milestones(goal, 3)
    monkeypatch.setattr(limits, "GOAL_MILESTONES", 4)
    body = {
        "name": "Two more",
        "changes": {"add": [{"title": "A", "duration": 1}, {"title": "B", "duration": 1}]},
    }
    status, answer = api.call("post", f"/goals/{goal}/scenarios", body)
    assert (status, answer["field"]) == (400, "changes")
    assert answer["detail"] == "a goal may have at most 4 milestones; with these changes it would have 5"
    assert not Scenario.objects.exists()


@pytest.mark.parametrize(
    ("added", "message"),
    [
        (
            [{"title": f"New {i}", "duration": 1} for i in range(51)],
            "a scenario may add at most 50 milestones; this one adds 51",
        ),
        (
            [{"title": "Hub", "duration": 1, "after": list(range(1, 60)), "before": list(range(60, 102))}],
            "a scenario's new milestones may have at most 100 links (after and before together); these have 101",
        ),
    ],
)
def test_a_scenario_adding_past_its_limits_is_refused_by_the_service(
    alice: User, added: list[dict[str, object]], message: str
) -> None:
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    with pytest.raises(InvalidInput, match=re.escape(message)):  # what the schema lets through too
        create_scenario(alice, goal.pk, {"name": "Many", "changes": {"add": added}})
    assert not Scenario.objects.exists()


def test_a_stored_scenario_over_the_limit_is_not_adopted(api: Api) -> None:
    goal = new_goal(api)
    audit = add(api, goal, title="Audit carriers", duration=5)
    assert api.call("post", f"/goals/{goal}/baselines", {"reason": "first plan"})[0] == 201
    added: list[dict[str, object]] = [
        {"title": f"Step {i}", "duration": 1, "estimate": None, "after": [audit], "before": [], "demand": {}}
        for i in range(limits.SCENARIO_MILESTONES + 1)
    ]
    changes: dict[str, object] = {
        "milestones": [],
        "remove": [],
        "capacity": [],
        "add": added,
        "deadline": None,
        "start": None,
    }
    scenario = Scenario.objects.create(goal_id=goal, name="Kept from before", changes=changes)
    status, answer = api.call("post", f"/scenarios/{scenario.pk}/adopt")
    assert (status, answer["field"]) == (400, "changes")
    assert "at most 500 milestones" in answer["detail"] and "501" in answer["detail"]
    assert Milestone.objects.filter(goal_id=goal).count() == 1
    assert Baseline.objects.count() == 1 and Scenario.objects.filter(pk=scenario.pk).exists()


def test_a_goal_grown_one_milestone_at_a_time_stops_at_its_cap(api: Api) -> None:
    goal = new_goal(api)
    many_milestones(goal, limits.GOAL_MILESTONES)
    status, answer = api.call("post", f"/goals/{goal}/milestones", {"title": "One more", "duration": 1})
    assert status == 400
    assert answer["detail"] == "a goal may have at most 2,000 milestones; this one has 2,000 already"
    assert Milestone.objects.filter(goal_id=goal).count() == limits.GOAL_MILESTONES


def test_dependencies_stop_at_the_goal_cap(api: Api) -> None:
    goal = new_goal(api)
    ids = many_milestones(goal, 101)
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]][: limits.GOAL_DEPENDENCIES]
    Dependency.objects.bulk_create(Dependency(predecessor_id=a, successor_id=b) for a, b in pairs)
    body = {"predecessor": ids[-2], "successor": ids[-1]}
    assert (ids[-2], ids[-1]) not in pairs
    status, answer = api.call("post", f"/goals/{goal}/dependencies", body)
    assert status == 400
    assert answer["detail"] == "a goal may have at most 5,000 dependencies; this one would have 5,001"
    assert Dependency.objects.filter(successor__goal_id=goal).count() == limits.GOAL_DEPENDENCIES
    status, answer = api.call(
        "post", f"/goals/{goal}/milestones", {"title": "Last", "duration": 1, "after": [ids[0]]}
    )
    assert status == 400 and "at most 5,000 dependencies" in answer["detail"]
    assert Milestone.objects.filter(goal_id=goal).count() == 101


def test_a_batch_of_readings_past_the_limit_is_refused_whole(api: Api) -> None:
    kpi = new_kpi(api, new_goal(api))
    batch = [
        {"date": "2026-01-05", "value": i, "key": f"k{i}"} for i in range(limits.READINGS_PER_REQUEST + 1)
    ]
    status, answer = api.call("post", f"/kpis/{kpi}/readings", batch)
    assert status in (400, 413, 422)
    assert "10000" in text_of(answer) or "10,000" in text_of(answer)
    assert not Reading.objects.exists()


def test_an_over_size_json_body_gets_a_json_413_pointing_to_the_file_import(api: Api) -> None:
    kpi = new_kpi(api, new_goal(api))
    key = "x" * 100
    batch = [{"date": "2026-01-05", "value": i, "key": f"{key}{i}"} for i in range(40_000)]
    raw = json.dumps(batch)
    assert len(raw) > 4 * 1024 * 1024
    response = api.client.post(
        f"/api/v1/kpis/{kpi}/readings", raw, content_type="application/json", headers=api.headers
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert "4 MB" in detail and "backcast import readings" in detail and "/kpis/ID/import/" in detail
    assert not Reading.objects.exists()


def test_the_body_limit_holds_before_the_credentials_are_read() -> None:
    raw = b"{" + b" " * (4 * 1024 * 1024) + b"}"
    response = Client().post("/api/v1/goals", raw, content_type="application/json")
    assert response.status_code == 413 and response["Content-Type"] == "application/json"


def test_a_check_in_note_past_the_limit_is_refused(api: Api) -> None:
    goal = new_goal(api)
    long = "a" * (limits.TEXT_LENGTH + 1)
    for field in ("note", "blockers"):
        body = {"status": "on_track", "confidence": 7, field: long}
        status, answer = api.call("post", f"/goals/{goal}/checkins", body)
        assert status in (400, 422) and "5000" in text_of(answer).replace(",", "")
    assert not CheckIn.objects.exists()
    status, _ = api.call("post", f"/goals/{goal}/comments", {"body": long})
    assert status in (400, 422)


def test_the_limits_are_in_the_openapi_document(api: Api) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    schemas = doc["components"]["schemas"]
    readings = doc["paths"]["/api/v1/kpis/{kpi_id}/readings"]["post"]
    body = readings["requestBody"]["content"]["application/json"]["schema"]
    assert body["maxItems"] == 10_000
    assert "10,000" in readings["description"]
    assert "413" in readings["responses"]
    scenario = doc["paths"]["/api/v1/goals/{goal_id}/scenarios"]["post"]
    assert "500" in scenario["description"]
    changes = schemas["ChangesIn"]["properties"]
    assert changes["milestones"]["maxItems"] == changes["remove"]["maxItems"] == 500
    assert changes["add"]["maxItems"] == 50 and changes["capacity"]["maxItems"] == 100
    assert schemas["CheckInIn"]["properties"]["note"]["maxLength"] == 5_000
    assert schemas["CommentIn"]["properties"]["body"]["maxLength"] == 5_000
    assert "2,000" in doc["paths"]["/api/v1/goals/{goal_id}/milestones"]["post"]["description"]

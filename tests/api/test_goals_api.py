"""Goals, KPIs, readings, milestones and check-ins over HTTP, with the rules that guard them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backcast.accounts.models import User
from backcast.goals.models import KPI, Dependency, Goal, Milestone, Reading, Resource
from backcast.organizations.models import Organization
from tests.api.client import Api


@pytest.fixture
def goal_id(api: Api) -> int:
    status, body = api.call(
        "post",
        "/goals",
        {"title": "Raise on-time delivery to 95%", "deadline": "2031-06-30", "start": "2031-01-06"},
    )
    assert status == 201
    return int(body["id"])


def test_goal_lifecycle(api: Api, goal_id: int, acme: Organization) -> None:
    status, goal = api.call("get", f"/goals/{goal_id}")
    assert status == 200
    assert goal["owner"] == "alice@acme.test"  # the creator owns it by default
    assert goal["organization"] == acme.slug
    status, goal = api.call(
        "patch", f"/goals/{goal_id}", {"description": "Carrier scorecards", "cadence": "monthly"}
    )
    assert status == 200
    assert (goal["description"], goal["cadence"], goal["version"]) == ("Carrier scorecards", "monthly", 2)
    status, listing = api.call("get", "/goals")
    assert listing["count"] == 1
    assert listing["items"][0]["id"] == goal_id
    assert api.call("delete", f"/goals/{goal_id}")[0] == 204
    assert api.call("get", f"/goals/{goal_id}")[0] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "  ", "deadline": "2031-06-30"}, "title"),
        ({"title": "Ok", "deadline": "2031-06-30", "start": "2031-07-01"}, "deadline"),
        ({"title": "Ok", "deadline": "2031-06-30", "owner": "stranger@x.test"}, "owner"),
        ({"title": "Ok", "deadline": "2031-06-30", "team": "no-such-team"}, "team"),
        ({"title": "Ok", "deadline": "2031-06-30", "parent": 999999}, "parent"),
    ],
)
def test_goal_faults_name_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    status, answer = api.call("post", "/goals", body)
    assert status == 400
    assert answer["field"] == field
    assert answer["detail"]
    assert not Goal.objects.exists()


def test_malformed_dates_are_4xx(api: Api) -> None:
    status, answer = api.call("post", "/goals", {"title": "Ok", "deadline": "2031-02-30"})
    assert status == 422
    assert "deadline" in json.dumps(answer)


def test_alignment_cannot_loop(api: Api, goal_id: int) -> None:
    status, child = api.call(
        "post", "/goals", {"title": "Cut lead time", "deadline": "2031-05-30", "parent": goal_id}
    )
    assert status == 201
    status, answer = api.call("patch", f"/goals/{goal_id}", {"parent": child["id"]})
    assert status == 400
    assert "loop" in answer["detail"]


def test_kpi_rules(api: Api, goal_id: int) -> None:
    status, kpi = api.call(
        "post",
        f"/goals/{goal_id}/kpis",
        {
            "name": "OTD",
            "unit": "%",
            "direction": "increase",
            "baseline": 82,
            "baseline_date": "2030-12-31",
            "target": 95,
        },
    )
    assert status == 201
    assert KPI.objects.get(pk=kpi["id"]).target == 95
    for body, field in [
        ({"name": "OTD", "unit": "%", "baseline": 90, "target": 90}, "target"),
        ({"name": "OTD", "unit": "%", "direction": "increase", "baseline": 90, "target": 80}, "target"),
        ({"name": "", "unit": "%", "target": 80}, "name"),
        ({"name": "Band", "unit": "%", "direction": "band", "target": 80}, "band_low"),
    ]:
        status, answer = api.call("post", f"/goals/{goal_id}/kpis", body)
        assert (status, answer["field"]) == (400, field), body
    assert KPI.objects.count() == 1


def test_readings_are_idempotent_on_their_key(api: Api, goal_id: int) -> None:
    _, kpi = api.call(
        "post", f"/goals/{goal_id}/kpis", {"name": "OTD", "unit": "%", "baseline": 82, "target": 95}
    )
    batch = [
        {"date": "2031-01-31", "value": 83.5, "key": "erp-1"},
        {"date": "2031-02-28", "value": 84.0, "key": "erp-2"},
    ]
    assert api.call("post", f"/kpis/{kpi['id']}/readings", batch) == (201, {"created": 2, "duplicates": 0})
    assert api.call("post", f"/kpis/{kpi['id']}/readings", batch) == (201, {"created": 0, "duplicates": 2})
    assert (
        api.call(
            "post",
            f"/kpis/{kpi['id']}/readings",
            [
                {"date": "2031-03-31", "value": 85, "key": "a"},
                {"date": "2031-03-31", "value": 85, "key": "a"},
            ],
        )[1]["created"]
        == 1
    )
    status, listing = api.call("get", f"/kpis/{kpi['id']}/readings")
    assert listing["count"] == 3
    assert [r["value"] for r in listing["items"]] == [83.5, 84.0, 85.0]


def test_non_numeric_readings_reject_the_whole_batch(api: Api, goal_id: int) -> None:
    _, kpi = api.call(
        "post", f"/goals/{goal_id}/kpis", {"name": "OTD", "unit": "%", "baseline": 82, "target": 95}
    )
    status, answer = api.call(
        "post",
        f"/kpis/{kpi['id']}/readings",
        [{"date": "2031-01-31", "value": 83}, {"date": "2031-02-28", "value": "high"}],
    )
    assert status == 422
    assert "value" in json.dumps(answer)
    assert not Reading.objects.exists()


def test_milestones_with_dependencies_and_demand(api: Api, goal_id: int, acme: Organization) -> None:
    Resource.objects.create(organization=acme, name="analysts", capacity=2)
    _, audit = api.call(
        "post",
        f"/goals/{goal_id}/milestones",
        {"title": "Audit carriers", "estimate": [8, 10, 15], "demand": {"analysts": 1}},
    )
    status, scorecard = api.call(
        "post",
        f"/goals/{goal_id}/milestones",
        {
            "title": "Scorecards",
            "duration": 5,
            "after": [{"id": audit["id"], "lag": 2}],
            "owner": "alice@acme.test",
        },
    )
    assert status == 201
    status, got = api.call("get", f"/milestones/{scorecard['id']}")
    assert got["after"] == [{"id": audit["id"], "type": "FS", "lag": 2}]
    assert got["owner"] == "alice@acme.test"
    status, got = api.call("get", f"/milestones/{audit['id']}")
    assert (got["duration"], got["estimate"], got["demand"]) == (10, [8, 10, 15], {"analysts": 1})
    status, answer = api.call("patch", f"/milestones/{audit['id']}", {"after": [scorecard["id"]]})
    assert status == 400
    assert "cycle" in answer["detail"]
    assert "'Audit carriers'" in answer["detail"]
    assert "'Scorecards'" in answer["detail"]
    assert Dependency.objects.count() == 1
    status, answer = api.call(
        "post", f"/goals/{goal_id}/milestones", {"title": "Too big", "duration": 3, "demand": {"analysts": 3}}
    )
    assert (status, answer["field"]) == (400, "demand.analysts")
    status, answer = api.call("post", f"/goals/{goal_id}/milestones", {"title": "Bad", "estimate": [5, 3, 8]})
    assert (status, answer["field"]) == (400, "estimate")
    assert api.call("delete", f"/milestones/{scorecard['id']}")[0] == 204
    assert Milestone.objects.count() == 1


def test_dependency_on_another_goals_milestone_is_refused(api: Api, goal_id: int) -> None:
    _, other = api.call("post", "/goals", {"title": "Another goal", "deadline": "2031-09-30"})
    _, foreign = api.call("post", f"/goals/{other['id']}/milestones", {"title": "Elsewhere", "duration": 3})
    status, answer = api.call(
        "post", f"/goals/{goal_id}/milestones", {"title": "Here", "duration": 2, "after": [foreign["id"]]}
    )
    assert status == 400
    assert answer["field"] == "after[0]"
    assert "another goal" in answer["detail"]
    assert not Milestone.objects.filter(title="Here").exists()  # nothing half-written


def test_checkins_and_roles(api: Api, goal_id: int, bob: User, carol: User) -> None:
    viewer, contributor = Api(bob), Api(carol)
    assert viewer.call("get", f"/goals/{goal_id}")[0] == 200
    assert (
        viewer.call("post", f"/goals/{goal_id}/checkins", {"status": "on_track", "confidence": 7})[0] == 403
    )
    assert (
        contributor.call("post", "/goals", {"title": "Mine", "deadline": "2031-06-30"})[0] == 400
    )  # plans in no organisation
    status, body = contributor.call(
        "post",
        f"/goals/{goal_id}/checkins",
        {"status": "at_risk", "confidence": 4, "blockers": "Carrier data late"},
    )
    assert status == 201
    status, listing = api.call("get", f"/goals/{goal_id}/checkins")
    assert listing["items"][0]["blockers"] == "Carrier data late"
    assert listing["items"][0]["author"] == "carol@acme.test"
    assert (
        contributor.call("post", f"/goals/{goal_id}/checkins", {"status": "at_risk", "confidence": 11})[0]
        == 422
    )
    assert contributor.call("patch", f"/goals/{goal_id}", {"title": "Renamed"})[0] == 403


def test_participation_names_who_checked_in(api: Api, carol: User) -> None:
    _, created = api.call(
        "post", "/goals", {"title": "Raise OTD", "deadline": "2031-06-30", "contributors": [carol.email]}
    )
    Api(carol).call("post", f"/goals/{created['id']}/checkins", {"status": "on_track", "confidence": 7})
    status, review = api.call("get", f"/goals/{created['id']}/participation")
    assert (status, review["goal"], review["cadence"]) == (200, created["id"], "weekly")
    current, last = review["current"], review["last"]
    assert (current["checked_in"], current["missing"]) == (["carol@acme.test"], ["alice@acme.test"])
    assert (last["checked_in"], last["missing"]) == ([], ["alice@acme.test", "carol@acme.test"])
    assert last["end"] < current["start"] <= review["today"] <= current["end"]


def test_resources(api: Api, acme: Organization, goal_id: int) -> None:
    status, created = api.call(
        "post", f"/organizations/{acme.slug}/resources", {"name": "analysts", "capacity": 2}
    )
    assert status == 201
    assert (
        api.call("post", f"/organizations/{acme.slug}/resources", {"name": "analysts"})[1]["field"] == "name"
    )
    api.call(
        "post", f"/goals/{goal_id}/milestones", {"title": "Audit", "duration": 5, "demand": {"analysts": 2}}
    )
    status, answer = api.call(
        "patch", f"/organizations/{acme.slug}/resources/{created['id']}", {"capacity": 1}
    )
    assert (status, answer["field"]) == (400, "capacity")
    assert "'Audit' needs 2 units a day" in answer["detail"]
    status, changed = api.call(
        "patch", f"/organizations/{acme.slug}/resources/{created['id']}", {"capacity": 3}
    )
    assert (status, changed["capacity"]) == (200, 3)
    status, listing = api.call("get", f"/organizations/{acme.slug}/resources")
    assert listing["items"] == [{"id": created["id"], "name": "analysts", "capacity": 3, "team": None}]


def test_progress_is_computed_from_readings_and_rolls_up(api: Api) -> None:
    _, objective = api.call(
        "post",
        "/goals",
        {"title": "Best-in-class delivery by 2031", "deadline": "2031-12-31", "level": "objective"},
    )
    _, a = api.call(
        "post", "/goals", {"title": "Raise OTD to 95%", "deadline": "2031-06-30", "parent": objective["id"]}
    )
    _, b = api.call(
        "post",
        "/goals",
        {"title": "Cut lead time to 3 days", "deadline": "2031-06-30", "parent": objective["id"]},
    )
    _, otd = api.call(
        "post", f"/goals/{a['id']}/kpis", {"name": "OTD", "unit": "%", "baseline": 80, "target": 90}
    )
    _, lead = api.call(
        "post",
        f"/goals/{b['id']}/kpis",
        {"name": "Lead", "unit": "d", "direction": "decrease", "baseline": 5, "target": 3},
    )
    assert api.call("get", f"/goals/{objective['id']}")[1]["progress"] is None
    api.call(
        "post",
        f"/kpis/{otd['id']}/readings",
        [{"date": "2031-01-31", "value": 82}, {"date": "2031-02-28", "value": 85}],
    )
    api.call("post", f"/kpis/{lead['id']}/readings", [{"date": "2031-02-28", "value": 3.5}])
    assert api.call("get", f"/goals/{a['id']}")[1]["progress"] == pytest.approx(0.5)
    assert api.call("get", f"/goals/{b['id']}")[1]["progress"] == pytest.approx(0.75)
    _, listing = api.call("get", "/goals")
    shares = {g["id"]: g["progress"] for g in listing["items"]}
    assert shares[objective["id"]] == pytest.approx(0.625)

"""A goal's computed plan over HTTP: dates back from the deadline, ids, capacity, caching."""

from __future__ import annotations

from backcast.accounts.models import User
from backcast.goals.models import Resource
from backcast.organizations.models import Organization
from tests.api.client import Api, add, new_goal


def add_otd(api: Api, goal: int, name: str = "OTD") -> dict[str, int]:
    """An on-time-delivery KPI on ``goal``: 80% on 6 January 2031, 95% by the deadline."""
    body = {"name": name, "unit": "%", "direction": "increase", "baseline": 80, "baseline_date": "2031-01-06"}
    status, created = api.call("post", f"/goals/{goal}/kpis", body | {"target": 95})
    assert status == 201
    return {"id": int(created["id"])}


def test_the_plan_is_worked_back_from_the_deadline(api: Api) -> None:
    goal = new_goal(api)
    audit = add(api, goal, title="Audit carriers", duration=5)
    scorecards = add(api, goal, title="Scorecards", duration=5, after=[audit])
    spare = add(api, goal, title="Brief the board", duration=1)
    status, plan = api.call("get", f"/goals/{goal}/plan")
    assert status == 200
    by_id = {m["id"]: m for m in plan["milestones"]}
    assert (by_id[scorecards]["start"], by_id[scorecards]["finish"]) == ("2031-06-24", "2031-06-30")
    assert (by_id[audit]["start"], by_id[audit]["finish"]) == ("2031-06-17", "2031-06-23")
    assert by_id[spare]["critical"] is False
    assert plan["critical_path"] == [audit, scorecards]
    assert plan["feasible"] is True and plan["overloads"] == []
    assert plan["required_start"] == "2031-06-17"
    assert plan["probability_on_time"] == 1.0
    # Any change the plan depends on shows at once: no stale cache.
    assert api.call("patch", f"/milestones/{audit}", {"duration": 10})[0] == 200
    _, plan = api.call("get", f"/goals/{goal}/plan")
    assert plan["required_start"] == "2031-06-10"


def test_capacity_levels_the_plan_and_names_the_bottleneck(api: Api, acme: Organization) -> None:
    Resource.objects.create(organization=acme, name="analysts", capacity=1)
    goal = new_goal(api, start="2031-06-18")
    first = add(api, goal, title="Audit north", duration=5, demand={"analysts": 1})
    second = add(api, goal, title="Audit south", duration=5, demand={"analysts": 1})
    _, plan = api.call("get", f"/goals/{goal}/plan")
    assert plan["levelled"] is True and plan["feasible"] is False
    (overload,) = plan["overloads"]
    assert overload["resource"] == "analysts"
    assert set(overload["milestones"]) <= {first, second} and len(overload["milestones"]) == 1
    assert "analysts" in overload["message"]


def test_a_goal_without_milestones_cannot_be_planned_yet(api: Api) -> None:
    status, answer = api.call("get", f"/goals/{new_goal(api)}/plan")
    assert (status, answer["field"]) == (400, "plan")
    assert "no milestones" in answer["detail"]


def test_a_goal_carries_its_smart_check_and_health(api: Api) -> None:
    goal = new_goal(api)
    _, body = api.call("get", f"/goals/{goal}")
    letters = {c["letter"]: c for c in body["smart"]}
    assert list(letters) == ["S", "M", "A", "R", "T"]
    assert letters["M"]["status"] == "fail"
    assert any("KPI" in reason for reason in letters["M"]["reasons"])
    assert letters["R"]["status"] != "pass"  # not aligned to an objective
    _, listing = api.call("get", "/goals")
    assert listing["items"][0]["smart"] is None  # lists stay cheap
    add_otd(api, goal, "On-time delivery")
    add(api, goal, title="Audit carriers", duration=5)
    _, body = api.call("get", f"/goals/{goal}")
    letters = {c["letter"]: c for c in body["smart"]}
    assert letters["M"]["status"] == "pass"
    assert letters["A"]["status"] in {"pass", "warn"}
    status, health = api.call("get", f"/goals/{goal}/health")
    assert status == 200
    assert health["status"] in {"on_track", "at_risk", "off_track"}


def test_health_turns_when_the_plan_cannot_fit(api: Api) -> None:
    goal = new_goal(api, start="2031-06-23")
    add(api, goal, title="Rebuild the warehouse layout", duration=20)
    _, health = api.call("get", f"/goals/{goal}/health")
    assert health["status"] == "off_track"
    assert any(f["signal"] in {"schedule", "capacity"} for f in health["findings"])
    _, body = api.call("get", f"/goals/{goal}")
    achievable = next(c for c in body["smart"] if c["letter"] == "A")
    assert achievable["status"] == "fail"


def test_interim_targets_sit_at_milestone_finishes(api: Api) -> None:
    goal = new_goal(api)
    kpi = add_otd(api, goal)
    add(api, goal, title="Scorecards live", duration=10)
    status, points = api.call("get", f"/kpis/{kpi['id']}/trajectory")
    assert status == 200
    assert [p["date"] for p in points] == ["2031-06-30"]
    assert points[0]["value"] == 95 and points[0]["milestones"] == ["Scorecards live"]
    first = add(api, goal, title="Audit", duration=20)
    api.call("patch", f"/milestones/{first}", {"duration": 20})
    second = add(api, goal, title="Pilot", duration=5, after=[first])
    api.call("post", f"/goals/{goal}/milestones", {"title": "Roll out", "duration": 5, "after": [second]})
    _, points = api.call("get", f"/kpis/{kpi['id']}/trajectory")
    days = [p["date"] for p in points]
    assert days == sorted(days) and days[-1] == "2031-06-30" and len(days) == 3
    values = [p["value"] for p in points]
    assert 80 < values[0] < values[1] < values[2] == 95  # linear from the baseline, rising to the target


def test_dependencies_as_a_resource(api: Api, bob: User) -> None:
    goal = new_goal(api)
    a = add(api, goal, title="Audit", duration=5)
    b = add(api, goal, title="Scorecards", duration=5)
    status, created = api.call(
        "post", f"/goals/{goal}/dependencies", {"predecessor": a, "successor": b, "lag": 2}
    )
    assert status == 201
    status, listing = api.call("get", f"/goals/{goal}/dependencies")
    assert listing == {
        "items": [{"id": created["id"], "predecessor": a, "successor": b, "type": "FS", "lag": 2}],
        "count": 1,
    }
    status, answer = api.call("post", f"/goals/{goal}/dependencies", {"predecessor": b, "successor": a})
    assert (status, answer["field"]) == (400, "predecessor") and "cycle" in answer["detail"]
    status, answer = api.call("post", f"/goals/{goal}/dependencies", {"predecessor": a, "successor": b})
    assert (status, answer["field"]) == (400, "predecessor") and "already depends" in answer["detail"]
    status, answer = api.call("post", f"/goals/{goal}/dependencies", {"predecessor": a, "successor": 999999})
    assert (status, answer["field"]) == (400, "successor")
    other = add(api, new_goal(api), title="Elsewhere", duration=1)
    status, answer = api.call("post", f"/goals/{goal}/dependencies", {"predecessor": other, "successor": b})
    assert (status, answer["field"]) == (400, "predecessor") and "another goal" in answer["detail"]
    assert Api(bob).call("delete", f"/dependencies/{created['id']}")[0] == 403  # bob contributes, alice plans
    assert api.call("delete", f"/dependencies/{created['id']}")[0] == 204
    assert api.call("get", f"/goals/{goal}/dependencies")[1]["count"] == 0


def test_a_planner_pins_a_checkpoint_and_the_trajectory_bends_through_it(api: Api, bob: User) -> None:
    goal = new_goal(api)
    kpi = add_otd(api, goal)
    first = add(api, goal, title="Audit", duration=60)
    add(api, goal, title="Roll out", duration=20, after=[first])
    _, straight = api.call("get", f"/kpis/{kpi['id']}/trajectory")
    audit_done = straight[0]["date"]
    assert api.call("put", f"/kpis/{kpi['id']}/checkpoints/{audit_done}", {"value": 82})[0] == 200
    _, bent = api.call("get", f"/kpis/{kpi['id']}/trajectory")
    assert (bent[0]["date"], bent[0]["value"], bent[0]["pinned"]) == (audit_done, 82, True)
    assert bent[0]["milestones"] == ["Audit"] and bent[-1]["value"] == 95
    assert api.call("put", f"/kpis/{kpi['id']}/checkpoints/{audit_done}", {"value": 84})[0] == 200
    assert api.call("get", f"/kpis/{kpi['id']}/trajectory")[1][0]["value"] == 84  # replaced, not added
    status, answer = api.call("put", f"/kpis/{kpi['id']}/checkpoints/2031-07-15", {"value": 90})
    assert (status, answer["field"]) == (400, "date")
    assert Api(bob).call("put", f"/kpis/{kpi['id']}/checkpoints/{audit_done}", {"value": 1})[0] == 403
    assert api.call("delete", f"/kpis/{kpi['id']}/checkpoints/{audit_done}")[0] == 204
    assert api.call("delete", f"/kpis/{kpi['id']}/checkpoints/{audit_done}")[0] == 404
    assert api.call("get", f"/kpis/{kpi['id']}/trajectory")[1] == straight


def test_comments_on_goals_and_milestones(api: Api, bob: User, carol: User) -> None:
    goal = new_goal(api)
    audit = add(api, goal, title="Audit", duration=5)
    status, first = api.call("post", f"/goals/{goal}/comments", {"body": "  Carrier data is in.  "})
    assert status == 201
    carol_api = Api(carol)
    status, second = carol_api.call(
        "post", f"/goals/{goal}/comments", {"body": "<b>Audit</b> slips a week", "milestone": audit}
    )
    assert status == 201
    _, listing = api.call("get", f"/goals/{goal}/comments")
    assert [(c["body"], c["milestone"], c["author"]) for c in listing["items"]] == [
        ("Carrier data is in.", None, "alice@acme.test"),
        ("<b>Audit</b> slips a week", audit, "carol@acme.test"),
    ]
    assert api.call("post", f"/goals/{goal}/comments", {"body": "   "})[1]["field"] == "body"
    status, answer = api.call("post", f"/goals/{goal}/comments", {"body": "x" * 5001})
    assert status == 422 and answer["detail"][0]["loc"][-1] == "body"  # the schema's maxLength
    assert (
        api.call("post", f"/goals/{goal}/comments", {"body": "hi", "milestone": 999999})[1]["field"]
        == "milestone"
    )
    assert Api(bob).call("post", f"/goals/{goal}/comments", {"body": "viewer"})[0] == 403
    assert (
        api.call("patch", f"/comments/{second['id']}", {"body": "mine now"})[0] == 403
    )  # only the author edits
    status, edited = carol_api.call("patch", f"/comments/{second['id']}", {"body": "Audit slips three days"})
    assert status == 200 and edited["edited_at"] is not None
    assert carol_api.call("delete", f"/comments/{first['id']}")[0] == 403  # not hers, not a moderator
    assert api.call("delete", f"/comments/{second['id']}")[0] == 204  # alice moderates
    assert api.call("get", f"/goals/{goal}/comments")[1]["count"] == 1

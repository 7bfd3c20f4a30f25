"""Baselines, variance and what-if scenarios over HTTP, every answer checked against the schema."""

from __future__ import annotations

from backcast.accounts.models import User
from backcast.goals.models import Resource
from backcast.organizations.models import Organization
from backcast.replanning.models import Baseline, Scenario
from tests.api.client import Api, add, new_goal


def test_accept_slip_and_read_the_variance(api: Api) -> None:
    goal = new_goal(api)
    audit = add(api, goal, title="Audit carriers", duration=5)
    cards = add(api, goal, title="Scorecards", duration=5, after=[audit])
    status, answer = api.call("get", f"/goals/{goal}/variance")
    assert (status, answer["field"]) == (400, "baseline")
    status, answer = api.call("post", f"/goals/{goal}/baselines", {"reason": " "})
    assert (status, answer["field"]) == (400, "reason")
    status, created = api.call("post", f"/goals/{goal}/baselines", {"reason": "first plan"})
    assert status == 201
    first = created["id"]
    status, baseline = api.call("get", f"/baselines/{first}")
    assert status == 200
    assert (baseline["number"], baseline["reason"], baseline["taken_by"]) == (
        1,
        "first plan",
        "alice@acme.test",
    )
    _, plan = api.call("get", f"/goals/{goal}/plan")
    assert baseline["plan"] == plan
    # the audit slips a week: the plan is worked out again at once
    assert api.call("patch", f"/milestones/{audit}", {"duration": 10})[0] == 200
    status, v = api.call("get", f"/goals/{goal}/variance")
    assert status == 200 and v["baseline"]["id"] == first
    rows = {m["id"]: m for m in v["milestones"]}
    assert rows[audit]["before_start"] == "2031-06-17" and rows[audit]["after_start"] == "2031-06-10"
    assert (rows[audit]["start_slip"], rows[audit]["finish_slip"]) == (-5, 0)
    assert rows[cards]["change"] == "kept" and rows[cards]["finish_slip"] == 0
    assert v["required_start"] == {"before": "2031-06-17", "after": "2031-06-10", "slip": -5}
    assert v["earliest_finish"]["slip"] == 5 and v["plan_error"] is None
    assert v["probability_change"] == 0.0
    # re-planning after the slip is accepting again, with the reason; both are kept
    status, created = api.call("post", f"/goals/{goal}/baselines", {"reason": "audit slipped a week"})
    assert status == 201
    _, listing = api.call("get", f"/goals/{goal}/baselines")
    assert listing["count"] == 2 and [b["number"] for b in listing["items"]] == [2, 1]
    _, latest = api.call("get", f"/goals/{goal}/variance")
    assert latest["required_start"]["slip"] == 0
    _, older = api.call("get", f"/goals/{goal}/variance?baseline={first}")
    assert older["baseline"]["number"] == 1 and older["required_start"]["slip"] == -5
    status, answer = api.call("get", f"/goals/{goal}/variance?baseline={first + 100}")
    assert (status, answer["field"]) == (400, "baseline")


def test_a_goal_without_milestones_has_no_plan_to_accept(api: Api) -> None:
    status, answer = api.call("post", f"/goals/{new_goal(api)}/baselines", {"reason": "first plan"})
    assert (status, answer["field"]) == (400, "plan")


def test_a_scenario_is_compared_then_adopted(api: Api, acme: Organization) -> None:
    Resource.objects.create(organization=acme, name="Analysts", capacity=1)
    goal = new_goal(api)
    north = add(api, goal, title="Audit north", duration=5, demand={"Analysts": 1})
    south = add(api, goal, title="Audit south", duration=5, demand={"Analysts": 1})
    sign = add(api, goal, title="Sign off", duration=2, after=[north, south])
    body = {
        "name": "A second analyst",
        "changes": {
            "capacity": [{"resource": "Analysts", "capacity": 2}],
            "milestones": [{"id": sign, "duration": 3}],
            "add": [{"title": "Brief the board", "duration": 1, "after": [sign], "demand": {"Analysts": 1}}],
        },
    }
    status, created = api.call("post", f"/goals/{goal}/scenarios", body)
    assert status == 201
    scenario = created["id"]
    status, answer = api.call("post", f"/goals/{goal}/scenarios", body)
    assert (status, answer["field"]) == (400, "name")
    status, answer = api.call(
        "post", f"/goals/{goal}/scenarios", {"name": "Bad", "changes": {"milestones": [{"id": sign}]}}
    )
    assert (status, answer["field"]) == (400, "changes.milestones[0].duration")
    status, answer = api.call(
        "post",
        f"/goals/{goal}/scenarios",
        {"name": "Bad", "changes": {"milestones": [{"id": 0, "duration": 1}]}},
    )
    assert (status, answer["field"]) == (400, "changes.milestones[0].id")
    _, listing = api.call("get", f"/goals/{goal}/scenarios")
    assert listing["count"] == 1 and listing["items"][0]["name"] == "A second analyst"
    status, detail = api.call("get", f"/scenarios/{scenario}")
    assert status == 200
    analysts = Resource.objects.get(name="Analysts").pk
    assert detail["changes"]["capacity"] == [{"resource": analysts, "capacity": 2}]
    assert detail["changes"]["add"][0]["demand"] == {str(analysts): 1}
    c = detail["comparison"]
    assert c["current"]["required_start"] == "2031-06-13" and c["scenario"]["required_start"] == "2031-06-18"
    assert c["required_start_change"] == 3 and c["finish_change"] == -3
    (load,) = c["resources"]
    assert (load["capacity_before"], load["capacity_after"]) == (1, 2)
    assert sum(load["before"]) == 10 and sum(load["after"]) == 11
    added = next(m for m in c["milestones"] if m["change"] == "added")
    assert (added["id"], added["title"], added["after_finish"]) == (-1, "Brief the board", "2031-06-30")
    assert c["stale"] == [] and c["scenario_error"] is None
    # nothing of the goal has changed yet
    _, plan = api.call("get", f"/goals/{goal}/plan")
    assert plan["required_start"] == "2031-06-13"
    status, created = api.call("post", f"/scenarios/{scenario}/adopt")
    assert status == 201
    _, baseline = api.call("get", f"/baselines/{created['id']}")
    assert baseline["reason"] == "adopted scenario A second analyst"
    _, plan = api.call("get", f"/goals/{goal}/plan")
    assert plan["required_start"] == c["scenario"]["required_start"] == baseline["required_start"]
    assert api.call("get", f"/scenarios/{scenario}")[0] == 404
    _, milestones = api.call("get", f"/goals/{goal}/milestones")
    assert "Brief the board" in {m["title"] for m in milestones["items"]}


def test_discarding_and_a_stale_scenario(api: Api) -> None:
    goal = new_goal(api)
    audit = add(api, goal, title="Audit carriers", duration=5)
    add(api, goal, title="Scorecards", duration=5, after=[audit])
    body = {
        "name": "Shorter audit",
        "changes": {"milestones": [{"id": audit, "duration": 3}], "deadline": "2031-07-31"},
    }
    _, created = api.call("post", f"/goals/{goal}/scenarios", body)
    scenario = created["id"]
    assert api.call("delete", f"/milestones/{audit}")[0] == 204
    _, detail = api.call("get", f"/scenarios/{scenario}")
    assert detail["comparison"]["stale"] == [f"milestone {audit} (to change) is no longer in this goal"]
    assert detail["changes"]["deadline"] == "2031-07-31"
    status, answer = api.call("post", f"/scenarios/{scenario}/adopt")
    assert (status, answer["field"]) == (400, "changes")
    assert api.call("delete", f"/scenarios/{scenario}") == (204, None)
    assert not Scenario.objects.exists()


def test_viewers_read_but_cannot_write_and_outsiders_see_nothing(
    api: Api, bob: User, carol: User, charlie: User
) -> None:
    goal = new_goal(api)
    add(api, goal, title="Audit carriers", duration=5)
    _, created = api.call("post", f"/goals/{goal}/baselines", {"reason": "first plan"})
    baseline = created["id"]
    _, created = api.call("post", f"/goals/{goal}/scenarios", {"name": "As is"})
    scenario = created["id"]
    for user in (bob, carol):
        reader = Api(user)
        assert reader.call("get", f"/goals/{goal}/baselines")[0] == 200
        assert reader.call("get", f"/baselines/{baseline}")[0] == 200
        assert reader.call("get", f"/goals/{goal}/variance")[0] == 200
        assert reader.call("get", f"/goals/{goal}/scenarios")[0] == 200
        assert reader.call("get", f"/scenarios/{scenario}")[0] == 200
        assert reader.call("post", f"/goals/{goal}/baselines", {"reason": "mine"})[0] == 403
        assert reader.call("post", f"/goals/{goal}/scenarios", {"name": "Mine"})[0] == 403
        assert reader.call("post", f"/scenarios/{scenario}/adopt")[0] == 403
        assert reader.call("delete", f"/scenarios/{scenario}")[0] == 403
    outsider = Api(charlie)
    for method, url, body in [
        ("get", f"/goals/{goal}/baselines", None),
        ("post", f"/goals/{goal}/baselines", {"reason": "mine"}),
        ("get", f"/baselines/{baseline}", None),
        ("get", f"/goals/{goal}/variance", None),
        ("get", f"/goals/{goal}/variance?baseline={baseline}", None),
        ("get", f"/goals/{goal}/scenarios", None),
        ("post", f"/goals/{goal}/scenarios", {"name": "Mine"}),
        ("get", f"/scenarios/{scenario}", None),
        ("post", f"/scenarios/{scenario}/adopt", None),
        ("delete", f"/scenarios/{scenario}", None),
    ]:
        assert outsider.call(method, url, body)[0] == 404, (method, url)
    assert Baseline.objects.count() == 1 and Scenario.objects.count() == 1

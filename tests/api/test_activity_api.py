"""The audit trail and the trash over the API: bearer tokens and sessions, pages, tenancy."""

from __future__ import annotations

import json

from backcast.accounts.models import User
from backcast.activity.models import Event
from backcast.organizations.models import Organization
from tests.api.client import Api, add, new_goal
from tests.conftest import csrf_token, logged_in


def test_a_change_through_a_bearer_token_names_its_owner(api: Api, alice: User) -> None:
    goal = new_goal(api)
    audit = add(api, goal, title="Audit carriers", duration=10)
    assert api.call("patch", f"/milestones/{audit}", {"duration": 12, "owner": alice.email})[0] == 200
    status, body = api.call("get", f"/goals/{goal}/activity")
    assert status == 200
    latest = body["items"][0]
    assert (latest["actor"], latest["actor_name"], latest["action"]) == (
        alice.email,
        "Alice Admin",
        "changed",
    )
    assert latest["changes"] == {
        "owner": [None, {"id": alice.pk, "label": "Alice Admin"}],
        "duration": [10, 12],
    }
    assert (
        latest["text"]
        == "Alice Admin changed milestone “Audit carriers” of goal “Raise on-time delivery to 95%”"
    )
    assert latest["moves"] == ["Owner from none to Alice Admin", "Duration from 10 to 12"]
    assert [e["action"] for e in body["items"]] == ["changed", "created", "created"]


def test_a_change_through_the_session_names_the_person(alice: User, carol: User, acme: Organization) -> None:
    goal = new_goal(Api(alice))
    client = logged_in(carol)
    token = csrf_token(client)
    response = client.post(
        f"/api/v1/goals/{goal}/checkins",
        json.dumps({"status": "on_track", "confidence": 8}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201
    assert Event.objects.get(object_type="checkin").actor == carol
    feed = client.get(f"/api/v1/organizations/{acme.slug}/activity?kind=checkin").json()
    assert feed["count"] == 1 and feed["items"][0]["text"].startswith("Carol Contributor posted a check-in")


def test_feeds_are_paginated_newest_first(api: Api, acme: Organization) -> None:
    goal = new_goal(api)
    for n in range(4):
        assert api.call("patch", f"/goals/{goal}", {"title": f"Take {n}"})[0] == 200
    status, page = api.call("get", f"/goals/{goal}/activity?limit=2&offset=1")
    assert status == 200 and page["count"] == 5
    assert [e["changes"]["title"][1] for e in page["items"]] == ["Take 2", "Take 1"]
    status, history = api.call("get", f"/goals/{goal}/history?limit=1")
    assert history["count"] == 5 and history["items"][0]["changes"]["title"] == ["Take 2", "Take 3"]


def test_a_deleted_goal_is_gone_from_the_api_until_restored(api: Api, acme: Organization) -> None:
    goal = new_goal(api)
    assert api.call("delete", f"/goals/{goal}")[0] == 204
    assert api.call("get", f"/goals/{goal}")[0] == 404
    assert api.call("get", f"/goals/{goal}/plan")[0] == 404
    assert api.call("get", f"/goals/{goal}/activity")[0] == 404
    assert api.call("get", "/goals")[1]["count"] == 0
    status, trash = api.call("get", f"/organizations/{acme.slug}/trash")
    assert status == 200 and [(i["kind"], i["id"]) for i in trash["items"]] == [("goal", goal)]
    status, feed = api.call("get", f"/organizations/{acme.slug}/activity?kind=goal")
    assert feed["items"][0]["text"] == (
        "Alice Admin deleted goal “Raise on-time delivery to 95%” (moved to the trash, restorable for 30 days)"
    )
    status, restored = api.call("post", f"/goals/{goal}/restore")
    assert (status, restored) == (200, {"kind": "goal", "id": goal, "title": "Raise on-time delivery to 95%"})
    assert api.call("get", f"/goals/{goal}")[0] == 200
    status, again = api.call("post", f"/goals/{goal}/restore")
    assert status == 400 and again["field"] == "goal"


def test_a_deleted_milestone_leaves_the_plan_with_its_dependencies(api: Api) -> None:
    goal = new_goal(api)
    audit = add(api, goal, title="Audit", duration=5)
    cards = add(api, goal, title="Scorecards", duration=5, after=[audit])
    review = add(api, goal, title="Review", duration=2, after=[cards])
    assert api.call("delete", f"/milestones/{cards}")[0] == 204
    status, plan = api.call("get", f"/goals/{goal}/plan")
    assert status == 200
    assert sorted(m["title"] for m in plan["milestones"]) == ["Audit", "Review"]
    assert api.call("get", f"/milestones/{review}")[1]["after"] == []
    assert api.call("get", f"/milestones/{cards}")[0] == 404
    status, history = api.call("get", f"/milestones/{cards}/history")  # readable in the trash
    assert status == 200 and [e["action"] for e in history["items"]] == ["deleted", "created"]

    assert api.call("delete", f"/goals/{goal}")[0] == 204
    status, refused = api.call("post", f"/milestones/{cards}/restore")
    assert status == 400 and "restore the goal first" in refused["detail"]
    assert api.call("post", f"/goals/{goal}/restore")[0] == 200
    assert api.call("post", f"/milestones/{cards}/restore")[0] == 200
    assert api.call("get", f"/milestones/{review}")[1]["after"] == [{"id": cards, "type": "FS", "lag": 0}]


def test_viewers_read_the_trail_but_cannot_restore(api: Api, bob: User, acme: Organization) -> None:
    goal = new_goal(api)
    assert api.call("delete", f"/goals/{goal}")[0] == 204
    viewer = Api(bob)
    assert viewer.call("get", f"/organizations/{acme.slug}/activity")[0] == 200
    assert viewer.call("get", f"/organizations/{acme.slug}/trash")[1]["count"] == 1
    assert viewer.call("post", f"/goals/{goal}/restore")[0] == 403


def test_outsiders_get_404(api: Api, charlie: User, acme: Organization) -> None:
    goal = new_goal(api)
    kpi = api.call("post", f"/goals/{goal}/kpis", {"name": "OTD", "unit": "%", "baseline": 80, "target": 95})[
        1
    ]["id"]
    outsider = Api(charlie)
    for url in (
        f"/goals/{goal}/activity",
        f"/goals/{goal}/history",
        f"/kpis/{kpi}/history",
        f"/organizations/{acme.slug}/activity",
        f"/organizations/{acme.slug}/trash",
    ):
        assert outsider.call("get", url)[0] == 404, url
    assert api.call("delete", f"/goals/{goal}")[0] == 204
    assert outsider.call("post", f"/goals/{goal}/restore")[0] == 404

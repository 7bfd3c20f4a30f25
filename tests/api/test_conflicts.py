"""No lost updates over the API: versions, ETag and If-Match, 409 with the current object."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from backcast.accounts.models import User
from backcast.goals.models import KPI, Goal, Milestone
from tests.api.client import Api, add, new_goal
from tests.api.openapi import check_response


def call(api: Api, method: str, url: str, body: Any = None, **headers: str) -> tuple[int, Any, Any]:
    """Like ``Api.call`` with extra request headers; also returns the response's ETag."""
    kwargs: dict[str, Any] = {"headers": api.headers | headers}
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    response = getattr(api.client, method)(f"/api/v1{url}", **kwargs)
    answer = response.json() if response.content else None
    check_response(method, f"/api/v1{url}", response.status_code, answer)
    return response.status_code, answer, response.headers.get("ETag")


@pytest.fixture
def urls(api: Api) -> dict[str, str]:
    """One goal, KPI and milestone of alice's, each by its URL (all at version 1)."""
    goal = new_goal(api)
    status, kpi = api.call(
        "post", f"/goals/{goal}/kpis", {"name": "OTD", "unit": "%", "baseline": 80, "target": 95}
    )
    assert status == 201
    milestone = add(api, goal, title="Audit carriers", duration=5)
    return {"goal": f"/goals/{goal}", "kpi": f"/kpis/{kpi['id']}", "milestone": f"/milestones/{milestone}"}


# A change each kind accepts, the field it lands in, and how to read that field from the row.
EDITS: dict[str, tuple[dict[str, Any], str, Callable[[], object]]] = {
    "goal": ({"title": "Raise OTD to 96%"}, "title", lambda: Goal.objects.get().title),
    "kpi": ({"target": 97.0}, "target", lambda: KPI.objects.get().target),
    "milestone": ({"title": "Audit all carriers"}, "title", lambda: Milestone.objects.get().title),
}
KINDS = list(EDITS)


@pytest.mark.parametrize("kind", KINDS)
def test_get_answers_the_version_as_an_etag(api: Api, urls: dict[str, str], kind: str) -> None:
    status, body, tag = call(api, "get", urls[kind])
    assert (status, body["version"], tag) == (200, 1, '"v1"')


@pytest.mark.parametrize("kind", KINDS)
def test_a_fresh_version_is_written_and_bumped(api: Api, urls: dict[str, str], kind: str) -> None:
    change, field, stored = EDITS[kind]
    status, body, tag = call(api, "patch", urls[kind], change | {"version": 1})
    assert (status, body["version"], tag, body[field]) == (200, 2, '"v2"', change[field])
    assert stored() == change[field]


@pytest.mark.parametrize("kind", KINDS)
def test_a_stale_version_gets_409_with_the_current_object_and_nothing_is_written(
    api: Api, urls: dict[str, str], kind: str
) -> None:
    change, field, stored = EDITS[kind]
    first: dict[str, dict[str, Any]] = {
        "goal": {"description": "Carrier scorecards"},
        "kpi": {"unit": "pct"},
        "milestone": {"duration": 8},
    }
    assert call(api, "patch", urls[kind], first[kind] | {"version": 1})[0] == 200  # someone else, first
    before = stored()
    status, body, tag = call(api, "patch", urls[kind], change | {"version": 1})
    assert status == 409
    assert "changed by someone else" in body["detail"]
    assert tag == '"v2"'
    assert body["current"] == call(api, "get", urls[kind])[1]
    assert body["current"]["version"] == 2
    assert stored() == before != change[field]
    assert call(api, "get", urls[kind])[1]["version"] == 2  # the refused write bumped nothing


@pytest.mark.parametrize("kind", KINDS)
def test_if_match_carries_the_etag(api: Api, urls: dict[str, str], kind: str) -> None:
    change, field, stored = EDITS[kind]
    _, _, tag = call(api, "get", urls[kind])
    status, body, new_tag = call(api, "patch", urls[kind], change, **{"If-Match": tag})
    assert (status, new_tag) == (200, '"v2"')
    status, body, _ = call(api, "patch", urls[kind], {field: change[field]}, **{"If-Match": tag})
    assert status == 409
    assert body["current"]["version"] == 2
    weak = call(api, "patch", urls[kind], change, **{"If-Match": 'W/"v2"'})
    assert (weak[0], weak[2]) == (200, '"v3"')


def test_if_match_and_version_must_agree_and_be_well_formed(api: Api, urls: dict[str, str]) -> None:
    url = urls["milestone"]
    status, body, _ = call(api, "patch", url, {"title": "x", "version": 1}, **{"If-Match": '"v2"'})
    assert (status, body["field"]) == (400, "version")
    for bad in ("v1", '"1"', '"v1", "v2"', "abc"):
        status, body, _ = call(api, "patch", url, {"title": "x"}, **{"If-Match": bad})
        assert (status, body["field"]) == (400, "If-Match"), bad
    assert Milestone.objects.get().title == "Audit carriers"
    assert Milestone.objects.get().version == 1


@pytest.mark.parametrize("kind", KINDS)
def test_without_a_version_the_write_is_blind(api: Api, urls: dict[str, str], kind: str) -> None:
    """Clients written before versions keep working: no version, no If-Match (or ``*``) writes."""
    change, field, stored = EDITS[kind]
    call(api, "patch", urls[kind], {field: change[field]})
    status, body, tag = call(api, "patch", urls[kind], change)
    assert (status, body["version"], tag) == (200, 3, '"v3"')
    status, body, tag = call(api, "patch", urls[kind], change, **{"If-Match": "*"})
    assert (status, body["version"]) == (200, 4)
    assert stored() == change[field]


def test_a_contributor_marking_progress_from_a_stale_copy_is_refused(
    api: Api, urls: dict[str, str], carol: User
) -> None:
    carols = Api(carol)
    assert call(api, "patch", urls["milestone"], {"title": "Audit all carriers", "version": 1})[0] == 200
    status, body, _ = call(carols, "patch", urls["milestone"], {"status": "done", "version": 1})
    assert (status, body["current"]["title"], body["current"]["status"]) == (
        409,
        "Audit all carriers",
        "not_started",
    )
    assert Milestone.objects.get().status == "not_started"


def test_a_link_added_or_removed_elsewhere_makes_an_earlier_copy_stale(
    api: Api, urls: dict[str, str]
) -> None:
    """``after`` is part of the milestone as read: a dependency made through its own route moves it on."""
    milestone = Milestone.objects.get()
    before = add(api, milestone.goal_id, title="Collect carrier data", duration=3)
    status, created = api.call(
        "post", f"/goals/{milestone.goal_id}/dependencies", {"predecessor": before, "successor": milestone.pk}
    )
    assert status == 201
    status, body, _ = call(api, "patch", urls["milestone"], {"after": [], "version": 1})
    assert status == 409
    assert body["current"]["after"] == [{"id": before, "type": "FS", "lag": 0}]
    assert body["current"]["version"] == 2
    assert api.call("delete", f"/dependencies/{created['id']}")[0] == 204
    assert Milestone.objects.get(pk=milestone.pk).version == 3
    assert call(api, "patch", urls["milestone"], {"duration": 6, "version": 2})[0] == 409


def test_an_outsider_with_a_version_still_gets_404(urls: dict[str, str], charlie: User) -> None:
    outsider = Api(charlie)
    for url in urls.values():
        response = outsider.client.patch(
            f"/api/v1{url}",
            data=json.dumps({"version": 7}),
            content_type="application/json",
            headers=outsider.headers,
        )
        assert response.status_code == 404
        assert "ETag" not in response.headers
    anonymous = Client().patch(f"/api/v1{urls['goal']}", data="{}", content_type="application/json")
    assert anonymous.status_code == 401

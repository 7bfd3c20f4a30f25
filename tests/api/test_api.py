"""The API: bearer tokens and sessions, scopes, revocation, tenancy, pagination, the schema."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client

from backcast.accounts.models import ApiToken, User
from backcast.goals.models import Dependency, Resource
from backcast.organizations.models import Organization, Team
from backcast.services.platform.tokens import create_token, revoke_token
from tests.conftest import csrf_token, logged_in


def bearer(user: User, scope: str = "write") -> dict[str, str]:
    _, raw = create_token(user, f"{scope} token", scope)
    return {"Authorization": f"Bearer {raw}"}


def test_token_authenticates_and_records_last_use(alice: User) -> None:
    headers = bearer(alice)
    response = Client().get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.json()["email"] == alice.email
    assert ApiToken.objects.get(user=alice).last_used_at is not None


def test_no_or_bad_token_is_401(alice: User) -> None:
    assert Client().get("/api/v1/me").status_code == 401
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer bc_nope_nope").status_code == 401
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer something-else").status_code == 401


def test_revoked_token_stops_working(alice: User) -> None:
    token, raw = create_token(alice, "temp")
    client = Client()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    revoke_token(alice, token.prefix)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_token_of_deactivated_user_stops_working(alice: User) -> None:
    headers = bearer(alice)
    alice.is_active = False
    alice.save()
    assert Client().get("/api/v1/me", headers=headers).status_code == 401


def test_read_only_token_cannot_write(alice: User, acme: Organization) -> None:
    headers = bearer(alice, "read")
    client = Client()
    assert client.get(f"/api/v1/organizations/{acme.slug}/teams", headers=headers).status_code == 200
    response = client.post(
        f"/api/v1/organizations/{acme.slug}/teams",
        json.dumps({"name": "Night"}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not Team.objects.exists()


def test_write_with_token_answers_201_with_id(alice: User, acme: Organization) -> None:
    response = Client().post(
        f"/api/v1/organizations/{acme.slug}/teams",
        json.dumps({"name": "Night"}),
        content_type="application/json",
        headers=bearer(alice),
    )
    assert response.status_code == 201
    assert Team.objects.get(pk=response.json()["id"]).name == "Night"


def test_bad_input_is_400_naming_the_field(alice: User, acme: Organization) -> None:
    client = Client()
    headers = bearer(alice)
    client.post(
        f"/api/v1/organizations/{acme.slug}/teams",
        json.dumps({"name": "Night"}),
        content_type="application/json",
        headers=headers,
    )
    response = client.post(
        f"/api/v1/organizations/{acme.slug}/teams",
        json.dumps({"name": "night"}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "name"
    response = client.put(
        f"/api/v1/organizations/{acme.slug}/members",
        json.dumps({"email": alice.email, "role": "boss"}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "role"
    response = client.post(
        f"/api/v1/organizations/{acme.slug}/teams",
        "{not json",
        content_type="application/json",
        headers=headers,
    )
    assert 400 <= response.status_code < 500


def test_viewer_token_cannot_write_either(bob: User, acme: Organization) -> None:
    response = Client().post(
        f"/api/v1/organizations/{acme.slug}/teams",
        json.dumps({"name": "Night"}),
        content_type="application/json",
        headers=bearer(bob),
    )
    assert response.status_code == 403


def test_lists_are_paginated(alice: User, acme: Organization) -> None:
    from backcast.services.platform.organizations import create_team

    for n in range(3):
        create_team(alice, acme.slug, f"Line {n}")
    body = Client().get(f"/api/v1/organizations/{acme.slug}/teams?limit=2", headers=bearer(alice)).json()
    assert body["count"] == 3
    assert [t["name"] for t in body["items"]] == ["Line 0", "Line 1"]


def test_session_auth_requires_csrf_for_writes(alice: User, acme: Organization) -> None:
    client = logged_in(alice)
    assert client.get("/api/v1/organizations").json()["items"][0]["slug"] == acme.slug
    url = f"/api/v1/organizations/{acme.slug}/teams"
    assert client.post(url, json.dumps({"name": "Night"}), content_type="application/json").status_code == 403
    token = csrf_token(client)
    response = client.post(
        url, json.dumps({"name": "Night"}), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


def fill(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A minimal valid body for an OpenAPI schema, so a write reaches its handler."""
    if "$ref" in schema:
        return fill(components[schema["$ref"].split("/")[-1]], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return fill(next(s for s in schema["anyOf"] if s.get("type") != "null"), components)
    if "allOf" in schema:
        return fill(schema["allOf"][0], components)
    kind = schema.get("type")
    if kind == "object":
        return {name: fill(prop, components) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return []
    if kind in {"integer", "number"}:
        return 1
    if kind == "boolean":
        return False
    if kind == "string" and schema.get("format") == "date":
        return "2030-01-01"
    return "admin" if kind == "string" else None


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    from backcast.api import api

    schema = api.get_openapi_schema()
    return [(path, method, op) for path, methods in schema["paths"].items() for method, op in methods.items()]


# Routes anyone may call without logging in, with their answer: they show nothing of anyone's.
PUBLIC = {("get", "/api/v1/health"): 200}


def test_health_answers_anyone_without_a_query(db: None) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/api/v1/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert len(queries) == 0
    assert Client().post("/api/v1/health").status_code == 405


@pytest.fixture
def charlie_headers(charlie: User) -> dict[str, str]:
    return bearer(charlie)


@pytest.fixture
def alice_ids(acme: Organization, alice: User) -> dict[str, str]:
    """One object of alice's for every kind of path parameter the API has."""
    from backcast.services.goals.goals import create_goal
    from backcast.services.goals.kpis import add_kpi
    from backcast.services.goals.milestones import add_milestone

    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    kpi = add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})
    milestone = add_milestone(alice, goal.pk, {"title": "Audit", "duration": 5})
    follower = add_milestone(alice, goal.pk, {"title": "Scorecards", "duration": 5, "after": [milestone.pk]})
    dependency = Dependency.objects.get(successor=follower)
    from backcast.services.goals.comments import add_comment

    comment = add_comment(alice, goal.pk, {"body": "Carrier data is in."})
    from backcast.services.replanning.baselines import accept_plan
    from backcast.services.replanning.scenarios import create_scenario

    baseline = accept_plan(alice, goal.pk, "first plan")
    scenario = create_scenario(alice, goal.pk, {"name": "As is"})
    from backcast.services.notify.webhooks import create_webhook

    webhook, _ = create_webhook(
        alice, acme.slug, {"name": "Ops channel", "url": "https://hooks.example.com/x", "events": ["digest"]}
    )
    from backcast.services.platform.invitations import invite

    invitation = invite(alice, acme.slug, "newcomer@elsewhere.test", "viewer")
    return {
        "slug": acme.slug,
        "goal_id": str(goal.pk),
        "kpi_id": str(kpi.pk),
        "milestone_id": str(milestone.pk),
        "dependency_id": str(dependency.pk),
        "day": "2031-03-03",
        "comment_id": str(comment.pk),
        "resource_id": str(Resource.objects.create(organization=acme, name="analysts", capacity=2).pk),
        "baseline_id": str(baseline.pk),
        "scenario_id": str(scenario.pk),
        "webhook_id": str(webhook.pk),
        "invitation_id": str(invitation.pk),
    }


def test_every_route_hides_alice_from_charlie_and_anonymous(
    alice_ids: dict[str, str], charlie_headers: dict[str, str]
) -> None:
    from backcast.api import api
    from backcast.goals.models import Goal

    components = api.get_openapi_schema()["components"]["schemas"]
    scoped = 0
    before = Goal.objects.get().version
    from backcast.organizations.models import Invitation

    link_digest = Invitation.objects.get().digest
    for path, method, op in operations():
        url = path
        for name, value in alice_ids.items():
            url = url.replace("{" + name + "}", value)
        assert "{" not in url, f"add an object of alice's for the parameter in {path} to alice_ids"
        body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        body = json.dumps(fill(body_schema, components)) if body_schema else None
        call = getattr(Client(), method)
        kwargs: dict[str, Any] = {"content_type": "application/json", "data": body} if body else {}
        assert call(url, **kwargs).status_code == PUBLIC.get((method, path), 401), (method, path)
        if "{" in path:
            scoped += 1
            response = getattr(Client(), method)(url, **kwargs, headers=charlie_headers)
            assert response.status_code == 404, (method, path, response.content)
    assert scoped >= 12
    assert not Team.objects.exists()
    assert Goal.objects.get().version == before
    assert Resource.objects.get().capacity == 2
    from backcast.notifications.models import Webhook

    assert Webhook.objects.get().active  # neither switched off nor deleted
    invitation = Invitation.objects.get()
    assert invitation.is_open and invitation.digest == link_digest  # neither revoked nor sent again


def test_openapi_schema_and_docs_are_served(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Backcast API"
    assert Client().get("/api/v1/docs").status_code == 200


def test_schema_check_catches_a_drifting_answer(db: None) -> None:
    from tests.api.openapi import check_response

    good = {"id": 1, "email": "a@b.test", "name": ""}
    check_response("get", "/api/v1/me", 200, good)
    with pytest.raises(AssertionError, match="required"):
        check_response("get", "/api/v1/me", 200, {"id": 1})
    with pytest.raises(AssertionError, match="not documented"):
        check_response("get", "/api/v1/me", 418, good)
    with pytest.raises(AssertionError, match="not in the OpenAPI document"):
        check_response("get", "/api/v1/nowhere", 200, good)

"""A tiny JSON client for API tests: one user, a bearer token, every response checked against the schema."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from backcast.accounts.models import User
from backcast.services.platform.tokens import create_token
from tests.api.openapi import check_response


class Api:
    """A tiny JSON client acting as one user through a bearer token."""

    def __init__(self, user: User) -> None:
        _, raw = create_token(user, "tests")
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"}

    def call(self, method: str, url: str, body: Any = None) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        response = getattr(self.client, method)(f"/api/v1{url}", **kwargs)
        body = response.json() if response.content else None
        check_response(method, f"/api/v1{url}", response.status_code, body)
        return response.status_code, body


def new_goal(api: Api, **extra: str) -> int:
    """A goal of 2031 (work from Monday 6 January, due Monday 30 June) created over the API."""
    body = {"title": "Raise on-time delivery to 95%", "deadline": "2031-06-30", "start": "2031-01-06"} | extra
    status, created = api.call("post", "/goals", body)
    assert status == 201
    return int(created["id"])


def add(api: Api, goal: int, **body: object) -> int:
    """A milestone added to ``goal`` over the API."""
    status, created = api.call("post", f"/goals/{goal}/milestones", body)
    assert status == 201, created
    return int(created["id"])

"""Hostile input: schemathesis sends generated requests to every API operation and checks the answers.

The schema is loaded from ``/api/v1/openapi.json`` of the in-process WSGI app, and every request
carries alice's bearer token, so the requests reach the handlers rather than stopping at 401. Path
parameters that name an object are swapped for alice's own (``alice_ids`` of the tenancy walk), so
the handlers run on real rows; negative cases (a string where an id belongs) keep what was drawn.

Each answer must be no 5xx, a status code the schema documents, the documented content type, a
body matching the documented schema, and a 4xx for data the schema forbids. The run is bounded
(``MAX_EXAMPLES`` per operation) and derandomised, so CI sees the same requests every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from backcast.accounts.models import User
from backcast.services.platform.tokens import create_token
from backcast.wsgi import application
from tests.api import test_api

MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

alice_ids = test_api.alice_ids


# Loaded at collection: the schema's own page needs no database and no login.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


def path_is_valid(case: Any) -> bool:
    """Whether the case's path parameters were drawn to fit the schema (not a negative case)."""
    meta = case.meta
    path = meta.components.get(ParameterLocation.PATH) if meta is not None else None
    return path is None or path.mode == GenerationMode.POSITIVE


@pytest.fixture
def connections_kept() -> Iterator[None]:
    """Keep the test's database connection across the requests, as Django's test client does.

    The WSGI app is called directly, so each request would otherwise run ``close_old_connections``,
    which closes a connection inside a transaction (the test's): on PostgreSQL every later query
    would then fail with "the connection is closed".
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def alice_token(alice: User) -> dict[str, str]:
    _, raw = create_token(alice, "schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.slow
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_answers_as_documented(
    db: None, connections_kept: None, case: Any, alice_ids: dict[str, str], alice_token: dict[str, str]
) -> None:
    if path_is_valid(case):
        for name in case.path_parameters:
            if name in alice_ids:
                case.path_parameters[name] = alice_ids[name]
    case.call_and_validate(headers=alice_token, checks=CHECKS)


def test_every_list_bounds_its_limit_and_offset() -> None:
    """An unbounded offset reaches SQL as a number past 2**63 and fails there: lists use ``Pagination``."""
    from backcast.api import api

    document = api.get_openapi_schema()
    bounded = 0
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] in {"limit", "offset"}:
                    assert "maximum" in parameter["schema"], (
                        f"{method.upper()} {path}: unbounded {parameter['name']}"
                    )
                    bounded += 1
    assert bounded >= 20


def test_what_schemathesis_found_stays_fixed(alice_ids: dict[str, str], alice_token: dict[str, str]) -> None:
    """Regressions of its findings: lax bodies read as valid, and an offset past what SQL takes."""
    import json

    from django.test import Client

    client = Client()
    goal, kpi, slug, resource = (alice_ids[k] for k in ("goal_id", "kpi_id", "slug", "resource_id"))
    bodies = [
        ("post", f"/api/v1/goals/{goal}/checkins", {"status": "on_track", "confidence": False}),
        ("put", f"/api/v1/kpis/{kpi}/checkpoints/2031-03-03", {"value": True}),
        ("patch", f"/api/v1/organizations/{slug}/resources/{resource}", [None, None]),
        ("post", f"/api/v1/goals/{goal}/milestones", {"title": "x", "estimate": [1, True, 3]}),
    ]
    for method, url, body in bodies:
        response = getattr(client, method)(
            url, json.dumps(body), content_type="application/json", headers=alice_token
        )
        assert response.status_code == 422, (url, response.content)
    response = client.get(f"/api/v1/kpis/{kpi}/readings?offset={2**70}", headers=alice_token)
    assert response.status_code == 422
    assert (
        client.get(f"/api/v1/kpis/{kpi}/readings?offset=0&limit=1000", headers=alice_token).status_code == 200
    )

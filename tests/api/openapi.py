"""Check API answers against the API's own OpenAPI document, so the schema never drifts."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document as served, checked once against the OpenAPI 3 specification."""
    from django.test import Client

    doc: dict[str, Any] = Client().get("/api/v1/openapi.json").json()
    validate(doc)
    return doc


@cache
def templates() -> list[tuple[re.Pattern[str], str]]:
    return [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in document()["paths"]
    ]


def check_response(method: str, url: str, status: int, body: Any) -> None:
    """Fail unless ``body`` is what the document promises for this route and status."""
    path = url.split("?", 1)[0]
    template = next((t for pattern, t in templates() if pattern.match(path)), None)
    assert template is not None, f"{path} is not in the OpenAPI document"
    operation = document()["paths"][template][method]
    responses = operation["responses"]
    if status == 422 and "422" not in responses:
        return  # request validation errors are ninja's, described generically
    assert str(status) in responses, f"{method.upper()} {template} answered {status}, not documented"
    content = responses[str(status)].get("content")
    if content is None:
        assert body is None, f"{method.upper()} {template} {status} should have no body"
        return
    schema = {**content["application/json"]["schema"], "components": document()["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
    assert not errors, f"{method.upper()} {template} {status}: {errors[0].message} at {list(errors[0].path)}"

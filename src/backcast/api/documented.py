"""The API object, with the answers every operation can give written into its OpenAPI document.

django-ninja documents what each route declares. Two answers come from the framework instead and
would otherwise be missing from the document, so a client generated from it (or a checker such as
schemathesis) would meet undocumented status codes:

- 422 when the request does not parse against the operation's parameters or body (ninja's own
  validation: ``{"detail": [{"type", "loc", "msg"}, ...]}``), on every operation that takes input;
- 401 when no valid credentials came with the request, on every operation that requires them;
- 413 when the body is larger than ``BACKCAST_MAX_BODY_BYTES`` (``backcast.request_limits``
  refuses it before anything reads it), on every operation that takes a body.

Adding them here, once, covers routes added later too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from backcast import limits

VALIDATION_ERRORS = "ValidationErrors"
ERROR = "Error"

VALIDATION_ERRORS_SCHEMA: dict[str, Any] = {
    "title": VALIDATION_ERRORS,
    "description": "The request did not parse: one entry per fault, with where it is (`loc`).",
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                },
                "required": ["type", "loc", "msg"],
            },
        }
    },
    "required": ["detail"],
}
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR,
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["detail"],
}


def json_response(description: str, component: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def too_large() -> str:
    return (
        f"The body is larger than {limits.megabytes(settings.BACKCAST_MAX_BODY_BYTES)}, the most one "
        "request may carry; import large sets of readings from a file (the KPI's import page, or "
        "`backcast import readings`)"
    )


class DocumentedAPI(NinjaAPI):
    """A NinjaAPI whose document also lists the framework's own 401 and 422 answers, and the 413 of
    a body over the size limit."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(VALIDATION_ERRORS, VALIDATION_ERRORS_SCHEMA)
        components.setdefault(ERROR, ERROR_SCHEMA)
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                if operation.get("parameters") or operation.get("requestBody"):
                    responses.setdefault(
                        422, json_response("The request does not match this operation", VALIDATION_ERRORS)
                    )
                if operation.get("security"):
                    responses.setdefault(401, json_response("No valid credentials were given", ERROR))
                if operation.get("requestBody"):
                    responses.setdefault(413, json_response(too_large(), ERROR))
        return schema

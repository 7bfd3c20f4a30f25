"""The base of every request body: JSON as the OpenAPI document describes it, nothing looser.

django-ninja's ``Schema`` reads attributes of any object (it is built to serialise models), and
pydantic's lax mode turns ``true`` into 1. For a request body both are wrong: a JSON array where an
object is documented, or a boolean where a number is, must answer 422 like any other malformed
body, not be read as "no fields given" or as the number 1.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from ninja import Schema
from ninja.pagination import LimitOffsetPagination
from ninja.schema import DjangoGetter
from pydantic import Field, model_validator


def admits_bool(annotation: Any) -> bool:
    """Whether a field of this type may hold ``true`` or ``false`` (bool itself, Any, or a union with them)."""
    if annotation is bool or annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return admits_bool(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(admits_bool(arg) for arg in get_args(annotation))
    return False


def element_type(annotation: Any) -> Any:
    """The element type of ``list[X]`` (also inside ``X | None``), or None for anything else."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return element_type(get_args(annotation)[0])
    if origin is list:
        args = get_args(annotation)
        return args[0] if args else None
    if origin is Union or origin is types.UnionType:
        for arg in get_args(annotation):
            found = element_type(arg)
            if found is not None:
                return found
    return None


def stray_boolean(annotation: Any, value: Any) -> bool:
    """Whether ``value`` is a boolean where ``annotation`` admits none (looking into lists)."""
    if isinstance(value, bool):
        return not admits_bool(annotation)
    if isinstance(value, list):
        inner = element_type(annotation)
        return inner is not None and any(stray_boolean(inner, item) for item in value)
    return False


class Input(Schema):
    """A request body: only a JSON object, and no boolean in a field that is not a boolean."""

    @model_validator(mode="before")
    @classmethod
    def _plain_json_object(cls, data: Any) -> Any:
        raw = data._obj if isinstance(data, DjangoGetter) else data  # ninja wraps what it validates
        if isinstance(raw, Schema):
            return data
        if not isinstance(raw, dict):
            raise ValueError("expected a JSON object")
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key in raw and stray_boolean(field.annotation, raw[key]):
                raise ValueError(f"{key}: expected no true or false here")
        return data


MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    """``limit`` and ``offset`` within what a database accepts: 1-1000 and 0-2,147,483,647.

    Without bounds, an offset past 2**63 reaches SQL and fails there (a 500); bounded, it is a 422
    naming the parameter, and a page of more than 1,000 rows is never built in one answer.
    """

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

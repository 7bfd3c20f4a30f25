"""What a use case takes, declared once as a pydantic model (a spec), and its faults as InvalidInput.

A spec names the fields a service takes with their types, defaults and descriptions (the API's
schemas are made of them: ``backcast.api.spec_schemas.from_spec``) and checks each field by itself
with plain validators that speak the service's words ("must be a date (YYYY-MM-DD)"), so that a
page, the API, the command line and an import are all answered alike. :func:`parse` checks a
mapping against a spec and turns its first fault into :class:`InvalidInput` at the place it names
(``after[0]``, ``demand.analysts``, ``changes.milestones[3].duration``). What a spec cannot know,
the rows of the database (membership, links that would close a cycle, limits), the services check
after it.

A validator names a place inside its field by raising :class:`Inner`; any other ``ValueError``
(an :class:`InvalidInput` of a service's check reused as a validator too) is a fault of the field
itself.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import date
from functools import cache
from typing import Annotated, Any, Optional, TypeVar, cast

from django.db import models
from pydantic import BaseModel, Field, ValidationError, create_model
from pydantic_core import ErrorDetails, PydanticUndefined

from backcast.services.platform.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


class Inner(ValueError):
    """A fault inside a field's value: ``where`` is a list index (``[2]``) or a key (``analysts``)."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


def joined(place: str, part: str) -> str:
    """``place`` followed by ``part``: an index as ``[0]``, a name after a dot."""
    if not place or not part:
        return place or part
    return place + part if part.startswith("[") else f"{place}.{part}"


def fault(error: ErrorDetails, place: str = "") -> InvalidInput:
    """One of pydantic's faults as the service's: its message, at its place under ``place``."""
    for part in error["loc"]:
        place = joined(place, f"[{part}]" if isinstance(part, int) else str(part))
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, Inner):
        return InvalidInput(cause.message, joined(place, cause.where))
    if isinstance(cause, InvalidInput):
        return InvalidInput(cause.message, place or cause.field)
    if isinstance(cause, ValueError):
        return InvalidInput(str(cause), place or None)
    return InvalidInput(error["msg"], place or None)


def parse(spec: type[M], data: Any, *, place: str = "") -> M:
    """``data`` checked against ``spec``; the first fault raises :class:`InvalidInput` under ``place``."""
    try:
        return spec.model_validate(data)
    except ValidationError as exc:
        raise fault(exc.errors()[0], place) from None


def spec_fields(
    spec: type[BaseModel], *, partial: bool = False, answer: bool = False, exclude: Collection[str] = ()
) -> dict[str, tuple[Any, Any]]:
    """The fields of ``spec`` (types, constraints, defaults, descriptions) for ``create_model``.

    ``partial``: each optional, with no default or description, as a change of some fields takes
    them. ``answer``: each required, with no description, as a row read back has them all.
    Validators stay with the spec: whoever takes its fields checks what they hold.
    """
    fields: dict[str, tuple[Any, Any]] = {}
    for name, info in spec.model_fields.items():
        if name in exclude:
            continue
        annotation = Optional[info.annotation] if partial else info.annotation  # noqa: UP045
        if info.metadata:
            annotation = Annotated[annotation, *info.metadata]
        if partial:
            fields[name] = (annotation, Field(None))
        elif answer:
            fields[name] = (annotation, Field())
        elif info.default_factory is not None:
            factory: Any = info.default_factory
            fields[name] = (annotation, Field(default_factory=factory, description=info.description))
        else:
            default = ... if info.default is PydanticUndefined else info.default
            fields[name] = (annotation, Field(default, description=info.description))
    return fields


@cache
def partial(spec: type[M]) -> type[M]:
    """``spec`` with every field optional: the fields a change gives are checked, the others left out."""
    made = create_model(  # type: ignore[call-overload]
        f"{spec.__name__}Change", __base__=spec, __module__=spec.__module__, **spec_fields(spec, partial=True)
    )
    return cast("type[M]", made)


def given(spec: type[BaseModel], data: Mapping[str, Any], *, place: str = "") -> dict[str, Any]:
    """The fields of ``spec`` that ``data`` gives, each checked (others are ignored), in its order."""
    checked = parse(partial(spec), data, place=place)
    return {name: getattr(checked, name) for name in spec.model_fields if name in checked.model_fields_set}


# Checks of one value, the plain validators of the specs (they raise ValueError with the message).


def finite(value: Any) -> float | None:
    """A finite number, or None; booleans and text are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    return float(value)


def a_date(value: Any) -> date | None:
    if value is not None and not isinstance(value, date):
        raise ValueError("must be a date (YYYY-MM-DD)")
    return value


def max_length(model: type[models.Model], name: str | None) -> int:
    """How many characters the model's field ``name`` holds: the one limit, declared on the model."""
    limit = getattr(model._meta.get_field(name or ""), "max_length", None)
    if not isinstance(limit, int):
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return limit


def one_of(value: Any, choices: Collection[str]) -> str:
    if value not in choices:
        raise ValueError(f"choose one of {', '.join(choices)}")
    return str(value)

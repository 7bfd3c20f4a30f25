"""Schemas made of a service's spec (``backcast.services.platform.specs``): its fields declared once.

A request body takes the spec's fields as they are declared (types, constraints, defaults,
descriptions), a PATCH each of them optional, an answer each of them required; a field the schema
declares itself stands in the spec's place (the same value in another JSON shape, or as stored),
with the spec's description unless it has its own. The spec's checks are not carried over: a
body that does not parse answers 422 here, and the service checks the values it is given (400).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection
from typing import TypeVar, cast

from ninja import Schema
from pydantic import BaseModel, create_model

from backcast.services.platform.specs import spec_fields

S = TypeVar("S", bound=Schema)


def from_spec(
    spec: type[BaseModel], *, partial: bool = False, answer: bool = False, exclude: Collection[str] = ()
) -> Callable[[type[S]], type[S]]:
    """The decorated schema with the fields of ``spec`` after those of its bases, then its own.

    The class holds fields only (resolvers go in a base): it is made again from its bases, so that
    the fields stand in that order in the document.
    """

    def derive(cls: type[S]) -> type[S]:
        declared = inspect.get_annotations(cls)  # the class's own, not its bases'
        own = {name: (info.annotation, info) for name, info in cls.model_fields.items() if name in declared}
        taken = spec_fields(spec, partial=partial, answer=answer, exclude=exclude)
        for name, (_, info) in own.items():
            if name in taken and info.description is None:
                info.description = taken[name][1].description  # what it means is the spec's
        fields = {name: own.pop(name, field) for name, field in taken.items()} | own
        made = create_model(  # type: ignore[call-overload]
            cls.__name__, __base__=cls.__bases__, __module__=cls.__module__, __doc__=cls.__doc__, **fields
        )
        return cast("type[S]", made)

    return derive

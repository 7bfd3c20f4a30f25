"""Which models a backup holds, in which order, and how each column is written and read back.

The list is not written by hand: every concrete model Django knows (``apps.get_models``, the
many-to-many tables included) is exported unless :data:`EXCLUDED` names it with the reason, so a
model added to any app is backed up from the day it exists. A test holds every model to being
either exported or excluded, and every exported one to having a way to its organisation (see
``scope``) or a place in :data:`INSTANCE_ONLY`.

Primary keys are kept, so every reference between rows (foreign keys, and the ids inside JSON
such as a baseline's plan or a scenario's changes) stays true. The one exception is a reference
to a catalogue that ``migrate`` fills in every database on its own, with ids of its own
(:data:`CATALOGUES`: content types and permissions): those are written as natural keys.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.duration import duration_iso_string

FORMAT = "backcast-backup"
VERSION = 1

EXCLUDED: dict[str, str] = {
    "goals.goalstamp": (
        "derived: the database's triggers keep it and bump it as the import writes the rows it counts"
    ),
    "goals.organizationstamp": (
        "derived: the database's triggers keep it and bump it as the import writes the goals"
    ),
    "goals.goalsummary": (
        "derived: a cache of the dashboard's figures, computed again from the rows on first view"
    ),
    "contenttypes.contenttype": (
        "a catalogue that migrate fills in every database with ids of its own; rows that name a "
        "content type carry its natural key (app label, model) instead"
    ),
    "auth.permission": (
        "a catalogue that migrate fills, as content types; rows that name a permission carry its "
        "natural key (codename, app label, model)"
    ),
    "sessions.session": (
        "transient: who is logged in on this server; people log in again with their passwords"
    ),
    "accounts.loginthrottle": (
        "transient: counts of failed log-ins by account name or client address and the locks they "
        "set, which expire within hours; they describe this server's traffic, not any organisation"
    ),
}

INSTANCE_ONLY: dict[str, str] = {
    "auth.group": "back-office permission groups of the whole server, not of one organisation",
    "auth.group_permissions": "the permissions of those groups",
    "admin.logentry": (
        "the back office's log of edits across the whole server; its entries name objects of any "
        "organisation, so no organisation's backup may carry them"
    ),
}

CATALOGUES = frozenset({"contenttypes.contenttype", "auth.permission"})

JSON_NATIVE = (str, int, float, bool)


def label(model: type[models.Model]) -> str:
    """``app_label.model_name``, lower case: the key of a model's rows in a backup."""
    return model._meta.label_lower


def stored_models() -> list[type[models.Model]]:
    """Every model with a table of its own that Django creates: concrete, managed, not a proxy."""
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]


@cache
def exported_models() -> tuple[type[models.Model], ...]:
    """The models a backup holds, each after every model it refers to (where references allow)."""
    chosen = [m for m in stored_models() if label(m) not in EXCLUDED]
    for m in chosen:
        if m._meta.parents:
            raise ImproperlyConfigured(
                f"{label(m)}: multi-table inheritance is not supported by backups; add it to EXCLUDED "
                "with a reason, or teach backup.catalog to write its parent link"
            )
    return tuple(dependency_order(chosen))


def references(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    """The model's foreign keys (one-to-one included) to other stored rows, catalogues left out."""
    return [
        f
        for f in model._meta.local_concrete_fields
        if isinstance(f, models.ForeignKey)
        and f.related_model is not None
        and label(f.related_model) not in CATALOGUES  # type: ignore[arg-type]
    ]


def dependency_order(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    """Referenced models first (depth-first over foreign keys), ties by label, so output is stable.

    A cycle between models (none today) is broken where it is met: the database's foreign-key
    checks are deferred to the end of the import's transaction, so order is a courtesy to the
    goal-stamp triggers and to readers of the file, not a condition of a correct import.
    """
    by_label = {label(m): m for m in chosen}
    done: dict[str, type[models.Model]] = {}
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name in visiting or name not in by_label:
            return
        visiting.add(name)
        for f in sorted(references(by_label[name]), key=lambda f: f.name):
            visit(label(f.related_model))  # type: ignore[arg-type]
        visiting.discard(name)
        done[name] = by_label[name]

    for name in sorted(by_label):
        visit(name)
    return list(done.values())


def encode(value: Any) -> Any:
    """A column's Python value as JSON: text for what JSON has no type for, nothing rounded.

    Datetimes keep their microseconds and offset (``isoformat``), durations are ISO 8601, bytes
    base64; every one of these is read back by the field's own ``to_python``.
    """
    if value is None or isinstance(value, JSON_NATIVE):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)  # Decimal, UUID


@dataclass(frozen=True)
class Column:
    """One column of a model as a backup holds it: ``name`` in the file, ``attname`` in Django.

    ``catalogue`` is set for a reference to a catalogue model, written as its natural key.
    """

    field: models.Field[Any, Any]
    name: str
    attname: str
    column: str
    is_json: bool
    catalogue: type[models.Model] | None


@cache
def columns(model: type[models.Model]) -> tuple[Column, ...]:
    """The model's own stored columns, primary key first."""
    result = []
    for f in model._meta.local_concrete_fields:
        target = f.related_model if isinstance(f, models.ForeignKey) else None
        catalogue = target if target is not None and label(target) in CATALOGUES else None  # type: ignore[arg-type]
        result.append(
            Column(
                field=f,
                name=f.name,
                attname=f.attname,
                column=f.column,
                is_json=isinstance(f, models.JSONField),
                catalogue=catalogue,  # type: ignore[arg-type]
            )
        )
    result.sort(key=lambda c: not c.field.primary_key)
    return tuple(result)


class Catalogues:
    """Natural keys of catalogue rows (content types, permissions), read once per backup."""

    def __init__(self) -> None:
        self.by_pk: dict[type[models.Model], dict[Any, list[Any]]] = {}
        self.by_key: dict[type[models.Model], dict[tuple[Any, ...], Any]] = {}

    def load(self, model: type[models.Model]) -> None:
        if model in self.by_pk:
            return
        manager: Any = model._default_manager
        rows = manager.all()
        if any(f.name == "content_type" for f in model._meta.fields):
            rows = rows.select_related("content_type")
        keys = {obj.pk: list(obj.natural_key()) for obj in rows}
        self.by_pk[model] = keys
        self.by_key[model] = {tuple(k): pk for pk, k in keys.items()}

    def key_of(self, model: type[models.Model], pk: Any) -> list[Any] | None:
        """The natural key of the row ``pk`` (None for a null reference)."""
        if pk is None:
            return None
        self.load(model)
        return self.by_pk[model][pk]

    def pk_of(self, model: type[models.Model], key: Any) -> Any:
        """The id in this database of the row with natural key ``key``; KeyError if none has it."""
        if key is None:
            return None
        self.load(model)
        if not isinstance(key, list):
            raise KeyError(key)
        return self.by_key[model][tuple(key)]

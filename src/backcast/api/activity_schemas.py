"""Shapes of the audit trail and the trash in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from backcast.activity.models import Event
from backcast.activity.wording import describe


class EventOut(Schema):
    """One change: who, when, what, and each field's value before and after."""

    id: int
    at: datetime
    actor: str | None = Field(description="The e-mail address of the person, while their account exists")
    actor_name: str = Field(description="Who acted, as they were named then ('command line', 'system')")
    action: str = Field(description="created, changed, deleted, restored, purged or recorded")
    object_type: str
    object_id: int | None
    object_label: str
    goal: int | None
    goal_title: str
    changes: dict[str, list[Any]] = Field(
        description="field: [before, after]; dates as ISO strings, links as {id, label}"
    )
    detail: str
    text: str = Field(description="The event as a sentence")
    moves: list[str] = Field(description="For a change of several fields, each field's move in words")

    @staticmethod
    def resolve_actor(obj: Event) -> str | None:
        return obj.actor.email if obj.actor is not None else None

    @staticmethod
    def resolve_actor_name(obj: Event) -> str:
        return obj.actor_label

    @staticmethod
    def resolve_goal(obj: Event) -> int | None:
        return obj.goal_id

    @staticmethod
    def resolve_text(obj: Event) -> str:
        return describe(obj, with_goal=True).text

    @staticmethod
    def resolve_moves(obj: Event) -> list[str]:
        return describe(obj).changes


class TrashItemOut(Schema):
    """A goal or milestone in the trash, restorable until ``purge_at``."""

    kind: str
    id: int
    title: str
    goal: int
    goal_title: str
    deleted_at: datetime
    deleted_by: str
    purge_at: datetime


class RestoredOut(Schema):
    kind: str
    id: int
    title: str

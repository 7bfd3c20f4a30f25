"""Model signals that write an event for every save and delete of the rows people change.

Signals, not calls in each service: every way a row changes (a service, the admin, a future
service nobody remembered to instrument) leaves its trace, and the services stay as they are.
What signals do not see is written by the services themselves: readings, which are recorded in
bulk (``bulk_create``, ``COPY``), one event a batch; a milestone's dependencies and demand, which
are replaced at once and read better as one change of the milestone; and moves in and out of the
trash (``services.goals.trash``). Derived rows (goal summaries and stamps, cached plans, calendar feed
revisions, token use) are not tracked.

``pre_save`` reads the row as it is in the database (one query, only for the tracked models) so
that ``post_save`` can say what changed from what to what; a save that changes no tracked field
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from backcast.activity.context import is_quiet
from backcast.activity.models import Verb
from backcast.activity.recording import plain, write
from backcast.goals.models import (
    KPI,
    CheckIn,
    Checkpoint,
    Comment,
    Demand,
    Dependency,
    Goal,
    Milestone,
    Resource,
)
from backcast.organizations.models import Membership, Team
from backcast.replanning.models import Baseline, Scenario


def goal_of_kpi(kpi_id: int) -> int | None:
    return KPI._base_manager.filter(pk=kpi_id).values_list("goal_id", flat=True).first()


def goal_of_milestone(milestone_id: int) -> int | None:
    return Milestone._base_manager.filter(pk=milestone_id).values_list("goal_id", flat=True).first()


def title_of_milestone(milestone_id: int) -> str:
    return Milestone._base_manager.filter(pk=milestone_id).values_list("title", flat=True).first() or "?"


@dataclass(frozen=True, slots=True)
class Tracked:
    """How a model's rows appear in the trail: their kind, fields, goal or organisation, and name."""

    kind: str
    fields: tuple[str, ...]
    label: Callable[[Any], str]
    goal: Callable[[Any], int | None] = lambda obj: None
    org: Callable[[Any], int | None] = lambda obj: None
    m2m: tuple[str, ...] = ()


def by_goal(obj: Any) -> int | None:
    return int(obj.goal_id) if obj.goal_id is not None else None


TRACKED: dict[type[models.Model], Tracked] = {
    Goal: Tracked(
        "goal",
        ("title", "description", "level", "deadline", "start", "owner", "team", "parent", "cadence"),
        label=lambda g: g.title,
        goal=lambda g: g.pk,
        org=lambda g: g.organization_id,
        m2m=("contributors",),
    ),
    KPI: Tracked("kpi", KPI.FIELDS, label=lambda k: k.name, goal=by_goal),
    Checkpoint: Tracked(
        "checkpoint",
        ("date", "value"),
        label=lambda c: (
            f"{KPI._base_manager.filter(pk=c.kpi_id).values_list('name', flat=True).first()} "
            f"on {plain(c.date)}"
        ),
        goal=lambda c: goal_of_kpi(c.kpi_id),
    ),
    Milestone: Tracked("milestone", Milestone.FIELDS, label=lambda m: m.title, goal=by_goal),
    Dependency: Tracked(
        "dependency",
        ("predecessor", "successor", "kind", "lag"),
        label=lambda d: f"{title_of_milestone(d.predecessor_id)} → {title_of_milestone(d.successor_id)}",
        goal=lambda d: goal_of_milestone(d.successor_id),
    ),
    Demand: Tracked(
        "demand",
        ("milestone", "resource", "units"),
        label=lambda d: (
            f"{Resource._base_manager.filter(pk=d.resource_id).values_list('name', flat=True).first()}"
            f" for {title_of_milestone(d.milestone_id)}"
        ),
        goal=lambda d: goal_of_milestone(d.milestone_id),
    ),
    Resource: Tracked(
        "resource", ("name", "capacity", "team"), label=lambda r: r.name, org=lambda r: r.organization_id
    ),
    CheckIn: Tracked(
        "checkin",
        ("milestone", "status", "confidence", "note", "blockers"),
        label=lambda c: f"{c.get_status_display()} ({c.confidence}/10)",
        goal=by_goal,
    ),
    Comment: Tracked(
        "comment",
        ("milestone", "body"),
        label=lambda c: c.body if len(c.body) <= 80 else c.body[:79] + "…",
        goal=by_goal,
    ),
    Baseline: Tracked(
        "baseline",
        ("number", "reason", "deadline", "required_start", "earliest_finish", "feasible"),
        label=lambda b: f"baseline {b.number}",
        goal=by_goal,
    ),
    Scenario: Tracked("scenario", ("name", "changes"), label=lambda s: s.name, goal=by_goal),
    Membership: Tracked(
        "membership", ("user", "role"), label=lambda m: str(m.user), org=lambda m: m.organization_id
    ),
    Team: Tracked(
        "team", ("name",), label=lambda t: t.name, org=lambda t: t.organization_id, m2m=("members",)
    ),
}


def fields_of(model: type[models.Model], spec: Tracked) -> list[Any]:
    return [model._meta.get_field(name) for name in spec.fields]


def shown(field: Any, raw: Any) -> Any:
    """A field's raw value (``attname``) as the trail keeps it; links as their id and name."""
    if raw is None or raw == "":
        return None if raw is None else raw
    if field.is_relation:
        related = field.related_model._base_manager.filter(pk=raw).first()
        return {"id": raw, "label": str(related) if related is not None else f"#{raw}"}
    return plain(raw)


def snapshot(instance: models.Model, spec: Tracked) -> dict[str, Any]:
    return {f.name: getattr(instance, f.attname) for f in fields_of(type(instance), spec)}


def emit(instance: models.Model, spec: Tracked, action: str, changes: dict[str, Any]) -> None:
    goal_id = spec.goal(instance)
    write(
        action=action,
        object_type=spec.kind,
        object_id=instance.pk,
        object_label=spec.label(instance),
        goal_id=goal_id,
        organization_id=spec.org(instance),
        goal_title=instance.title if isinstance(instance, Goal) else None,
        changes=changes,
    )


def before_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    spec = TRACKED.get(sender)
    if spec is None or raw or is_quiet() or instance._state.adding or instance.pk is None:
        return
    names = [f.attname for f in fields_of(sender, spec)]
    row = sender._base_manager.filter(pk=instance.pk).values(*names).first()
    instance._activity_before = row  # type: ignore[attr-defined]


def after_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    spec = TRACKED.get(sender)
    if spec is None or raw or is_quiet():
        return
    before = getattr(instance, "_activity_before", None)
    instance._activity_before = None  # type: ignore[attr-defined]
    fields = fields_of(sender, spec)
    if created or before is None:
        changes = {
            f.name: [None, shown(f, getattr(instance, f.attname))]
            for f in fields
            if getattr(instance, f.attname) not in (None, "")
        }
        emit(instance, spec, Verb.CREATED, changes)
        return
    changes = {
        f.name: [shown(f, before[f.attname]), shown(f, getattr(instance, f.attname))]
        for f in fields
        if before[f.attname] != getattr(instance, f.attname)
    }
    if changes:
        emit(instance, spec, Verb.CHANGED, changes)


def after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    spec = TRACKED.get(sender)
    if spec is None or is_quiet():
        return
    changes = {
        f.name: [shown(f, getattr(instance, f.attname)), None]
        for f in fields_of(sender, spec)
        if getattr(instance, f.attname) not in (None, "")
    }
    emit(instance, spec, Verb.DELETED, changes)


def names(instance: models.Model, attribute: str) -> list[str]:
    return sorted(str(person) for person in getattr(instance, attribute).all())


def members_changed(
    sender: type[models.Model], instance: models.Model, action: str, reverse: bool, **kwargs: Any
) -> None:
    """A goal's contributors or a team's members, before and after, as sorted lists of names."""
    spec = TRACKED.get(type(instance))
    if spec is None or reverse or is_quiet():
        return
    attribute = next((a for a in spec.m2m if getattr(type(instance), a).through is sender), None)
    if attribute is None:
        return
    if action.startswith("pre_"):
        instance._activity_m2m = names(instance, attribute)  # type: ignore[attr-defined]
    elif action.startswith("post_"):
        before = getattr(instance, "_activity_m2m", None)
        after = names(instance, attribute)
        if before is not None and before != after:
            emit(instance, spec, Verb.CHANGED, {attribute: [before, after]})


def connect() -> None:
    """Connect the receivers (from ``ActivityConfig.ready``)."""
    for model, spec in TRACKED.items():
        uid = f"backcast.activity.{model._meta.label_lower}"
        pre_save.connect(before_save, sender=model, dispatch_uid=f"{uid}.pre_save")
        post_save.connect(after_save, sender=model, dispatch_uid=f"{uid}.post_save")
        post_delete.connect(after_delete, sender=model, dispatch_uid=f"{uid}.post_delete")
        for attribute in spec.m2m:
            through = getattr(model, attribute).through
            m2m_changed.connect(members_changed, sender=through, dispatch_uid=f"{uid}.{attribute}")

"""Events in words: "Alice changed milestone “Audit carriers”: Duration from 10 to 12".

Field names and choice labels come from the models when the field still exists; an event keeps
its raw values, so it reads sensibly even after a field is renamed (the raw name is shown).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from backcast.activity.models import Event, Verb
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
from backcast.organizations.models import Invitation, Membership, Team
from backcast.replanning.models import Baseline, Scenario

KINDS: dict[str, str] = {
    "goal": "goal",
    "kpi": "KPI",
    "checkpoint": "checkpoint",
    "milestone": "milestone",
    "dependency": "dependency",
    "demand": "demand",
    "resource": "resource",
    "checkin": "check-in",
    "comment": "comment",
    "baseline": "baseline",
    "scenario": "scenario",
    "membership": "membership",
    "team": "team",
    "invitation": "invitation",
}
MODELS: dict[str, type[models.Model]] = {
    "goal": Goal,
    "kpi": KPI,
    "checkpoint": Checkpoint,
    "milestone": Milestone,
    "dependency": Dependency,
    "demand": Demand,
    "resource": Resource,
    "checkin": CheckIn,
    "comment": Comment,
    "baseline": Baseline,
    "scenario": Scenario,
    "membership": Membership,
    "team": Team,
    "invitation": Invitation,
}
NAMES = {"after": "Predecessors", "demand": "Demand", "readings": "Readings", "estimate": "Estimate"}


def field_name(kind: str, name: str) -> str:
    model = MODELS.get(kind)
    if name in NAMES:
        return NAMES[name]
    try:
        verbose = str(model._meta.get_field(name).verbose_name) if model else name  # type: ignore[union-attr]
    except FieldDoesNotExist:
        verbose = name
    verbose = verbose.replace("_", " ")
    return verbose[:1].upper() + verbose[1:] if verbose.islower() else verbose


def value_text(kind: str, name: str, value: Any) -> str:
    """One kept value in words: a name for a link, the label of a choice, "none" for nothing."""
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, dict) and "label" in value:
        return str(value["label"])
    if isinstance(value, dict):  # a JSON field, such as a scenario's changes
        text = json.dumps(value, sort_keys=True)
        return text if len(text) <= 120 else text[:119] + "…"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    if isinstance(value, dict):  # e.g. a scenario's changes: no choice can match it (nor hash it)
        return ", ".join(f"{key}: {item}" for key, item in value.items()) or "none"
    model = MODELS.get(kind)
    try:
        choices = dict(model._meta.get_field(name).flatchoices) if model else {}  # type: ignore[union-attr]
    except (FieldDoesNotExist, AttributeError):
        choices = {}
    text = str(choices.get(value, value))
    return text if len(text) <= 120 else text[:119] + "…"


@dataclass(frozen=True, slots=True)
class Sentence:
    """An event in words: the sentence, and for a change each field's move as a phrase."""

    text: str
    changes: list[str]


def describe(event: Event, *, with_goal: bool = False) -> Sentence:
    """The event as a sentence a person reads; ``with_goal`` names the goal (organisation feed).

    A change of one field is one sentence ("Alice changed Duration of milestone “Audit” from 10
    to 12"); a change of several lists each field's move beside the sentence.
    """
    joining = membership_sentence(event)
    if joining is not None:
        return Sentence(joining, [])
    kind = KINDS.get(event.object_type, event.object_type)
    thing = f"{kind} “{event.object_label}”" if event.object_label else kind
    if with_goal and event.goal_title and event.object_type != "goal":
        thing += f" of goal “{event.goal_title}”"
    moves = [
        (
            field_name(event.object_type, name),
            value_text(event.object_type, name, before),
            value_text(event.object_type, name, after),
        )
        for name, before, after in event.change_list()
        if event.action == Verb.CHANGED
    ]
    actor = event.actor_label
    if event.action == Verb.CHANGED and len(moves) == 1:
        label, before, after = moves[0]
        return Sentence(f"{actor} changed {label} of {thing} from {before} to {after}", [])
    if event.action == Verb.CHANGED:
        return Sentence(f"{actor} changed {thing}", [f"{label} from {b} to {a}" for label, b, a in moves])
    if event.action == Verb.RECORDED:
        return Sentence(f"{actor} recorded {event.detail or 'readings'} of {thing}", [])
    if event.action == Verb.CREATED and event.object_type == "checkin":
        text = f"{actor} posted a check-in ({event.object_label})"
    elif event.action == Verb.CREATED and event.object_type == "comment":
        text = f"{actor} commented “{event.object_label}”"
    elif event.action == Verb.CREATED and event.object_type == "baseline":
        text = f"{actor} accepted the plan as {event.object_label}"
    else:
        text = f"{actor} {event.action} {thing}"
    if with_goal and event.goal_title and event.object_type in {"checkin", "comment", "baseline"}:
        text += f" on goal “{event.goal_title}”"
    return Sentence(text + (f" ({event.detail})" if event.detail else ""), [])


def membership_sentence(event: Event) -> str | None:
    """Invitations and leaving in words ("Alice invited dan@plant.example as Contributor")."""
    actor, label = event.actor_label, event.object_label
    role = value_text("invitation", "role", (event.changes or {}).get("role", [None, None])[1])
    if event.object_type == "membership" and event.detail == "left":
        return f"{actor} left the organisation"
    if event.object_type != "invitation":
        return None
    if event.action == Verb.CREATED:
        return f"{actor} invited {label} as {role}"
    if event.detail == "accepted":
        return f"{actor} accepted the invitation to {label} and joined as {role}"
    if event.detail == "revoked":
        return f"{actor} revoked the invitation to {label}"
    if event.detail == "sent again":
        return f"{actor} sent the invitation to {label} again" + (
            f", as {role}" if "role" in event.changes else ""
        )
    return None

"""The audit trail as people read it: a goal's and an organisation's activity, one object's history.

Events are written by model signals (``activity.tracking``) for every save and delete, and here
for what signals cannot see well: a batch of readings (one event per batch, however many rows)
and a milestone's links or demand replaced at once (one change of the milestone, listing them
before and after). Reading the trail needs only the view role in the organisation; the trail of
a goal in the trash, or purged, stays in its organisation's activity.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from backcast.activity.context import quiet
from backcast.activity.models import Event, Verb
from backcast.activity.recording import write
from backcast.activity.wording import KINDS
from backcast.goals.models import KPI, Demand, Dependency, Goal, Milestone
from backcast.organizations.models import Organization
from backcast.organizations.tenancy import Action, get_for

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

PAGE_SIZE = 50


def links_of(milestone: Milestone, what: str) -> list[str]:
    """A milestone's predecessors (``after``) or demand, as the sorted words the trail keeps."""
    if what == "after":
        links = Dependency.objects.filter(successor=milestone).select_related("predecessor")
        return sorted(
            d.predecessor.title
            + ("" if d.kind == Dependency.Kind.FINISH_START else f" ({d.kind})")
            + (f" {d.lag:+d} days" if d.lag else "")
            for d in links
        )
    demand = Demand.objects.filter(milestone=milestone).select_related("resource")
    return sorted(f"{d.units} {d.resource.name}" for d in demand)


@contextmanager
def recorded_as_change(milestone: Milestone, what: str) -> Iterator[None]:
    """Record the rows written inside as one change of the milestone's ``after`` or ``demand``."""
    before = links_of(milestone, what)
    with quiet():
        yield
    after = links_of(milestone, what)
    if before != after:
        write(
            action=Verb.CHANGED,
            object_type="milestone",
            object_id=milestone.pk,
            object_label=milestone.title,
            goal_id=milestone.goal_id,
            changes={what: [before, after]},
        )


def record_readings_batch(actor: AnyUser | None, kpi: KPI, created: int, source: str = "") -> None:
    """One event for a batch of readings recorded for ``kpi`` (nothing when none was new)."""
    if not created:
        return
    detail = f"{created:,} reading{'' if created == 1 else 's'}" + (f" from {source}" if source else "")
    write(
        action=Verb.RECORDED,
        object_type="kpi",
        object_id=kpi.pk,
        object_label=kpi.name,
        goal_id=kpi.goal_id,
        changes={"readings": [None, created]},
        detail=detail,
        actor=actor,
    )


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """What a feed is narrowed to: one kind of object (``KINDS``) and one person (user id)."""

    kind: str = ""
    person: int | None = None

    @classmethod
    def parse(cls, kind: str | None, person: str | int | None) -> FeedFilter:
        """Lenient: an unknown kind or a person that is not a number filters nothing; a number
        no account can have keeps nothing."""
        chosen = kind if kind in KINDS else ""
        who = (
            int(person) if isinstance(person, int) or (isinstance(person, str) and person.isdigit()) else None
        )
        if who is not None and not 0 < who < 2**31:
            who = 0  # nobody has that id, and the database is not asked about a number it cannot hold
        return cls(chosen, who)

    def apply(self, events: QuerySet[Event]) -> QuerySet[Event]:
        if self.kind:
            events = events.filter(object_type=self.kind)
        if self.person is not None:
            events = events.filter(actor_id=self.person)
        return events


def goal_activity(
    actor: AnyUser, goal_id: int, filters: FeedFilter = FeedFilter()
) -> tuple[Goal, QuerySet[Event]]:
    """A live goal's events, newest first (viewers and up; 404 otherwise)."""
    goal = get_for(Goal.objects.select_related("organization"), actor, Action.VIEW, pk=goal_id)
    events = Event.objects.restrict(actor).filter(organization_id=goal.organization_id, goal_id=goal.pk)
    return goal, filters.apply(events.select_related("actor"))


def organization_activity(
    actor: AnyUser,
    slug: str,
    filters: FeedFilter = FeedFilter(),
) -> tuple[Organization, QuerySet[Event]]:
    """Every event of an organisation, newest first, including those of goals deleted since."""
    org = get_for(Organization.objects.all(), actor, Action.VIEW, slug=slug)
    events = Event.objects.restrict(actor).filter(organization=org)
    return org, filters.apply(events.select_related("actor"))


HISTORY_MODELS: dict[str, type[Goal] | type[Milestone] | type[KPI]] = {
    "goal": Goal,
    "milestone": Milestone,
    "kpi": KPI,
}


def history(actor: AnyUser, kind: str, object_id: int) -> QuerySet[Event]:
    """One goal's, milestone's or KPI's own events, newest first (viewers and up).

    Goals and milestones in the trash keep their history readable until they are purged.
    """
    model = HISTORY_MODELS[kind]
    manager = getattr(model, "all_objects", model.objects)
    obj = get_for(manager.all(), actor, Action.VIEW, pk=object_id)
    org_id = (
        obj.organization_id if isinstance(obj, Goal) else Goal.all_objects.get(pk=obj.goal_id).organization_id
    )
    return (
        Event.objects.restrict(actor)
        .filter(organization_id=org_id, object_type=kind, object_id=obj.pk)
        .select_related("actor")
    )

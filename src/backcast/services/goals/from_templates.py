"""Goals from the method's templates: a goal, its KPIs, resources and milestone skeleton at once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction

from backcast.goals.models import KPI, Demand, Dependency, Goal, Milestone, Resource
from backcast.organizations.models import Organization
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.planning.templates import TEMPLATES, fit_durations
from backcast.services.platform.errors import InvalidInput
from backcast.services.reporting.activity import recorded_as_change

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser


def weekdays_between(start: date, end: date) -> int:
    """Monday-to-Friday days from ``start`` to ``end`` inclusive (the default calendar)."""
    days = (end - start).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    return weeks * 5 + sum(1 for i in range(rest) if (start + timedelta(days=i)).weekday() < 5)


@transaction.atomic
def create_goal_from_template(
    actor: AnyUser,
    org_slug: str,
    key: str,
    *,
    deadline: date,
    today: date,
    start: date | None = None,
    parent: Goal | None = None,
) -> Goal:
    """Create the template's goal with its KPIs, resources and milestones, sized to the deadline.

    Resources the organisation already has (same name) are reused with their own capacity.
    """
    template = TEMPLATES.get(key)
    if template is None:
        raise InvalidInput(
            f"unknown template {key!r}; choose one of {', '.join(sorted(TEMPLATES))}", "template"
        )
    org = get_for(Organization.objects.all(), actor, Action.PLAN, slug=org_slug)
    begin = start or today
    if deadline <= begin:
        raise InvalidInput(f"{deadline} is not after the start {begin}", "deadline")
    goal = Goal.objects.create(
        organization=org, title=template.title, description=template.description, deadline=deadline,
        start=start, owner_id=user_pk(actor) or None, parent=parent,
    )  # fmt: skip
    for k in template.kpis:
        KPI.objects.create(
            goal=goal, name=k.name, unit=k.unit, direction=k.direction, baseline=k.baseline,
            baseline_date=begin, target=k.target,
        )  # fmt: skip
    resources = {}
    for name, capacity in template.resources.items():
        resources[name], _ = Resource.objects.get_or_create(
            organization=org, name=name, defaults={"capacity": capacity}
        )
    durations = fit_durations(template, weekdays_between(begin, deadline))
    rows: dict[str, Milestone] = {}
    for m in template.milestones:
        rows[m.id] = Milestone.objects.create(goal=goal, title=m.title, duration=durations[m.id])
        # The links and demand are the milestone's own, in its trail, as add_milestone records them.
        with recorded_as_change(rows[m.id], "after"):
            Dependency.objects.bulk_create(
                Dependency(predecessor=rows[p], successor=rows[m.id]) for p in m.after
            )
        with recorded_as_change(rows[m.id], "demand"):
            Demand.objects.bulk_create(
                Demand(milestone=rows[m.id], resource=resources[r], units=min(u, resources[r].capacity))
                for r, u in m.demand.items()
            )
    return goal

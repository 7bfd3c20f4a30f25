"""Realistic goals for the page tests: a template's KPIs and milestones, weeks of history, owners.

Built with the same services as the demo (templates, then weekly readings and check-ins), in
alice's organisation, relative to the organisation's today so that the plan's dates are live.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from backcast.accounts.models import User
from backcast.goals.models import Goal
from backcast.organizations.models import Organization, Team
from backcast.services.goals.from_templates import create_goal_from_template
from backcast.services.platform.clock import org_today
from backcast.services.platform.demo import HISTORY_WEEKS, fill_history


def objective(org: Organization, owner: User, today: date) -> Goal:
    return Goal.objects.create(
        organization=org,
        level=Goal.Level.OBJECTIVE,
        title="Operational excellence this year",
        deadline=today + timedelta(weeks=40),
        owner=owner,
    )


def template_goal(
    actor: User,
    org: Organization,
    key: str = "supply-chain",
    *,
    weeks_left: int = 26,
    parent: Goal | None = None,
    team: Team | None = None,
    history: bool = True,
    seed: int = 1,
) -> Goal:
    """A goal from a template that began twelve weeks ago; its first milestone is done and owned."""
    today = org_today(org)
    start = today - timedelta(weeks=HISTORY_WEEKS)
    goal = create_goal_from_template(
        actor,
        org.slug,
        key,
        deadline=today + timedelta(weeks=weeks_left),
        today=today,
        start=start,
        parent=parent,
    )
    if team is not None:
        goal.team = team
        goal.save(update_fields=["team"])
    first = goal.milestones.order_by("id").first()
    assert first is not None
    first.status, first.owner, first.actual_start = "done", actor, start
    first.actual_finish = start + timedelta(days=first.duration * 7 // 5)
    first.save()
    if history:
        fill_history(goal, [actor], today, random.Random(seed))
    return goal

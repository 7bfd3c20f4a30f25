"""Baselines and scenarios of goals' plans.

A goal's plan is never stored: it is recomputed from the milestones whenever they change. What
is stored here is what a person decided about a plan: a :class:`Baseline` is a plan someone
accepted, frozen as it was, with who and why; a :class:`Scenario` is a what-if, a set of changes
to try on the live plan without touching it.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from backcast.goals.models import Goal
from backcast.organizations.tenancy import TenantQuerySet
from backcast.text import validate_one_line


class Baseline(models.Model):
    """An accepted plan of a goal, kept for good: the yardstick the live plan's variance is read against.

    ``number`` counts a goal's baselines from 1 (never reused; a goal's deletion takes its
    baselines with it). ``plan`` is the engine's JSON of the plan as it was accepted, with
    milestone ids (``services.reporting.plans.plan_json``); the goal-level figures are copied out of it
    into columns so that lists need not open the JSON. Baselines are never changed: re-planning
    after a slip accepts a new one, with its reason.
    """

    tenant_path = "goal__organization"
    trash_path = "goal"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="baselines")
    number = models.PositiveIntegerField()
    taken_at = models.DateTimeField(default=now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(max_length=500)
    plan = models.JSONField()
    deadline = models.DateField()
    required_start = models.DateField()
    earliest_finish = models.DateField()
    feasible = models.BooleanField()
    probability_on_time = models.FloatField(null=True, blank=True)

    objects: ClassVar[TenantQuerySet[Baseline]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["goal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "number"], name="one_baseline_number_per_goal")
        ]

    def __str__(self) -> str:
        return f"baseline {self.number} of {self.goal_id}"


class Scenario(models.Model):
    """A what-if on a goal's plan: changes tried on a copy of the live plan, then adopted or discarded.

    ``changes`` is the normalised JSON that ``services.replanning.baselines.clean_changes`` produces:
    ``milestones`` (per-milestone ``duration`` and ``estimate`` overrides by ``id``), ``add``
    (new milestones with ``title``, ``duration`` or ``estimate``, ``after`` and ``before`` ids and
    ``demand`` by resource id), ``remove`` (milestone ids), ``capacity`` (``resource`` id and
    ``capacity``), ``deadline`` and ``start`` (ISO dates or null). Names are unique per goal.
    """

    tenant_path = "goal__organization"
    trash_path = "goal"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="scenarios")
    name = models.CharField(max_length=120, validators=[validate_one_line])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    changes = models.JSONField(default=dict)

    objects: ClassVar[TenantQuerySet[Scenario]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["goal", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["goal", "name"], name="scenario_name_unique_per_goal")]

    def __str__(self) -> str:
        return self.name

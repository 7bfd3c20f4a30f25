"""Request and response shapes of baselines, variance and what-if scenarios."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from backcast import limits
from backcast.api.inputs import Input
from backcast.api.plan_schemas import PlanOut
from backcast.api.spec_schemas import from_spec
from backcast.replanning.models import Baseline, Scenario
from backcast.services.platform.clock import org_today
from backcast.services.replanning import scenario_changes
from backcast.services.replanning.baselines import MilestoneMove, Variance
from backcast.services.replanning.scenarios import Comparison, Outcome, compare_scenario


class BaselineIn(Input):
    reason: str = Field(description="Why this plan is accepted, e.g. 'first plan' or 'audit slipped a week'")


class BaselineOut(Schema):
    id: int
    goal: int
    number: int = Field(description="1 for the goal's first baseline, then 2, 3, ...")
    taken_at: datetime
    taken_by: str | None = Field(description="E-mail of who accepted the plan")
    reason: str
    deadline: date
    required_start: date
    earliest_finish: date
    feasible: bool
    probability_on_time: float | None

    @staticmethod
    def resolve_goal(obj: Baseline) -> int:
        return obj.goal_id

    @staticmethod
    def resolve_taken_by(obj: Baseline) -> str | None:
        return obj.taken_by.email if obj.taken_by else None


class BaselineDetailOut(BaselineOut):
    plan: PlanOut = Field(description="The plan as it was accepted (the same object as GET /goals/{id}/plan)")


class MilestoneMoveOut(Schema):
    id: int = Field(description="The milestone; -1, -2, ... for milestones a scenario adds")
    title: str
    change: Literal["kept", "added", "removed"]
    before_start: date | None = Field(description="In the baseline (or the live plan, for a scenario)")
    before_finish: date | None
    after_start: date | None = Field(description="In the live plan (or the scenario)")
    after_finish: date | None
    start_slip: int | None = Field(description="Working days later (negative: earlier); null unless in both")
    finish_slip: int | None

    @staticmethod
    def resolve_before_start(obj: MilestoneMove) -> date | None:
        return obj.before.start if obj.before else None

    @staticmethod
    def resolve_before_finish(obj: MilestoneMove) -> date | None:
        return obj.before.finish if obj.before else None

    @staticmethod
    def resolve_after_start(obj: MilestoneMove) -> date | None:
        return obj.after.start if obj.after else None

    @staticmethod
    def resolve_after_finish(obj: MilestoneMove) -> date | None:
        return obj.after.finish if obj.after else None


class DateMoveOut(Schema):
    before: date
    after: date | None
    slip: int | None = Field(description="Working days later (negative: earlier)")


class VarianceOut(Schema):
    baseline: BaselineOut
    plan_error: str | None = Field(
        description="Why the goal has no live plan now (then every milestone is removed)"
    )
    milestones: list[MilestoneMoveOut]
    deadline: DateMoveOut
    required_start: DateMoveOut
    earliest_finish: DateMoveOut
    feasible_before: bool
    feasible_after: bool | None
    probability_before: float | None
    probability_after: float | None
    probability_change: float | None = Field(description="Now minus then (positive: likelier on time)")

    @staticmethod
    def resolve_plan_error(obj: Variance) -> str | None:
        return obj.plan_error or None


@from_spec(scenario_changes.MilestoneChange)
class MilestoneChange(Input):
    pass  # the service's fields as it declares them


@from_spec(scenario_changes.AddedMilestone)
class AddedMilestone(Input):
    pass


@from_spec(scenario_changes.CapacityChange)
class CapacityChange(Input):
    pass


@from_spec(scenario_changes.ScenarioChanges)
class Changes(Input):
    milestones: list[MilestoneChange] = []
    add: list[AddedMilestone] = []
    capacity: list[CapacityChange] = Field(default_factory=list)


@from_spec(scenario_changes.ScenarioChanges)
class ChangesIn(Changes):
    """The changes a new scenario asks for, each list within a scenario's limits (``backcast.limits``).

    Stored scenarios answer as :class:`Changes`, without the limits, as one kept from before them
    may hold more (it can no longer be adopted).
    """

    milestones: list[MilestoneChange] = Field(default_factory=list, max_length=limits.SCENARIO_MILESTONES)
    add: list[AddedMilestone] = Field(default_factory=list, max_length=limits.SCENARIO_NEW_MILESTONES)
    remove: list[int] = Field(default_factory=list, max_length=limits.SCENARIO_MILESTONES)
    capacity: list[CapacityChange] = Field(default_factory=list, max_length=limits.SCENARIO_CAPACITIES)


class ScenarioIn(Input):
    name: str = Field(description="Unique in the goal")
    changes: ChangesIn = Field(default_factory=ChangesIn)


class ScenarioOut(Schema):
    id: int
    goal: int
    name: str
    created_by: str | None
    created_at: datetime
    changes: Changes

    @staticmethod
    def resolve_goal(obj: Scenario) -> int:
        return obj.goal_id

    @staticmethod
    def resolve_created_by(obj: Scenario) -> str | None:
        return obj.created_by.email if obj.created_by else None


class OutcomeOut(Schema, Outcome):
    pass  # the service's shape, as a schema that reads an Outcome


class ResourceLoadOut(Schema):
    id: int
    name: str
    capacity_before: int = Field(description="Units a day now")
    capacity_after: int = Field(description="Units a day in the scenario")
    weeks: list[date] = Field(description="Mondays")
    before: list[float] = Field(description="Unit-days each week in the live plan")
    after: list[float] = Field(description="Unit-days each week in the scenario")


class ComparisonOut(Schema):
    current: OutcomeOut | None
    current_error: str | None
    scenario: OutcomeOut | None
    scenario_error: str | None
    finish_change: int | None = Field(
        description="Working days the scenario finishes later (negative: sooner)"
    )
    required_start_change: int | None = Field(description="Working days the scenario may start later")
    probability_change: float | None
    milestones: list[MilestoneMoveOut]
    resources: list[ResourceLoadOut]
    stale: list[str] = Field(
        description="Changes that no longer fit the goal; a stale scenario cannot be adopted"
    )
    notes: list[str]

    @staticmethod
    def resolve_current_error(obj: Comparison) -> str | None:
        return obj.current_error or None

    @staticmethod
    def resolve_scenario_error(obj: Comparison) -> str | None:
        return obj.scenario_error or None


class ScenarioDetailOut(ScenarioOut):
    comparison: ComparisonOut

    @staticmethod
    def resolve_comparison(obj: Scenario) -> Comparison:
        return compare_scenario(obj, org_today(obj.goal.organization))

"""Response shapes of a goal's computed plan and health (the engine's output, with ids)."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field


class PlannedMilestoneOut(Schema):
    id: int
    title: str
    duration: int
    start: date = Field(
        description="Start in the plan (levelled when resources are used): as late as possible"
    )
    finish: date = Field(description="Inclusive last working day")
    slack: int = Field(
        description="Latest start minus earliest start, in working days, without capacity limits"
    )
    critical: bool = Field(description="Whether its slack is the least in the plan")
    earliest_start: date
    earliest_finish: date
    latest_start: date
    latest_finish: date


class OverloadOut(Schema):
    resource: str | None = Field(
        description="The bottleneck resource; null when the dependency chain is to blame"
    )
    capacity: float | None
    milestones: list[int] = Field(description="Milestones to act on")
    days_won: int = Field(description="Working days the plan would shorten by without this limit")
    message: str


class PlanOut(Schema):
    goal: str
    feasible: bool = Field(description="Whether work can begin on or after the start and meet the deadline")
    levelled: bool = Field(description="Whether milestones use resources and the plan was levelled")
    start: date
    deadline: date
    required_start: date = Field(description="The day work must begin for the plan to meet the deadline")
    earliest_finish: date = Field(description="When the plan ends if work begins on the start")
    spare_days: int = Field(
        description="Working days between the start and the required start (negative: short)"
    )
    verdict: str
    critical_path: list[int]
    milestones: list[PlannedMilestoneOut]
    overloads: list[OverloadOut]
    runs: int = Field(description="Schedule-risk simulation runs")
    seed: int | None
    probability_on_time: float = Field(description="0..1: share of simulated runs finishing by the deadline")
    finish_p50: date
    finish_p80: date
    finish_p95: date
    resource_links_dropped: int


class FindingOut(Schema):
    status: str = Field(description="on_track, at_risk or off_track")
    signal: str = Field(description="What the finding is about: kpi, schedule, capacity, risk, confidence")
    text: str


class HealthOut(Schema):
    status: str = Field(description="on_track, at_risk or off_track: the most severe finding")
    findings: list[FindingOut]

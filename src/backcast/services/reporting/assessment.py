"""A goal's SMART check and health: the facts gathered from the database, judged by the planning core.

Both read the goal's KPIs with their readings, its plan (from :mod:`backcast.services.reporting.plans`,
cached) and its latest check-in, then hand plain facts to the pure ``planning.smart`` and
``planning.health``. Nothing is stored: the verdicts are recomputed from the data every time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date

from backcast.goals.models import KPI, CheckIn, Checkpoint, Goal, Milestone
from backcast.planning.engine import PlannedMilestone, PlanResult
from backcast.planning.health import Health, HealthFacts, KpiSignal, health
from backcast.planning.kpi import Point, forecast, history_check, interim_target, trajectory
from backcast.planning.smart import CapacityVerdict, GoalFacts, KpiFacts, LetterCheck, smart_check
from backcast.services.platform.errors import InvalidInput
from backcast.services.reporting.plans import GoalPlan, goal_plan
from backcast.services.reporting.progress import kpi_target
from backcast.services.reporting.readings import with_readings


@dataclass(frozen=True, slots=True)
class Facts:
    """What both verdicts read: KPIs with their readings (oldest first) and the plan, if any."""

    kpis: list[tuple[KPI, list[Point]]]
    plan: GoalPlan | None


def gather(goal: Goal, today: date) -> Facts:
    """The goal's KPIs and readings in two queries (see ``services.reporting.readings``), and its plan.

    The plan is None when the goal cannot be planned.
    """
    kpis = with_readings(KPI.objects.filter(goal=goal).order_by("pk"))
    try:
        plan: GoalPlan | None = goal_plan(goal, today)
    except InvalidInput:
        plan = None
    return Facts(kpis, plan)


def goal_smart(goal: Goal, today: date, facts: Facts | None = None) -> list[LetterCheck]:
    """Each SMART letter pass / warn / fail with reasons a person can act on."""
    facts = facts or gather(goal, today)
    capacity = None
    finishes: list[tuple[str, date | None]]
    if facts.plan is not None:
        result = facts.plan.result
        bottleneck = next((o.resource for o in result.overloads if o.resource), "")
        capacity = CapacityVerdict(result.feasible, result.earliest_finish, bottleneck or "")
        finishes = [(m.title, m.finish) for m in result.milestones]
    else:
        finishes = [
            (title, None) for title in Milestone.objects.filter(goal=goal).values_list("title", flat=True)
        ]
    history = []
    for kpi, readings in facts.kpis:
        check = history_check(kpi_target(kpi, goal.deadline), readings, today, kpi.unit)
        if check is not None:
            history.append((kpi.name, check))
    return smart_check(
        GoalFacts(
            title=goal.title,
            description=goal.description,
            owner=goal.owner.email if goal.owner else None,
            deadline=goal.deadline,
            today=today,
            aligned=goal.parent_id is not None,
            is_objective=goal.level == Goal.Level.OBJECTIVE,
            kpis=[KpiFacts(k.name, k.unit, k.baseline, k.target) for k, _ in facts.kpis],
            milestones=finishes,
            capacity=capacity,
            history=history,
        )
    )


def goal_health(goal: Goal, today: date, facts: Facts | None = None) -> Health:
    """On track / at risk / off track, with every finding behind it."""
    facts = facts or gather(goal, today)
    pins: dict[int, dict[date, float]] = defaultdict(dict)
    for kpi_id, day, value in Checkpoint.objects.filter(kpi__goal=goal).values_list(
        "kpi_id", "date", "value"
    ):
        pins[kpi_id][day] = value
    result, planned = None, {}
    if facts.plan is not None:
        result = facts.plan.result
        ids = facts.plan.milestone_ids
        planned = {ids[m.id]: m for m in result.milestones}
    done = set(Milestone.objects.filter(goal=goal, status=Milestone.Status.DONE).values_list("pk", flat=True))
    confidence = (
        CheckIn.objects.filter(goal=goal)
        .order_by("-created_at", "-pk")
        .values_list("confidence", flat=True)
        .first()
    )
    return judge_health(goal, today, facts.kpis, pins, result, planned, done, confidence)


def judge_health(
    goal: Goal,
    today: date,
    kpis: Sequence[tuple[KPI, Sequence[Point]]],
    pins: Mapping[int, Mapping[date, float]],
    result: PlanResult | None,
    planned: Mapping[int, PlannedMilestone],
    done: AbstractSet[int],
    confidence: int | None,
) -> Health:
    """The health from facts already gathered (one goal's here, many goals' on the dashboard).

    ``planned`` maps milestone ids to their planned dates; ``done`` holds the ids of finished
    milestones; ``pins`` each KPI's pinned interim targets.
    """
    signals = []
    for kpi, readings in kpis:
        target = kpi_target(kpi, goal.deadline)
        signals.append(
            KpiSignal(
                name=kpi.name,
                unit=kpi.unit,
                direction=target.direction,
                target=kpi.target,
                actual=readings[-1].value if readings else None,
                interim_target=interim_target(target, today, pins.get(kpi.pk)),
                forecast=forecast(readings, target.target_date),
                band_low=kpi.band_low,
                band_high=kpi.band_high,
            )
        )
    late: list[str] = []
    min_slack = feasible = probability = None
    if result is not None:
        late = [m.title for pk, m in planned.items() if m.finish < today and pk not in done]
        min_slack = min(m.slack for m in result.milestones)
        feasible = result.feasible
        probability = result.risk.probability_on_time if result.risk else None
    return health(
        HealthFacts(
            kpis=signals,
            late_milestones=late,
            min_slack=min_slack,
            feasible=feasible,
            probability_on_time=probability,
            latest_confidence=confidence,
        )
    )


def kpi_trajectory(kpi: KPI, today: date) -> list[tuple[date, float, bool, list[str]]]:
    """Interim targets derived backward from the KPI's target: one at each milestone finish.

    Linear from the baseline to the target on its date, bent through every pinned checkpoint;
    each entry is (day, value, pinned, the milestones that finish that day). Without a plan (no
    milestones yet), the pins and the target itself.
    """
    pins = dict(Checkpoint.objects.filter(kpi=kpi).values_list("date", "value"))
    try:
        plan: GoalPlan | None = goal_plan(kpi.goal, today)
    except InvalidInput:
        plan = None
    return trajectory_of(kpi, kpi.goal, plan.result if plan is not None else None, pins)


def trajectory_of(
    kpi: KPI, goal: Goal, result: PlanResult | None, pins: Mapping[date, float]
) -> list[tuple[date, float, bool, list[str]]]:
    """The interim targets of :func:`kpi_trajectory` from facts already gathered, without a query.

    One at each milestone finish of ``result`` up to the target date (without a plan, the pins
    and the target itself), each with the milestones finishing that day.
    """
    target = kpi_target(kpi, goal.deadline)
    finishing: dict[date, list[str]] = defaultdict(list)
    if result is not None:
        for m in result.milestones:
            if m.finish <= target.target_date:
                finishing[m.finish].append(m.title)
    finishing.setdefault(target.target_date, [])
    return [
        (c.day, c.value, c.pinned, finishing.get(c.day, []))
        for c in trajectory(target, list(finishing), pins)
    ]

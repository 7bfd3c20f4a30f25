"""The plans and health facts of many goals at once, in a fixed number of queries.

:mod:`backcast.services.plans` and :mod:`backcast.services.assessment` look at one goal and
query for it; a page that shows every goal of an organisation would then run a few queries per
goal. Here the same facts are read for a whole set of goals in one query per table, and each goal
is then judged by the very functions those modules use: the plan by
:func:`backcast.services.plans.assemble_plan` and :func:`~backcast.services.plans.planned` (so it
shares its cache entry and the dashboard and the goal page never plan the same goal twice), the
health by :func:`backcast.services.assessment.judge_health`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from backcast.goals.models import KPI, Checkpoint, Demand, Dependency, Goal, Milestone, Reading
from backcast.planning.calendar import WorkCalendar
from backcast.planning.engine import PlannedMilestone, PlanResult
from backcast.planning.health import Health
from backcast.planning.kpi import Point
from backcast.planning.model import Plan
from backcast.services.assessment import judge_health
from backcast.services.errors import InvalidInput
from backcast.services.plans import assemble_plan, planned


@dataclass(slots=True)
class GoalData:
    """What the pages read of one goal: milestones, KPIs with readings, its plan and its result.

    ``result`` is None when the goal cannot be planned (``plan_error`` says why, e.g. no
    milestones yet). ``milestones`` are the rows (owners loaded), in id order; ``planned`` maps a
    milestone id to its planned dates.
    """

    goal: Goal
    milestones: list[Milestone] = field(default_factory=list)
    links: list[tuple[int, int, str, int]] = field(default_factory=list)
    demands: list[Demand] = field(default_factory=list)
    kpis: list[tuple[KPI, list[Point]]] = field(default_factory=list)
    pins: dict[int, dict[date, float]] = field(default_factory=dict)  # KPI id -> pinned interim targets
    plan: Plan | None = None
    result: PlanResult | None = None
    plan_error: str = ""
    planned: dict[int, PlannedMilestone] = field(default_factory=dict)

    @property
    def calendar(self) -> WorkCalendar:
        return self.plan.calendar if self.plan is not None else WorkCalendar()


def gather_many(goals: Sequence[Goal], today: date, *, with_kpis: bool = True) -> dict[int, GoalData]:
    """Facts and plans of ``goals`` in at most six queries whatever their number.

    The goals' ``organization`` need not be loaded. Each goal's plan comes from the shared cache
    when nothing it depends on changed (the key is the one ``services.plans.goal_plan`` uses).
    """
    facts = {g.pk: GoalData(g) for g in goals}
    if not facts:
        return facts
    ids = list(facts)
    for m in Milestone.objects.filter(goal_id__in=ids).select_related("owner").order_by("pk"):
        facts[m.goal_id].milestones.append(m)
    goal_of = {m.pk: m.goal_id for f in facts.values() for m in f.milestones}
    for pred, succ, kind, lag in sorted(
        Dependency.objects.filter(successor__goal_id__in=ids).values_list(
            "predecessor_id", "successor_id", "kind", "lag"
        )
    ):
        facts[goal_of[succ]].links.append((pred, succ, kind, lag))
    for d in (
        Demand.objects.filter(milestone__goal_id__in=ids).select_related("resource").order_by("resource_id")
    ):
        facts[goal_of[d.milestone_id]].demands.append(d)
    if with_kpis:
        points: dict[int, list[Point]] = defaultdict(list)
        for kpi_id, day, value in (
            Reading.objects.filter(kpi__goal_id__in=ids)
            .order_by("date", "pk")
            .values_list("kpi_id", "date", "value")
        ):
            points[kpi_id].append(Point(day, value))
        goal_of_kpi = {}
        for kpi in KPI.objects.filter(goal_id__in=ids).order_by("pk"):
            facts[kpi.goal_id].kpis.append((kpi, points[kpi.pk]))
            facts[kpi.goal_id].pins[kpi.pk] = {}
            goal_of_kpi[kpi.pk] = kpi.goal_id
        for kpi_id, day, value in Checkpoint.objects.filter(kpi__goal_id__in=ids).values_list(
            "kpi_id", "date", "value"
        ):
            facts[goal_of_kpi[kpi_id]].pins[kpi_id][day] = value
    for f in facts.values():
        plan_goal(f, today)
    return facts


def plan_goal(f: GoalData, today: date) -> None:
    """Plan the goal (or take its plan from the cache) and index the result by milestone id."""
    plan, ids = assemble_plan(f.goal, f.milestones, f.links, f.demands, today)
    f.plan = plan
    try:
        result = planned(plan)
    except InvalidInput as exc:
        f.plan_error = exc.message
        return
    f.result = result
    f.planned = {ids[m.id]: m for m in result.milestones}


def goal_health(f: GoalData, today: date, latest_confidence: int | None) -> Health:
    """The goal's health from its gathered facts, judged exactly as a goal's own page judges it."""
    done = {m.pk for m in f.milestones if m.status == Milestone.Status.DONE}
    return judge_health(f.goal, today, f.kpis, f.pins, f.result, f.planned, done, latest_confidence)


def assessed(f: GoalData) -> bool:
    """Whether there is anything to judge health by: a KPI reading or a plan."""
    return f.result is not None or any(readings for _, readings in f.kpis)


def remaining_start(m: Milestone, planned: PlannedMilestone, cal: WorkCalendar, today: date) -> date:
    """The latest day the rest of ``m`` may begin and still finish by its planned finish.

    Work not started has its whole duration left, so this is its planned start; work in progress
    is assumed to have used one working day per working day since it began.
    """
    left = m.duration
    if m.status == Milestone.Status.IN_PROGRESS and m.actual_start is not None:
        left = max(0, m.duration - max(0, cal.count(m.actual_start, today)))
    return cal.add(planned.finish, 1 - left)


def slack_left(f: GoalData, today: date) -> tuple[int, Milestone] | None:
    """Working days the goal can lose from today before its backward plan slips, and where.

    The least, over the milestones not done, of the working days from today to the latest day
    their remaining work may begin (negative: that day has passed, the goal is behind its plan).
    None when there is no plan or every milestone is done.
    """
    cal = f.calendar
    found: tuple[int, Milestone] | None = None
    for m in f.milestones:
        if m.status == Milestone.Status.DONE or m.pk not in f.planned:
            continue
        days = cal.count(today, remaining_start(m, f.planned[m.pk], cal, today))
        if found is None or days < found[0]:
            found = (days, m)
    return found


def open_milestones(f: GoalData) -> list[tuple[Milestone, PlannedMilestone]]:
    """The milestones not done, soonest planned finish first."""
    rows = [
        (m, f.planned[m.pk]) for m in f.milestones if m.status != Milestone.Status.DONE and m.pk in f.planned
    ]
    return sorted(rows, key=lambda row: (row[1].finish, row[1].start, row[0].pk))

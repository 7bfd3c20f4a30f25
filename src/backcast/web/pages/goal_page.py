"""What a goal's page shows beyond its rows: the SMART check, health, plan verdict and KPI charts.

Read-only. The facts are gathered once (:func:`backcast.services.reporting.portfolio.gather_many`) and
handed to the same judges the API uses (``services.reporting.assessment``), so the page and the API never
disagree. Every KPI's trajectory is worked out from those facts too (the plan and the pins
already read), so the page takes the same queries for 2 KPIs or 20. Chart data is plain
JSON-ready dicts (ISO dates) for the page's ``json_script``, at most :data:`CHART_POINTS`
readings a KPI: a longer history is drawn as means over spans of days, its latest reading as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from backcast.goals.models import KPI, Goal, Milestone
from backcast.planning.engine import PlannedMilestone, PlanResult
from backcast.planning.health import Health
from backcast.planning.kpi import Forecast, Point, Trend, interim_target, progress, trend
from backcast.planning.report import verdict
from backcast.planning.series import thin
from backcast.planning.smart import LetterCheck
from backcast.services.notify.reviews import Review, participation
from backcast.services.reporting import assessment
from backcast.services.reporting.plans import GoalPlan
from backcast.services.reporting.portfolio import GoalData, assessed, gather_many, remaining_start, slack_left
from backcast.services.reporting.progress import kpi_target

FORECAST_POINTS = 8  # where the forecast band is drawn between the last reading and the target date
CHART_POINTS = 500  # readings drawn a KPI at most: about one a pixel of its chart


@dataclass(frozen=True, slots=True)
class MilestoneRow:
    """A milestone with its planned dates (None without a plan) and what is late about it."""

    milestone: Milestone
    planned: PlannedMilestone | None
    follows: list[str]
    slack_left: int | None  # working days from today to the latest day its remaining work may begin
    late: bool  # planned finish passed, not done

    @property
    def behind(self) -> bool:
        return self.slack_left is not None and self.slack_left < 0


@dataclass(frozen=True, slots=True)
class KpiCard:
    """One KPI: its figures and the chart's data."""

    kpi: KPI
    latest: Point | None
    interim: float | None  # the interim target today
    forecast: Forecast | None  # at the target date
    progress: float | None
    chart: dict[str, Any]

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)

    @property
    def chart_id(self) -> str:
        """The id of the page element that carries the chart's JSON."""
        return f"kpi-chart-{self.kpi.pk}"


@dataclass(frozen=True, slots=True)
class Overview:
    """Everything the goal page computes."""

    today: date
    facts: GoalData
    smart: list[LetterCheck]
    health: Health | None
    result: PlanResult | None
    verdict: str
    milestones: list[MilestoneRow]
    kpis: list[KpiCard]
    slack: int | None
    review: Review  # who checked in during the current and the last review period


def goal_overview(goal: Goal, today: date) -> Overview:
    """The goal's SMART check, health, plan verdict, milestone rows and KPI charts."""
    f = gather_many([goal], today)[goal.pk]
    shared = assessment.Facts(
        kpis=f.kpis,
        plan=GoalPlan(f.result, {m.id: pk for pk, m in f.planned.items()}) if f.result is not None else None,
    )
    slack = slack_left(f, today)
    return Overview(
        today=today,
        facts=f,
        smart=assessment.goal_smart(goal, today, shared),
        health=assessment.goal_health(goal, today, shared) if assessed(f) else None,
        result=f.result,
        verdict=verdict(f.result) if f.result is not None else "",
        milestones=milestone_rows(f, today),
        kpis=[
            kpi_card(goal, kpi, readings, f.pins.get(kpi.pk, {}), today, f.result) for kpi, readings in f.kpis
        ],
        slack=slack[0] if slack else None,
        review=participation(goal, today),
    )


def milestone_rows(f: GoalData, today: date) -> list[MilestoneRow]:
    """Milestones in planned order (by id without a plan), with what they follow."""
    titles = {m.pk: m.title for m in f.milestones}
    follows: dict[int, list[str]] = {m.pk: [] for m in f.milestones}
    for pred, succ, kind, lag in f.links:
        words = titles[pred] + (f" {lag:+d} d" if lag else "") + ("" if kind == "FS" else f" ({kind})")
        follows[succ].append(words)
    rows = []
    for m in f.milestones:
        planned = f.planned.get(m.pk)
        open_ = m.status != Milestone.Status.DONE
        left = (
            f.calendar.count(today, remaining_start(m, planned, f.calendar, today))
            if planned is not None and open_
            else None
        )
        late = planned is not None and open_ and planned.finish < today
        rows.append(MilestoneRow(m, planned, follows[m.pk], left, late))
    if f.planned:
        rows.sort(key=lambda r: (r.planned.start, r.planned.finish) if r.planned else (today, today))
    return rows


def kpi_card(
    goal: Goal,
    kpi: KPI,
    readings: list[Point],
    pins: dict[date, float],
    today: date,
    result: PlanResult | None,
) -> KpiCard:
    target = kpi_target(kpi, goal.deadline)
    latest = readings[-1] if readings else None
    line = trend(readings)
    at_target = line.at(target.target_date) if line is not None else None
    shown, days = thin(readings, CHART_POINTS)
    chart: dict[str, Any] = {
        "name": kpi.name,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "baseline": kpi.baseline,
        "baseline_date": kpi.baseline_date.isoformat() if kpi.baseline_date else None,
        "target": kpi.target,
        "target_date": target.target_date.isoformat(),
        "today": today.isoformat(),
        "band": [kpi.band_low, kpi.band_high] if kpi.direction == KPI.Direction.BAND else None,
        "readings": [[p.day.isoformat(), p.value] for p in shown],
        "means_of_days": days,  # 0: every reading; otherwise each point but the last is a mean
        "trajectory": trajectory_points(kpi, goal, result, pins),
        "forecast": forecast_points(readings, target.target_date, line),
    }
    return KpiCard(
        kpi=kpi,
        latest=latest,
        interim=interim_target(target, today, pins),
        forecast=at_target,
        progress=progress(target, latest.value if latest else None),
        chart=chart,
    )


def trajectory_points(
    kpi: KPI, goal: Goal, result: PlanResult | None, pins: Mapping[date, float]
) -> list[list[Any]]:
    """The interim-target trajectory from the baseline to the target.

    Each point is [day, value, the milestones finishing that day, pinned by a planner].
    """
    points: list[list[Any]] = []
    if kpi.baseline is not None and kpi.baseline_date is not None:
        points.append([kpi.baseline_date.isoformat(), kpi.baseline, ["baseline"], False])
    for day, value, pinned, titles in assessment.trajectory_of(kpi, goal, result, pins):
        if not points or day.isoformat() > points[0][0]:
            points.append([day.isoformat(), value, titles, pinned])
    return points


def forecast_points(readings: list[Point], target_date: date, line: Trend | None) -> dict[str, Any] | None:
    """The trend from the last reading to the target date with its band, sampled for drawing."""
    if line is None:
        return None
    at_target = line.at(target_date)
    last = readings[-1].day
    span = (target_date - last).days
    steps = range(FORECAST_POINTS + 1)
    days = (
        [target_date]
        if span <= 0
        else sorted({last + timedelta(days=span * k // FORECAST_POINTS) for k in steps})
    )
    points = []
    for day in days:
        f = line.at(day, at_target.level)
        points.append([day.isoformat(), f.value, f.low, f.high])
    return {
        "level": at_target.level,
        "method": at_target.method,
        "slope_per_month": at_target.slope_per_month,
        "points": points,
    }

"""A goal's timeline: the backward plan as a Gantt, and the load on each resource week by week.

The Gantt data is the plan's own dates (levelled when milestones use resources), the links
between milestones and the critical path. The capacity view adds, for each resource the goal
uses, the load of the organisation's other goals on the same resource: each goal's plan is
levelled on its own, so a goal never overloads a resource by itself; overloads appear where goals
share one. Read-only, in a fixed number of queries, JSON-ready (ISO dates) for ``json_script``.
When the goal has baselines (kept plans, :mod:`backcast.services.replanning.baselines`), the Gantt carries
the chosen baseline's dates under each bar and the table of variance comes with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from backcast.goals.models import Goal, Milestone
from backcast.planning.calendar import WorkCalendar
from backcast.services.replanning.baselines import BaselineView, Variance, baseline_view
from backcast.services.reporting.portfolio import GoalData, gather_many

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser


@dataclass(frozen=True, slots=True)
class Week:
    """One week of a resource's load, for the table under its chart."""

    week: date
    load: float
    capacity: float
    peak: float  # the busiest day's demand
    over: bool


@dataclass(frozen=True, slots=True)
class ResourceLoad:
    """A resource's weekly load: the chart's JSON (``data``) and the same figures as rows."""

    resource: str
    capacity: float
    json_id: str
    data: dict[str, Any]
    rows: list[Week]

    @property
    def overloaded_weeks(self) -> int:
        return sum(1 for w in self.rows if w.over)


@dataclass(frozen=True, slots=True)
class Timeline:
    """The goal's facts, the Gantt's data, the capacity view (one entry per resource) and baselines."""

    facts: GoalData
    gantt: dict[str, Any] | None  # None: the goal cannot be planned yet
    capacity: list[ResourceLoad]
    baselines: BaselineView | None = None


def goal_timeline(actor: AnyUser, goal: Goal, today: date, baseline: int | None = None) -> Timeline:
    """The Gantt and capacity data of ``goal`` as ``actor`` may see them, against baseline number
    ``baseline`` (default: the latest; none when the goal has no baseline or none of that number)."""
    f = gather_many([goal], today, with_kpis=False)[goal.pk]
    kept = baseline_view(actor, goal, today, baseline)
    if f.result is None:
        return Timeline(f, None, [], kept)
    gantt = gantt_data(f, today)
    if kept.variance is not None:
        add_baseline(gantt, kept.variance)
    return Timeline(f, gantt, capacity_data(actor, f, today), kept)


def gantt_data(f: GoalData, today: date) -> dict[str, Any]:
    """Bars from planned start to finish in planned order, the links, today and the deadline.

    ``baseline`` (of the goal and of each milestone) is None here; :func:`add_baseline` fills it.
    """
    assert f.result is not None
    result = f.result
    rows = sorted(f.milestones, key=lambda m: (f.planned[m.pk].start, f.planned[m.pk].finish, m.pk))
    milestones = []
    for m in rows:
        p = f.planned[m.pk]
        milestones.append(
            {
                "id": m.pk,
                "title": m.title,
                "start": p.start.isoformat(),
                "finish": p.finish.isoformat(),
                "duration": p.duration,
                "slack": p.slack,
                "critical": p.critical,
                "earliest_start": p.earliest_start.isoformat(),
                "latest_finish": p.latest_finish.isoformat(),
                "owner": m.owner.display_name if m.owner else None,
                "status": m.status,
                "status_label": m.get_status_display(),
                "late": m.status != Milestone.Status.DONE and p.finish < today,
                "baseline": None,
            }
        )
    by_name = {pm.id: pk for pk, pm in f.planned.items()}  # the plan names milestones; pages use ids
    return {
        "goal": f.goal.title,
        "today": today.isoformat(),
        "deadline": result.deadline.isoformat(),
        "start": result.start.isoformat(),
        "required_start": result.required_start.isoformat(),
        "earliest_finish": result.earliest_finish.isoformat(),
        "feasible": result.feasible,
        "levelled": result.levelled,
        "milestones": milestones,
        "links": [{"from": pred, "to": succ, "kind": kind, "lag": lag} for pred, succ, kind, lag in f.links],
        "critical_path": [by_name[name] for name in result.critical_path],
        "baseline": None,
    }


def add_baseline(gantt: dict[str, Any], found: Variance) -> None:
    """Put a baseline's dates under each bar it has and its goal-level dates on the Gantt.

    Each milestone the baseline has gets ``baseline: {start, finish, start_slip, finish_slip}``
    (slips in working days, positive: later now); one added since keeps None. The Gantt's
    ``baseline`` says which baseline it is and lists the milestones it had that the plan no longer has.
    """
    moved = {m.id: m for m in found.milestones}
    for bar in gantt["milestones"]:
        m = moved.get(bar["id"])
        if m is not None and m.before is not None:
            bar["baseline"] = {
                "start": m.before.start.isoformat(),
                "finish": m.before.finish.isoformat(),
                "start_slip": m.start_slip,
                "finish_slip": m.finish_slip,
            }
    b = found.baseline
    gantt["baseline"] = {
        "number": b.number,
        "taken_at": b.taken_at.isoformat(),
        "reason": b.reason,
        "deadline": b.deadline.isoformat(),
        "required_start": b.required_start.isoformat(),
        "earliest_finish": b.earliest_finish.isoformat(),
        "removed": [
            {
                "id": m.id,
                "title": m.title,
                "start": m.before.start.isoformat(),
                "finish": m.before.finish.isoformat(),
            }
            for m in found.milestones
            if m.change == "removed" and m.before is not None
        ],
    }


def workdays(cal: WorkCalendar, first: date, last: date) -> Iterator[date]:
    """The working days from ``first`` to ``last`` inclusive."""
    day = first
    while day <= last:
        if day.weekday() in cal.workdays and day not in cal.holidays:
            yield day
        day += timedelta(days=1)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def loads(f: GoalData, resource_id: int) -> Iterator[tuple[Milestone, date, float]]:
    """(milestone, working day, units) for every day a milestone of ``f`` uses the resource."""
    rows = {m.pk: m for m in f.milestones}
    for d in f.demands:
        p = f.planned.get(d.milestone_id)
        if d.resource_id != resource_id or p is None or p.duration == 0:
            continue
        for day in workdays(f.calendar, p.start, p.finish):
            yield rows[d.milestone_id], day, float(d.units)


def capacity_data(actor: AnyUser, f: GoalData, today: date) -> list[ResourceLoad]:
    """Per resource of the goal: weekly load of each of its milestones and of other goals, vs capacity.

    Load and capacity are in unit-days per week (units a day times working days). A week is
    marked overloaded when on any of its days the total demand exceeds the daily capacity, so a
    peak is not hidden by a quiet rest of the week.
    """
    resources = {d.resource_id: d.resource for d in f.demands if d.units > 0}
    if not resources:
        return []
    others = list(
        Goal.objects.restrict(actor)
        .filter(organization_id=f.goal.organization_id, milestones__demands__resource_id__in=list(resources))
        .exclude(pk=f.goal.pk)
        .distinct()
        .order_by("deadline", "pk")
    )
    other_facts = gather_many(others, today, with_kpis=False)
    cal = f.calendar
    starts = [p.start for p in f.planned.values()]
    first = monday(min([*starts, f.goal.deadline]))
    last = max([p.finish for p in f.planned.values()] + [f.goal.deadline])
    weeks = [first + timedelta(weeks=k) for k in range((last - first).days // 7 + 1)]
    index = {w: k for k, w in enumerate(weeks)}
    views = []
    for rid, resource in sorted(resources.items(), key=lambda item: item[1].name):
        capacity = float(resource.capacity)
        supply = [0.0] * len(weeks)
        for day in workdays(cal, first, last):
            supply[index[monday(day)]] += capacity
        daily: dict[date, float] = defaultdict(float)
        series: list[dict[str, Any]] = []
        mine: dict[int, list[float]] = {}
        for m, day, units in loads(f, rid):
            mine.setdefault(m.pk, [0.0] * len(weeks))[index[monday(day)]] += units
            daily[day] += units
        titles = {m.pk: m.title for m in f.milestones}
        series += [{"name": titles[pk], "goal": "this", "values": v} for pk, v in mine.items()]
        for other in others:
            values = [0.0] * len(weeks)
            for _, day, units in loads(other_facts[other.pk], rid):
                if first <= day <= last:
                    values[index[monday(day)]] += units
                    daily[day] += units
            if any(values):
                series.append({"name": other.title, "goal": "other", "goal_id": other.pk, "values": values})
        peak = [0.0] * len(weeks)
        for day, units in daily.items():
            if first <= day <= last:
                peak[index[monday(day)]] = max(peak[index[monday(day)]], units)
        over = [p > capacity for p in peak]
        data = {
            "resource": resource.name,
            "capacity": capacity,
            "weeks": [w.isoformat() for w in weeks],
            "capacity_per_week": supply,
            "series": series,
            "peak": peak,
            "overloaded": over,
            "today": today.isoformat(),
        }
        load = [sum(s["values"][k] for s in series) for k in range(len(weeks))]
        rows = [Week(w, load[k], supply[k], peak[k], over[k]) for k, w in enumerate(weeks)]
        views.append(ResourceLoad(resource.name, capacity, f"capacity-{rid}", data, rows))
    return views

"""The plans and health facts of many goals at once, in a fixed number of queries.

:mod:`backcast.services.reporting.plans` and :mod:`backcast.services.reporting.assessment` look at one goal and
query for it; a page that shows every goal of an organisation would then run a few queries per
goal. Here the same facts are read for a whole set of goals in one query per table, and each goal
is then judged by the very functions those modules use: the plan by
:func:`backcast.services.reporting.plans.assemble_plan` and :func:`~backcast.services.reporting.plans.cached_plan` (so it
shares its cache entry and the dashboard and the goal page never plan the same goal twice), the
health by :func:`backcast.services.reporting.assessment.judge_health`.

Even in bulk, judging 1,000 goals takes seconds (200,000 readings to read and fit, 1,000 plans,
most of them not in a per-process cache). So :func:`summaries` keeps what the dashboard shows of
each goal in a :class:`~backcast.goals.models.GoalSummary` row and reads every goal with its
summary in one query. A summary is computed again, in bulk, only when the goal's
:class:`~backcast.goals.models.GoalStamp` moved (the database bumps it on any write to the goal's
rows, see :mod:`backcast.goals.stamps`), on a new day, or after :data:`SUMMARY_VERSION` changed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils.timezone import now

from backcast.goals import stamps
from backcast.goals.models import (
    KPI,
    CheckIn,
    Checkpoint,
    Demand,
    Dependency,
    Goal,
    GoalSummary,
    Milestone,
)
from backcast.organizations.models import Organization
from backcast.planning.calendar import WorkCalendar
from backcast.planning.engine import PlannedMilestone, PlanResult
from backcast.planning.health import RANK, Health
from backcast.planning.kpi import Point, progress
from backcast.planning.model import Plan
from backcast.services.platform.errors import InvalidInput
from backcast.services.reporting.assessment import judge_health
from backcast.services.reporting.plans import assemble_plan, cached_plan
from backcast.services.reporting.progress import kpi_target
from backcast.services.reporting.readings import with_readings

SUMMARY_VERSION = 1  # raise it when what a summary holds, or how it is worked out, changes
NEXT_MILESTONES = 3
SUMMARIES_PER_TICK = 200  # goals whose summary the worker computes on one tick
DUE_SOON_DAYS = 14  # "due soon": planned to finish within this many days, or behind already


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
    when nothing it depends on changed (the key is the one ``services.reporting.plans.goal_plan`` uses).
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
        goal_of_kpi = {}
        for kpi, points in with_readings(KPI.objects.filter(goal_id__in=ids).order_by("pk")):
            facts[kpi.goal_id].kpis.append((kpi, points))
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
        result = cached_plan(plan)
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


@dataclass(frozen=True, slots=True)
class Upcoming:
    """An open milestone of a goal's summary: its planned dates and how it stands against them.

    ``late``: its planned finish has passed. ``behind``: the latest day its remaining work may
    begin (:func:`remaining_start`) has passed.
    """

    milestone_id: int
    start: date
    finish: date
    late: bool
    behind: bool

    def as_json(self) -> list[Any]:
        return [self.milestone_id, self.start.isoformat(), self.finish.isoformat(), self.late, self.behind]

    @classmethod
    def from_json(cls, row: list[Any]) -> Upcoming:
        pk, start, finish, late, behind = row
        return cls(pk, date.fromisoformat(start), date.fromisoformat(finish), late, behind)


@dataclass(frozen=True, slots=True)
class Summary:
    """One goal as the dashboard lists it: a few of its columns and its stored summary.

    ``progress`` is the goal's own (from its KPIs, None when ``measured`` is false or nothing was
    read yet); objectives roll their children's up on the page. ``status`` is the health, "" when
    there is nothing to judge it by. ``next_due`` and ``due`` are the JSON text as stored (see
    :class:`~backcast.goals.models.GoalSummary`), read by :meth:`upcoming` only where a page
    needs them: decoding a thousand of them would take longer than the query.
    """

    pk: int
    title: str
    level: str
    parent_id: int | None
    deadline: date
    owner_id: int | None
    team_slug: str | None
    status: str
    measured: bool
    progress: float | None
    feasible: bool | None
    slack_left: int | None
    slack_milestone: str
    plan_error: str
    unowned: int
    next_due: str
    due: str

    @staticmethod
    def entries(text: str) -> list[list[Any]]:
        """The ``[id, start, finish, late, behind]`` entries of ``next_due`` or ``due``."""
        return json.loads(text) if text != "[]" else []

    @staticmethod
    def upcoming(text: str) -> list[Upcoming]:
        return [Upcoming.from_json(u) for u in Summary.entries(text)]


COLUMNS = ["pk", "title", "level", "parent_id", "deadline", "owner_id", "team__slug", "stamp__stamp"]
CHECKS = ["summary__stamp", "summary__day", "summary__version"]
SHOWN = [
    "status", "measured", "progress", "feasible", "slack_left", "slack_milestone", "plan_error",
    "unowned",
]  # fmt: skip
AS_TEXT = ["next_due", "due"]
STORED = [*SHOWN, *AS_TEXT, "required_start", "min_slack", "probability"]


def summaries(goals: QuerySet[Goal], today: date) -> list[Summary]:
    """Each goal of ``goals`` (in its order) with its summary for ``today``.

    One query reads the goals with their stamps and summaries. Summaries that are missing or
    stale are computed by :func:`refresh` in a fixed number of further queries and stored; the
    stamp read with the goals labels them, before their rows are read, so a write that lands
    in between leaves them stale rather than wrong.
    """
    text = {f"summary__{f}": Cast(f"summary__{f}", TextField()) for f in AS_TEXT}
    rows = list(goals.values(*COLUMNS, *CHECKS, *(f"summary__{f}" for f in SHOWN), **text))
    stale = {r["pk"]: r["stamp__stamp"] or 0 for r in rows if not is_fresh(r, today)}
    if stale:
        fresh = refresh(stale, today)
        for r in rows:
            if r["pk"] in fresh:
                r.update({f"summary__{f}": getattr(fresh[r["pk"]], f) for f in SHOWN})
                r.update({f"summary__{f}": json.dumps(getattr(fresh[r["pk"]], f)) for f in AS_TEXT})
    return [
        Summary(
            pk=r["pk"],
            title=r["title"],
            level=r["level"],
            parent_id=r["parent_id"],
            deadline=r["deadline"],
            owner_id=r["owner_id"],
            team_slug=r["team__slug"],
            status=r["summary__status"],
            measured=r["summary__measured"],
            progress=r["summary__progress"],
            feasible=r["summary__feasible"],
            slack_left=r["summary__slack_left"],
            slack_milestone=r["summary__slack_milestone"],
            plan_error=r["summary__plan_error"],
            unowned=r["summary__unowned"],
            next_due=r["summary__next_due"],
            due=r["summary__due"],
        )
        for r in rows
    ]


def refresh_stale(moment: datetime, batch: int = SUMMARIES_PER_TICK) -> int:
    """The worker's job: summaries missing or stale for their organisation's today, computed and
    stored, at most ``batch`` a tick; returns how many.

    So the first dashboard or goal list of a day finds them ready instead of computing every
    goal's inside that request (which the request still does for what the worker has not reached,
    or when no worker runs). A few workers at once only compute some summaries twice.
    """
    done = 0
    for org_id, zone in Organization.objects.order_by("pk").values_list("pk", "timezone"):
        if done >= batch:
            break
        today = moment.astimezone(ZoneInfo(zone)).date()
        rows = (
            Goal.objects.filter(organization_id=org_id).order_by("pk").values("pk", *CHECKS, "stamp__stamp")
        )
        stale = {r["pk"]: r["stamp__stamp"] or 0 for r in rows if not is_fresh(r, today)}
        chosen = dict(list(stale.items())[: batch - done])
        if chosen:
            refresh(chosen, today)
            done += len(chosen)
    return done


def is_fresh(row: dict[str, Any], today: date) -> bool:
    """Whether the summary read with a goal (its ``CHECKS`` and ``stamp__stamp``) holds for ``today``."""
    return (row["summary__stamp"], row["summary__day"], row["summary__version"]) == (
        row["stamp__stamp"] or 0,
        today,
        SUMMARY_VERSION,
    )


def refresh(labels: dict[int, int], today: date) -> dict[int, GoalSummary]:
    """Compute and store the summaries of the goals in ``labels`` (goal id -> the stamp to label with).

    Ten queries whatever the number of goals (on SQLite the upsert is split into batches).
    A goal deleted meanwhile makes the upsert fail; the summaries are a cache, so they are then
    simply computed again on the next request.
    """
    confidence = CheckIn.objects.filter(goal=OuterRef("pk")).order_by("-created_at", "-pk")
    goals = list(
        Goal.objects.filter(pk__in=labels).annotate(confidence=Subquery(confidence.values("confidence")[:1]))
    )
    facts = gather_many(goals, today)
    made = {g.pk: summarise(facts[g.pk], today, g.confidence, labels[g.pk]) for g in goals}
    try:
        with transaction.atomic():
            GoalSummary.objects.bulk_create(
                [made[pk] for pk in sorted(made)],  # in goal order: concurrent upserts lock alike
                update_conflicts=True,
                unique_fields=["goal"],
                update_fields=["stamp", "day", "version", "computed_at", *STORED],
            )
    except IntegrityError:
        pass
    stamps.forget(connection)  # a later write in this transaction must bump the stamps again
    return made


def summarise(f: GoalData, today: date, confidence: int | None, stamp: int) -> GoalSummary:
    """The goal's summary from its gathered facts: health, own progress, plan figures, what is due."""
    result = f.result
    shares = [
        share
        for kpi, readings in f.kpis
        if (share := progress(kpi_target(kpi, f.goal.deadline), readings[-1].value if readings else None))
        is not None
    ]
    slack = slack_left(f, today)
    upcoming = [
        Upcoming(m.pk, p.start, p.finish, p.finish < today, remaining_start(m, p, f.calendar, today) < today)
        for m, p in open_milestones(f)
    ]
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    return GoalSummary(
        goal=f.goal,
        stamp=stamp,
        day=today,
        version=SUMMARY_VERSION,
        computed_at=now(),
        status=goal_health(f, today, confidence).status if assessed(f) else "",
        measured=bool(f.kpis),
        progress=sum(shares) / len(shares) if shares else None,
        feasible=result.feasible if result is not None else None,
        required_start=result.required_start if result is not None else None,
        min_slack=min((m.slack for m in result.milestones), default=None) if result is not None else None,
        probability=result.risk.probability_on_time if result is not None and result.risk else None,
        slack_left=slack[0] if slack else None,
        slack_milestone=slack[1].title if slack else "",
        plan_error=f.plan_error,
        unowned=sum(1 for m in f.milestones if m.owner_id is None and m.status != Milestone.Status.DONE),
        next_due=[u.as_json() for u in upcoming[:NEXT_MILESTONES]],
        due=[u.as_json() for u in upcoming if u.finish <= horizon or u.behind],
    )


def rolled_up(
    every: Sequence[Summary], children: dict[int, list[int]]
) -> tuple[dict[int, float | None], dict[int, str]]:
    """Each goal's progress and health rolled up the alignment tree.

    Progress as ``services.reporting.progress.goal_progress`` has it: a goal with KPIs progresses as they
    do, one without (an objective) as the mean of its children's. Health: a goal's own, else
    the worst among the goals that serve it, however deep. Cycles are cut where they close.
    """
    by_pk = {s.pk: s for s in every}
    progress: dict[int, float | None] = {}
    status: dict[int, str] = {}

    def walk(pk: int, seen: frozenset[int]) -> tuple[float | None, str]:
        if pk not in progress:
            own = by_pk[pk]
            below = [walk(c, seen | {pk}) for c in children[pk] if c not in seen and c != pk]
            if own.measured:
                progress[pk] = own.progress
            else:
                shares = [p for p, _ in below if p is not None]
                progress[pk] = sum(shares) / len(shares) if shares else None
            worst = [s for _, s in below if s]
            status[pk] = own.status or max(worst, key=lambda s: RANK[s], default="")
        return progress[pk], status[pk]

    for s in every:
        walk(s.pk, frozenset())
    return progress, status

"""Re-planning: accepted plans kept as baselines, and the live plan's variance against any of them.

A goal's plan is recomputed from its milestones whenever anything it depends on changes (a slip
recorded as a longer duration, a new milestone, a changed capacity, a moved deadline), always
from today: :func:`backcast.services.reporting.plans.goal_plan`. What a planner decides about it is kept
here: :func:`accept_plan` freezes the live plan as the goal's next :class:`Baseline`, with who
and why. The first baseline is taken by accepting the plan; re-planning after a slip is
accepting again, with the reason. Baselines are never changed or reused; a goal's deletion
takes its baselines with it.

:func:`variance` reads the live plan against a baseline: each milestone's baseline and current
dates and its slip in working days (on the plan's calendar; positive: later), the milestones
added and removed since, and the goal-level moves of the deadline, the required start and the
earliest finish, and the change in the probability of finishing on time. The arithmetic is the
planning core's (:mod:`backcast.planning.variance`).

What-if scenarios live in :mod:`backcast.services.replanning.scenarios`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max

from backcast.goals.models import Goal
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.planning.calendar import WorkCalendar
from backcast.planning.variance import Change, Span, compare, slip
from backcast.replanning.models import Baseline
from backcast.services.platform.clock import org_today
from backcast.services.platform.errors import InvalidInput
from backcast.services.reporting.plans import build_plan, cached_plan, goal_plan, plan_json

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

REASON_LIMIT = 500


def clean_reason(value: Any) -> str:
    """Why a plan is accepted: required, trimmed, at most :data:`REASON_LIMIT` characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            "say why this plan is accepted (e.g. 'first plan', 'audit slipped a week')", "reason"
        )
    reason = value.strip()
    if len(reason) > REASON_LIMIT:
        raise InvalidInput(f"must be at most {REASON_LIMIT} characters, not {len(reason)}", "reason")
    return reason


@transaction.atomic
def accept_plan(actor: AnyUser, goal_id: int, reason: Any) -> Baseline:
    """Keep the goal's live plan as its next baseline (owners and admins), with who and why.

    The goal row is locked while the number is taken, so two people accepting at once get
    consecutive numbers. ``InvalidInput`` (field ``reason``) without a reason, (field ``plan``)
    when the goal cannot be planned yet.
    """
    goal = get_for(Goal.objects.select_for_update(), actor, Action.PLAN, pk=goal_id)
    text = clean_reason(reason)
    today = org_today(goal.organization)
    current = goal_plan(goal, today)
    result = current.result
    last = Baseline.objects.filter(goal=goal).aggregate(last=Max("number"))["last"] or 0
    return Baseline.objects.create(
        goal=goal,
        number=last + 1,
        taken_by_id=user_pk(actor) or None,
        reason=text,
        plan=plan_json(current),
        deadline=result.deadline,
        required_start=result.required_start,
        earliest_finish=result.earliest_finish,
        feasible=result.feasible,
        probability_on_time=result.risk.probability_on_time if result.risk else None,
    )


def latest_baseline(goal: Goal) -> Baseline | None:
    """The goal's most recent baseline, if it has any."""
    return Baseline.objects.filter(goal=goal).select_related("taken_by").order_by("-number").first()


@dataclass(frozen=True, slots=True)
class MilestoneMove:
    """A milestone in the earlier plan (``before``) and the later one (``after``), with its slips.

    ``change`` is ``kept``, ``added`` (no ``before``) or ``removed`` (no ``after``); slips are
    working days, positive when the later plan's date is later, None unless in both plans.
    """

    id: int
    title: str
    change: Change
    before: Span | None
    after: Span | None
    start_slip: int | None
    finish_slip: int | None


@dataclass(frozen=True, slots=True)
class DateMove:
    """A goal-level date then and now; ``slip`` in working days (positive: later), None without a now."""

    before: date
    after: date | None
    slip: int | None


@dataclass(frozen=True, slots=True)
class Variance:
    """The live plan against a baseline. ``plan_error`` says why there is no live plan (then every
    baseline milestone shows as removed and the ``after`` sides are None)."""

    baseline: Baseline
    milestones: list[MilestoneMove]
    deadline: DateMove
    required_start: DateMove
    earliest_finish: DateMove
    feasible_before: bool
    feasible_after: bool | None
    probability_before: float | None
    probability_after: float | None
    plan_error: str = ""

    @property
    def probability_change(self) -> float | None:
        """Probability on time now minus then (positive: likelier to finish on time)."""
        if self.probability_before is None or self.probability_after is None:
            return None
        return self.probability_after - self.probability_before

    @property
    def slipped(self) -> list[MilestoneMove]:
        """Milestones whose finish moved, and those added or removed: what a reviewer looks at."""
        return [m for m in self.milestones if m.change != "kept" or m.finish_slip or m.start_slip]


def spans_of(plan: dict[str, Any]) -> tuple[dict[int, Span], dict[int, str]]:
    """Each milestone's dates and title in a plan JSON (``plan_json``'s shape, as baselines keep it)."""
    spans, titles = {}, {}
    for m in plan["milestones"]:
        spans[int(m["id"])] = Span(date.fromisoformat(m["start"]), date.fromisoformat(m["finish"]))
        titles[int(m["id"])] = str(m["title"])
    return spans, titles


def moves(
    calendar: WorkCalendar,
    before: dict[int, Span],
    after: dict[int, Span],
    titles: dict[int, str],
) -> list[MilestoneMove]:
    """Every milestone of either plan, in the order of its dates (the later plan's when it has it)."""
    rows = [
        MilestoneMove(
            v.key, titles.get(v.key, f"#{v.key}"), v.change, v.before, v.after, v.start_slip, v.finish_slip
        )
        for v in compare(calendar, before, after)
    ]

    def order(m: MilestoneMove) -> tuple[date, date, int]:
        span = m.after or m.before
        assert span is not None
        return (span.start, span.finish, m.id)

    return sorted(rows, key=order)


def date_move(calendar: WorkCalendar, before: date, after: date | None) -> DateMove:
    return DateMove(before, after, None if after is None else slip(calendar, before, after))


def variance(goal: Goal, baseline: Baseline, today: date) -> Variance:
    """The goal's live plan (re-planned from ``today``) against ``baseline``, milestone by milestone."""
    plan, ids = build_plan(goal, today)
    before, titles = spans_of(baseline.plan)
    calendar = plan.calendar
    try:
        result = cached_plan(plan)
    except InvalidInput as exc:
        return Variance(
            baseline=baseline,
            milestones=moves(calendar, before, {}, titles),
            deadline=date_move(calendar, baseline.deadline, goal.deadline),
            required_start=date_move(calendar, baseline.required_start, None),
            earliest_finish=date_move(calendar, baseline.earliest_finish, None),
            feasible_before=baseline.feasible,
            feasible_after=None,
            probability_before=baseline.probability_on_time,
            probability_after=None,
            plan_error=exc.message,
        )
    after = {ids[m.id]: Span(m.start, m.finish) for m in result.milestones}
    titles |= {ids[m.id]: m.title for m in result.milestones}
    return Variance(
        baseline=baseline,
        milestones=moves(calendar, before, after, titles),
        deadline=date_move(calendar, baseline.deadline, result.deadline),
        required_start=date_move(calendar, baseline.required_start, result.required_start),
        earliest_finish=date_move(calendar, baseline.earliest_finish, result.earliest_finish),
        feasible_before=baseline.feasible,
        feasible_after=result.feasible,
        probability_before=baseline.probability_on_time,
        probability_after=result.risk.probability_on_time if result.risk else None,
    )


@dataclass(frozen=True, slots=True)
class BaselineView:
    """What the timeline shows of re-planning: the baselines (newest first), the one compared
    against (the newest unless another was chosen), the variance, and whether the visitor may
    accept the live plan as a new baseline."""

    baselines: list[Baseline]
    chosen: Baseline | None
    variance: Variance | None
    can_accept: bool


def baseline_view(actor: AnyUser, goal: Goal, today: date, number: int | None = None) -> BaselineView:
    """The goal's baselines and the variance against baseline ``number`` (default: the latest).

    ``chosen`` is None when the goal has no baseline, or none with that number.
    """
    baselines = list(Baseline.objects.filter(goal=goal).select_related("taken_by").order_by("-number"))
    if number is None:
        chosen = baselines[0] if baselines else None
    else:
        chosen = next((b for b in baselines if b.number == number), None)
    can_accept = Goal.objects.filter(pk=goal.pk).restrict(actor, Action.PLAN).exists()
    found = variance(goal, chosen, today) if chosen is not None else None
    return BaselineView(baselines, chosen, found, can_accept)

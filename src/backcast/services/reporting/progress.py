"""Progress of goals, computed from KPI readings and rolled up the alignment tree; never typed in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from backcast.goals.models import KPI, Goal, Reading
from backcast.planning.kpi import KpiTarget, progress


def kpi_target(kpi: KPI, deadline: object) -> KpiTarget:
    """The planning core's view of a KPI row."""
    return KpiTarget(
        direction=kpi.direction,  # type: ignore[arg-type]
        target=kpi.target,
        target_date=kpi.target_date or deadline,  # type: ignore[arg-type]
        baseline=kpi.baseline,
        baseline_date=kpi.baseline_date,
        band_low=kpi.band_low,
        band_high=kpi.band_high,
    )


def goal_progress(goals: Iterable[Goal]) -> dict[int, float | None]:
    """Progress (0..1) of each goal and of every goal in their organisations, in two queries.

    A goal with KPIs progresses as the mean of its KPIs' progress (latest reading between
    baseline and target); a goal without KPIs, such as an objective, as the mean of its children's.
    None where nothing has been measured yet.
    """
    org_ids = {g.organization_id for g in goals}
    if not org_ids:
        return {}
    all_goals = list(
        Goal.objects.filter(organization_id__in=org_ids).values_list("pk", "parent_id", "deadline")
    )
    latest = Reading.objects.filter(kpi=OuterRef("pk")).order_by("-date", "-id").values("value")[:1]
    kpis = KPI.objects.filter(goal__organization_id__in=org_ids).annotate(latest=Subquery(latest))
    deadlines = {pk: deadline for pk, _, deadline in all_goals}
    by_goal: dict[int, list[float]] = defaultdict(list)
    measured: set[int] = set()
    for kpi in kpis:
        measured.add(kpi.goal_id)
        share = progress(kpi_target(kpi, deadlines[kpi.goal_id]), kpi.latest)
        if share is not None:
            by_goal[kpi.goal_id].append(share)
    children: dict[int, list[int]] = defaultdict(list)
    for pk, parent, _ in all_goals:
        if parent is not None:
            children[parent].append(pk)
    result: dict[int, float | None] = {}

    def rollup(pk: int, seen: frozenset[int]) -> float | None:
        if pk in result:
            return result[pk]
        if pk in measured:
            shares = by_goal[pk]
        else:
            shares = [
                s for c in children[pk] if c not in seen for s in [rollup(c, seen | {pk})] if s is not None
            ]
        result[pk] = sum(shares) / len(shares) if shares else None
        return result[pk]

    for pk, _, _ in all_goals:
        rollup(pk, frozenset())
    return result

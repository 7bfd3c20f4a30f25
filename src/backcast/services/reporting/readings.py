"""KPIs with their readings as the figures read them: every reading of a short history, daily sums of a long one.

What is computed from readings (progress, health, the forecast, the SMART check's best rate, the
goal page's chart) is the latest reading or a least-squares line, and such a line depends only on
each day's count, mean and spread (:class:`~backcast.planning.kpi.Point`). So a KPI with more
than :data:`RAW_READINGS` readings, such as one an integrator pushes every hour, is read as one
row a day, summed by the database, and its latest reading as it is. The sums cover its last
:data:`HISTORY_DAYS` days, and no more than its latest :data:`SUMMED_READINGS` readings: a KPI
then costs at most 10,000 rows and no object a reading whatever its history holds, and the
database sums a bounded number of rows (200,000 in about 0.15 s on SQLite). Building a point a
reading, as before, took a second for 200,000.

Whether a history is long is asked with the KPIs themselves (is there a reading past the first
:data:`RAW_READINGS`?, an index walk that stops there), so short histories cost the one query for
their readings they always did; long ones two more.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Case, Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When

from backcast.goals.models import KPI, Reading
from backcast.planning.kpi import Point

RAW_READINGS = 5_000  # a KPI with no more is read reading by reading, as it always was
HISTORY_DAYS = 10_000  # the days (27 years) of a longer history that its daily sums cover
SUMMED_READINGS = 500_000  # and the readings they cover at most (57 years of hourly readings)
FARTHEST = 1e150  # readings farther than this from the latest one are left out of the sums


def with_readings(kpis: QuerySet[KPI]) -> list[tuple[KPI, list[Point]]]:
    """Each KPI of ``kpis``, in its order, with its readings oldest first (by day, then as recorded).

    Two queries, four when a KPI's history is long (see the module's opening). The points of a
    long history are its daily sums, the latest day's without the latest reading, which follows
    on its own: the last point is always the latest reading, exactly.
    """
    beyond = (
        Reading.objects.filter(kpi=OuterRef("pk")).order_by().values("pk")[RAW_READINGS : RAW_READINGS + 1]
    )
    rows = list(kpis.annotate(beyond=Subquery(beyond)))
    long = [k.pk for k in rows if k.beyond is not None]
    points: dict[int, list[Point]] = defaultdict(list)
    for kpi_id, day, value in (
        Reading.objects.filter(kpi__in=kpis.values("pk"))
        .exclude(kpi_id__in=long)
        .order_by("date", "pk")
        .values_list("kpi_id", "date", "value")
    ):
        points[kpi_id].append(Point(day, value))
    if long:
        daily_sums(long, points)
    return [(k, points[k.pk]) for k in rows]


def daily_sums(kpi_ids: list[int], points: dict[int, list[Point]]) -> None:
    """Append to ``points`` the daily sums of each KPI of ``kpi_ids``, then its latest reading.

    The sums are taken of each value less the KPI's latest one, which keeps them small (a KPI
    hovers near its latest value) and so the spreads, found from sums of squares, exact enough.
    A value more than :data:`FARTHEST` from the latest is left out: no measure moves so far, and
    its square would overflow the sum, which PostgreSQL refuses with an error.
    """
    newest = Reading.objects.filter(kpi=OuterRef("kpi_id")).order_by("-date")
    latest = Reading.objects.filter(kpi=OuterRef("pk")).order_by("-date", "-pk").values("pk")[:1]
    last = {
        kpi_id: (pk, day, value, after)
        for pk, kpi_id, day, value, after in Reading.objects.filter(
            pk__in=KPI.objects.filter(pk__in=kpi_ids).annotate(latest=Subquery(latest)).values("latest")
        )
        .annotate(after=Subquery(newest.values("date")[SUMMED_READINGS : SUMMED_READINGS + 1]))
        .values_list("pk", "kpi_id", "date", "value", "after")
    }
    recent = Q()
    for kpi_id, (_, day, value, after) in last.items():
        since = Q(
            kpi_id=kpi_id,
            date__gte=date.fromordinal(max(1, day.toordinal() - HISTORY_DAYS + 1)),
            value__range=(value - FARTHEST, value + FARTHEST),
        )
        recent |= since & Q(date__gt=after) if after is not None else since
    reference = Case(
        *(When(kpi_id=kpi_id, then=Value(value)) for kpi_id, (_, _, value, _) in last.items()),
        output_field=FloatField(),
    )
    offset = F("value") - reference
    for kpi_id, day, count, total, squares in (
        Reading.objects.filter(recent)
        .exclude(pk__in=[pk for pk, _, _, _ in last.values()])
        .values("kpi_id", "date")
        .annotate(count=Count("pk"), total=Sum(offset), squares=Sum(offset * offset))
        .order_by("kpi_id", "date")
        .values_list("kpi_id", "date", "count", "total", "squares")
    ):
        mean = total / count
        spread = max(0.0, squares - total * mean)
        points[kpi_id].append(Point(day, last[kpi_id][2] + mean, count, spread))
    for kpi_id, (_, day, value, _) in last.items():
        points[kpi_id].append(Point(day, value))

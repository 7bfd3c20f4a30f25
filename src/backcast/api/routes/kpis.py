"""KPIs and their readings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params import functions as params

from backcast import limits
from backcast.api.goal_schemas import (
    CheckpointIn,
    CheckpointOut,
    KPIConflict,
    KPIIn,
    KPIOut,
    KPIPatch,
    ReadingIn,
    ReadingOut,
    ReadingsRecorded,
)
from backcast.api.inputs import Pagination
from backcast.api.schemas import Created, Error
from backcast.api.versions import IfMatch, etag, expected_version
from backcast.goals.models import KPI, Goal
from backcast.organizations.tenancy import Action, get_for
from backcast.services.goals import kpis as kpi_services
from backcast.services.platform.clock import org_today
from backcast.services.reporting import assessment

router = Router(tags=["kpis"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}
# A bulk request's readings, at most limits.READINGS_PER_REQUEST (maxItems in the document).
ReadingsBatch = Annotated[list[ReadingIn], params.Body(..., max_length=limits.READINGS_PER_REQUEST)]


@router.get("/goals/{goal_id}/kpis", response={200: list[KPIOut], **ERRORS}, summary="KPIs of a goal")
@paginate(Pagination)
def list_kpis(request: HttpRequest, goal_id: int) -> QuerySet[KPI]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return goal.kpis.all()


@router.post("/goals/{goal_id}/kpis", response={201: Created, **ERRORS}, summary="Add a KPI to a goal")
def create_kpi(request: HttpRequest, goal_id: int, payload: KPIIn) -> Status[Created]:
    kpi = kpi_services.add_kpi(request.user, goal_id, payload.dict())
    return Status(201, Created(id=kpi.pk))


def current_kpi(request: HttpRequest, kpi_id: int) -> KPIOut:
    """The KPI as ``GET /kpis/{id}`` answers it (also the ``current`` of a 409)."""
    return KPIOut.model_validate(get_for(KPI.objects.all(), request.user, Action.VIEW, pk=kpi_id))


@router.get(
    "/kpis/{kpi_id}",
    response={200: KPIOut, **ERRORS},
    summary="One KPI",
    description='With its version as the `ETag` header ("v3"), for `If-Match` on a PATCH.',
)
def get_kpi(request: HttpRequest, response: HttpResponse, kpi_id: int) -> KPIOut:
    kpi = current_kpi(request, kpi_id)
    response["ETag"] = etag(kpi.version)
    return kpi


@router.patch(
    "/kpis/{kpi_id}",
    response={200: KPIOut, 409: KPIConflict, **ERRORS},
    summary="Change a KPI (owners and admins)",
    description=(
        "Only the fields sent change; the rules across fields (direction, baseline, target, band) "
        "are checked on the result. `version` in the body or `If-Match` with the GET's ETag: if "
        "someone else changed the KPI since, nothing is written and the answer is 409 with the "
        "current KPI. Without either, a blind write."
    ),
)
def patch_kpi(
    request: HttpRequest,
    response: HttpResponse,
    kpi_id: int,
    payload: KPIPatch,
    if_match: IfMatch = None,
) -> KPIOut:
    data = payload.dict(exclude_unset=True)
    expected = expected_version(data.pop("version", None), if_match)
    kpi_services.update_kpi(request.user, kpi_id, data, expected_version=expected)
    kpi = current_kpi(request, kpi_id)
    response["ETag"] = etag(kpi.version)
    return kpi


@router.post(
    "/kpis/{kpi_id}/readings",
    response={201: ReadingsRecorded, **ERRORS},
    summary="Record readings in bulk; a reading whose key was recorded before is skipped",
    description=(
        f"All or none. At most {limits.READINGS_PER_REQUEST:,} readings in one request (422 beyond): "
        "send more in batches (keys make a retried batch harmless), or import a file of up to "
        f"{limits.IMPORT_ROWS:,} readings on the KPI's import page (`/kpis/ID/import/`) or with "
        "`backcast import readings`."
    ),
)
def create_readings(request: HttpRequest, kpi_id: int, payload: ReadingsBatch) -> Status[ReadingsRecorded]:
    readings = [kpi_services.ReadingIn(date=r.date, value=r.value, key=r.key) for r in payload]
    result = kpi_services.record_readings(request.user, kpi_id, readings)
    return Status(201, ReadingsRecorded(created=result.created, duplicates=result.duplicates))


@router.get(
    "/kpis/{kpi_id}/readings", response={200: list[ReadingOut], **ERRORS}, summary="Readings, oldest first"
)
@paginate(Pagination)
def list_readings(request: HttpRequest, kpi_id: int) -> Any:
    kpi = get_for(KPI.objects.all(), request.user, Action.VIEW, pk=kpi_id)
    return kpi.readings.order_by("date", "id").values("id", "date", "value", "key")


@router.get(
    "/kpis/{kpi_id}/trajectory",
    response={200: list[CheckpointOut], **ERRORS},
    summary="Interim targets derived backward from the target, at each milestone finish",
)
def get_trajectory(request: HttpRequest, kpi_id: int) -> list[CheckpointOut]:
    kpi = get_for(KPI.objects.select_related("goal__organization"), request.user, Action.VIEW, pk=kpi_id)
    return [
        CheckpointOut(date=day, value=value, pinned=pinned, milestones=titles)
        for day, value, pinned, titles in assessment.kpi_trajectory(kpi, org_today(kpi.goal.organization))
    ]


@router.put(
    "/kpis/{kpi_id}/checkpoints/{day}",
    response={200: Created, **ERRORS},
    summary="Pin the interim target on a day (the trajectory passes through it)",
)
def put_checkpoint(request: HttpRequest, kpi_id: int, day: date, payload: CheckpointIn) -> Created:
    return Created(id=kpi_services.pin_checkpoint(request.user, kpi_id, day, payload.value).pk)


@router.delete(
    "/kpis/{kpi_id}/checkpoints/{day}", response={204: None, **ERRORS}, summary="Unpin a checkpoint"
)
def delete_checkpoint(request: HttpRequest, kpi_id: int, day: date) -> Status[None]:
    kpi_services.unpin_checkpoint(request.user, kpi_id, day)
    return Status(204, None)

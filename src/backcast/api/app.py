"""The NinjaAPI object: authentication, error shapes and the routers."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema

from backcast.api.auth import AUTH
from backcast.api.documented import DocumentedAPI
from backcast.api.routes import activity as activity_routes
from backcast.api.routes import (
    comments,
    goals,
    health,
    invitations,
    kpis,
    milestones,
    organizations,
    people,
    replanning,
    webhooks,
)
from backcast.api.routes import notifications as notification_routes
from backcast.api.versions import etag
from backcast.goals.models import KPI, Goal, Milestone
from backcast.services.platform.errors import Conflict, InvalidInput

api = DocumentedAPI(
    title="Backcast API",
    version="1",
    description=(
        "Backward goal-setting for operations teams. Authenticate with the session cookie or "
        "`Authorization: Bearer TOKEN` (create one with `backcast token create EMAIL`). Lists are "
        'paginated as `{"items": [...], "count": N}`. Objects of other organisations answer 404. '
        "Goals, KPIs and milestones carry a `version` (a GET also answers it as the `ETag`, "
        '`"v3"`); send it back with a PATCH, as `version` in the body or in `If-Match`, and a '
        "change made from a stale copy is refused with 409 and the object as it stands "
        '(`{"detail": ..., "current": {...}}`), never written over. A PATCH without either is '
        "a blind write, as before versions."
    ),
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/", health.router)
api.add_router("/", people.router)
api.add_router("/organizations", organizations.router)
api.add_router("/", invitations.router)
api.add_router("/", goals.router)
api.add_router("/", kpis.router)
api.add_router("/", milestones.router)
api.add_router("/", comments.router)
api.add_router("/", notification_routes.router)
api.add_router("/", replanning.router)
api.add_router("/", activity_routes.router)
api.add_router("/", webhooks.router)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Permission denied."}, status=403)


@api.exception_handler(InvalidInput)
def invalid(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=400)


# How each versioned object reads, as its GET answers it: the ``current`` of a 409.
CURRENT: dict[type, Callable[[HttpRequest, int], Schema]] = {
    Goal: goals.current_goal,
    KPI: kpis.current_kpi,
    Milestone: milestones.current_milestone,
}


@api.exception_handler(Conflict)
def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    """409: the edit was made from a stale version; nothing was written (see ``api.versions``).

    The body carries the object as it stands now, read again after the refused transaction,
    and the ``ETag`` header its version, so the client can merge and send the change again.
    """
    read = CURRENT.get(type(exc.current))
    current = read(request, exc.current.pk) if read is not None else None  # type: ignore[attr-defined]
    response = api.create_response(request, {"detail": exc.message, "current": current}, status=409)
    if current is not None:
        response["ETag"] = etag(current.version)  # type: ignore[attr-defined]
    return response

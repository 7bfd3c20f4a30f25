"""The NinjaAPI object: authentication, error shapes and the routers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI

from backcast.api.auth import AUTH
from backcast.api.routes import comments, goals, kpis, milestones, organizations, people, replanning
from backcast.services.errors import InvalidInput

api = NinjaAPI(
    title="Backcast API",
    version="1",
    description=(
        "Backward goal-setting for operations teams. Authenticate with the session cookie or "
        "`Authorization: Bearer TOKEN` (create one with `backcast token create EMAIL`). Lists are "
        'paginated as `{"items": [...], "count": N}`. Objects of other organisations answer 404.'
    ),
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/", people.router)
api.add_router("/organizations", organizations.router)
api.add_router("/", goals.router)
api.add_router("/", kpis.router)
api.add_router("/", milestones.router)
api.add_router("/", comments.router)
api.add_router("/", replanning.router)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Permission denied."}, status=403)


@api.exception_handler(InvalidInput)
def invalid(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=400)

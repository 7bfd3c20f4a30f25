"""The health check: one trivial answer for load balancers and uptime monitors."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["health"])


class HealthStatus(Schema):
    status: Literal["ok"]


@router.get(
    "/health",
    response=HealthStatus,
    auth=None,
    summary="Whether this app process answers",
    description=(
        'Always `{"status": "ok"}` while the process serves requests; no login needed. It reads '
        "no database, so a load balancer checks each app process, not the shared database."
    ),
)
def health(request: HttpRequest) -> HealthStatus:
    """A liveness answer: no authentication, no query, no state; the cheapest route of the API."""
    return HealthStatus(status="ok")

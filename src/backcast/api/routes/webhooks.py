"""An organisation's webhooks and the log of what was sent (admins)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from backcast.api.inputs import Pagination
from backcast.api.schemas import Error
from backcast.api.webhook_schemas import (
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from backcast.notifications.models import Delivery, Webhook
from backcast.services.notify import webhooks as webhook_services

router = Router(tags=["webhooks"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}


@router.get(
    "/organizations/{slug}/webhooks",
    response={200: list[WebhookOut], **ERRORS},
    summary="An organisation's webhooks (admins)",
)
@paginate(Pagination)
def list_webhooks(request: HttpRequest, slug: str) -> QuerySet[Webhook]:
    return webhook_services.webhooks_of(request.user, slug)


@router.post(
    "/organizations/{slug}/webhooks",
    response={201: WebhookCreated, **ERRORS},
    summary="Add a webhook (admins)",
    description="The answer carries the signing secret, shown this once.",
)
def create_webhook(request: HttpRequest, slug: str, payload: WebhookIn) -> Status[WebhookCreated]:
    hook, secret = webhook_services.create_webhook(request.user, slug, payload.dict())
    return Status(201, WebhookCreated(id=hook.pk, secret=secret))


@router.patch(
    "/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Switch a webhook on or off"
)
def patch_webhook(request: HttpRequest, webhook_id: int, payload: WebhookPatch) -> Webhook:
    return webhook_services.set_webhook_active(request.user, webhook_id, payload.active)


@router.delete(
    "/webhooks/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a webhook and its log"
)
def delete_webhook(request: HttpRequest, webhook_id: int) -> Status[None]:
    webhook_services.delete_webhook(request.user, webhook_id)
    return Status(204, None)


@router.get(
    "/organizations/{slug}/deliveries",
    response={200: list[DeliveryOut], **ERRORS},
    summary="What was sent, by e-mail and webhook, newest first (admins)",
    description="Each delivery with every attempt: when, the receiver's answer or what went wrong.",
)
@paginate(Pagination)
def list_deliveries(request: HttpRequest, slug: str) -> QuerySet[Delivery]:
    return webhook_services.deliveries_of(request.user, slug)

"""An organisation's webhooks and the log of what was sent (admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from backcast.api.inputs import Pagination
from backcast.api.schemas import Error
from backcast.api.webhook_schemas import (
    AttemptOut,
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from backcast.notifications.models import Delivery, Webhook
from backcast.services import webhooks as webhook_services

router = Router(tags=["webhooks"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}


def webhook_out(hook: Webhook) -> WebhookOut:
    return WebhookOut(
        id=hook.pk,
        name=hook.name,
        tool=hook.tool,
        url=hook.masked_url,
        events=list(hook.events),
        active=hook.active,
        created_at=hook.created_at,
        created_by=hook.created_by.email if hook.created_by else None,
    )


def delivery_out(d: Delivery) -> DeliveryOut:
    recipient = d.notification.recipient
    return DeliveryOut(
        id=d.pk,
        kind=d.notification.kind,
        subject=d.notification.subject,
        channel=d.channel,
        recipient=recipient.email if recipient is not None and d.channel == Delivery.Channel.EMAIL else None,
        webhook=d.webhook_id,
        status=d.status,
        attempts=[
            AttemptOut(
                number=a.number,
                at=a.at,
                response_status=a.response_status,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in d.attempt_log.all()
        ],
        next_attempt_at=d.next_attempt_at,
        sent_at=d.sent_at,
        created_at=d.created_at,
    )


@router.get(
    "/organizations/{slug}/webhooks",
    response={200: list[WebhookOut], **ERRORS},
    summary="An organisation's webhooks (admins)",
)
@paginate(Pagination)
def list_webhooks(request: HttpRequest, slug: str) -> Any:
    return [webhook_out(h) for h in webhook_services.webhooks_of(request.user, slug)]


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
def patch_webhook(request: HttpRequest, webhook_id: int, payload: WebhookPatch) -> WebhookOut:
    return webhook_out(webhook_services.set_webhook_active(request.user, webhook_id, payload.active))


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
def list_deliveries(request: HttpRequest, slug: str) -> Any:
    return DeliveryPage(webhook_services.deliveries_of(request.user, slug))


class DeliveryPage:
    """The deliveries, serialised a page at a time (the paginator slices, then reads)."""

    def __init__(self, rows: Any) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return int(self.rows.count())

    def __getitem__(self, index: slice) -> list[DeliveryOut]:
        return [delivery_out(d) for d in self.rows[index]]

"""Shapes of webhooks and their delivery log in the API."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field, StrictBool

from backcast.api.inputs import Input
from backcast.notifications.models import Attempt, Delivery, Webhook


class WebhookIn(Input):
    name: str = Field(description="At most 100 characters")
    url: str = Field(description="Where to POST: http:// or https:// (https:// only in production)")
    events: list[str] = Field(description="What it receives: any of reminder, digest, mention")
    tool: str = Field("generic", description="The message's shape: slack, teams, lark or generic")
    secret: str | None = Field(
        None, description="Signs every request (X-Backcast-Signature); generated when left out"
    )


class WebhookCreated(Schema):
    id: int
    secret: str = Field(description="The signing secret: shown in this answer only")


class WebhookOut(Schema):
    id: int
    name: str
    tool: str
    url: str = Field(description="Scheme and host only: chat tools put their own secret in the rest")
    events: list[str]
    active: bool
    created_at: datetime
    created_by: str | None

    @staticmethod
    def resolve_url(obj: Webhook) -> str:
        return obj.masked_url

    @staticmethod
    def resolve_created_by(obj: Webhook) -> str | None:
        return obj.created_by.email if obj.created_by is not None else None


class WebhookPatch(Input):
    active: StrictBool = Field(description="Off, it receives nothing and its pending deliveries fail")


class AttemptOut(Schema):
    number: int
    at: datetime
    response_status: int | None = Field(description="The receiver's HTTP status; null when none came")
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    kind: str = Field(description="reminder, digest or mention")
    subject: str
    channel: str = Field(description="email or webhook")
    recipient: str | None = Field(description="The e-mail address, for an e-mail")
    webhook: int | None = Field(description="The webhook's id, for a webhook")
    status: str = Field(description="pending, sending, sent or failed")
    attempts: list[AttemptOut]
    next_attempt_at: datetime
    sent_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_kind(obj: Delivery) -> str:
        return obj.notification.kind

    @staticmethod
    def resolve_subject(obj: Delivery) -> str:
        return obj.notification.subject

    @staticmethod
    def resolve_recipient(obj: Delivery) -> str | None:
        person = obj.notification.recipient
        return person.email if person is not None and obj.channel == Delivery.Channel.EMAIL else None

    @staticmethod
    def resolve_webhook(obj: Delivery) -> int | None:
        return obj.webhook_id

    @staticmethod
    def resolve_attempts(obj: Delivery) -> list[Attempt]:
        return list(obj.attempt_log.all())  # prefetched in order (services.notify.webhooks.deliveries)

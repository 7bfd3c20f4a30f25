"""Shapes of webhooks and their delivery log in the API."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field, StrictBool

from backcast.api.inputs import Input


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

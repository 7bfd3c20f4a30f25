"""Shapes of invitations in the API: what an admin sends, and what they see of the pending ones."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from backcast.api.inputs import Input
from backcast.organizations.models import Invitation


class InvitationIn(Input):
    email: str = Field(description="The address the link goes to; it need not have an account yet")
    role: str = Field("contributor", description="viewer, contributor, owner or admin, taken on accepting")


class InvitationOut(Schema):
    """An invitation as its organisation's admins see it: the address as typed, never an account."""

    id: int
    email: str
    role: str
    invited_by: str | None = Field(description="The admin who sent it last")
    created_at: datetime
    sent_at: datetime
    expires_at: datetime
    expired: bool = Field(description="The link no longer works; send it again for a new one")

    @staticmethod
    def resolve_invited_by(obj: Invitation) -> str | None:
        return obj.invited_by.email if obj.invited_by is not None else None

    @staticmethod
    def resolve_expired(obj: Invitation) -> bool:
        return obj.expires_at <= timezone.now()

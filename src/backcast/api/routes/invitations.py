"""Invitations to an organisation (admins). Accepting is a web page: the link in the e-mail opens it.

Sending answers the same, in status and body, whether or not the address has an account.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from backcast.api.inputs import Pagination
from backcast.api.invitation_schemas import InvitationIn, InvitationOut
from backcast.api.schemas import Error
from backcast.organizations.models import Invitation
from backcast.services.platform import invitations as invitation_services

router = Router(tags=["invitations"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}


@router.get(
    "/organizations/{slug}/invitations",
    response={200: list[InvitationOut], **ERRORS},
    summary="Invitations not yet accepted or revoked, newest first (admins)",
)
@paginate(Pagination)
def list_invitations(request: HttpRequest, slug: str) -> QuerySet[Invitation]:
    return invitation_services.pending_invitations(request.user, slug)


@router.post(
    "/organizations/{slug}/invitations",
    response={201: InvitationOut, **ERRORS},
    summary="Invite an e-mail address (admins)",
    description=(
        "E-mails a link that works once, for seven days; the person joins by accepting it. An "
        "address with an open invitation gets a new link (the old one stops working). The answer "
        "is the same whether or not the address has an account. A member already: 400."
    ),
)
def create_invitation(request: HttpRequest, slug: str, payload: InvitationIn) -> Status[Invitation]:
    return Status(201, invitation_services.invite(request.user, slug, payload.email, payload.role))


@router.post(
    "/organizations/{slug}/invitations/{invitation_id}/resend",
    response={200: InvitationOut, **ERRORS},
    summary="Send an invitation again, with a new link and expiry (admins)",
)
def resend_invitation(request: HttpRequest, slug: str, invitation_id: int) -> Invitation:
    return invitation_services.resend_invitation(request.user, slug, invitation_id)


@router.delete(
    "/organizations/{slug}/invitations/{invitation_id}",
    response={204: None, **ERRORS},
    summary="Revoke an invitation: its link stops working (admins)",
)
def revoke_invitation(request: HttpRequest, slug: str, invitation_id: int) -> Status[None]:
    invitation_services.revoke_invitation(request.user, slug, invitation_id)
    return Status(204, None)

"""Invitations: the only way into an organisation, with the consent of whoever holds the address.

An admin invites an e-mail address with a role; a link with a secret goes to that address; the
person who opens it joins by accepting, logged in with that address or creating the account for
it on the spot. Nobody is ever added to an organisation without that step.

Inviting never looks at accounts: the row, the e-mail, the answer and the work done are the same
whether or not anyone has an account with the address, so an admin learns nothing about the
instance's accounts by inviting (the only thing checked is whether the address is a member of
the admin's own organisation already, which the members list shows anyway). Which case applies
is decided on the acceptance page, which only the holder of the link reaches.

The link's secret carries 256 random bits and is stored only as its SHA-256 digest. It works for
:data:`LIFETIME`, once; revoking stops it; resending draws a new one, so only the latest e-mail's
link works. Every invitation sent, sent again, revoked and accepted is in the organisation's
activity.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from backcast.accounts.models import User, token_digest
from backcast.activity.context import quiet
from backcast.activity.models import Verb
from backcast.activity.recording import write
from backcast.organizations.models import Invitation, Membership, Organization
from backcast.organizations.tenancy import Action, get_for
from backcast.services.platform.errors import InvalidInput, check_one_line
from backcast.services.platform.organizations import check_role
from backcast.text import one_line

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

log = logging.getLogger("backcast.invitations")

LIFETIME = timedelta(days=7)
DAILY_LIMIT = 200  # e-mails an organisation sends in 24 hours: inviting is not a way to mail strangers
ACCEPT_PATH = "/invitations/accept/"
NOT_VALID = "This invitation link is not valid: it may have expired, been revoked or been used already."


def normalised_email(email: str) -> str:
    """``email`` trimmed and lower-cased, or :class:`InvalidInput` when it is not an address."""
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(f"{email!r} is not a valid e-mail address", "email") from None
    return address


def new_secret() -> tuple[str, str]:
    """A fresh link secret and its digest (the only part stored)."""
    raw = secrets.token_urlsafe(32)
    return raw, token_digest(raw)


def link(raw: str) -> str:
    """The acceptance page's address for the secret ``raw``, on the site's configured base URL."""
    return f"{settings.BACKCAST_BASE_URL}{ACCEPT_PATH}?token={raw}"


def check_daily_limit(org: Organization, now: datetime) -> None:
    """Refuse once the organisation has sent :data:`DAILY_LIMIT` invitations in 24 hours."""
    recent = Invitation.objects.filter(organization=org, sent_at__gt=now - timedelta(days=1)).count()
    if recent >= DAILY_LIMIT:
        raise InvalidInput(
            f"{org.name} has sent {DAILY_LIMIT} invitations in the last 24 hours; send more tomorrow", "email"
        )


@sensitive_variables("raw")
def send(invitation: Invitation, raw: str, inviter: AnyUser) -> None:
    """E-mail the link to the invited address; a failure undoes the caller's transaction.

    The text is the same for everyone: it does not say whether the address has an account (the
    page the link opens does, to its holder). The failure's message names no cause, which could
    differ from one address to another.
    """
    org = invitation.organization
    who = str(getattr(inviter, "display_name", "")) or "An admin"
    expires = invitation.expires_at.astimezone(timezone.get_current_timezone())
    subject = one_line(f"{who} invited you to {org.name} on Backcast")
    body = (
        f"{who} invited you to join {org.name} on Backcast as {invitation.get_role_display().lower()}.\n\n"
        f"To accept, open this link (it works once, until {expires:%Y-%m-%d %H:%M %Z}):\n\n"
        f"{link(raw)}\n\n"
        "If you have a Backcast account with this address, log in and accept; if not, you choose "
        "your name and password on that page.\n\n"
        "If you did not expect this invitation, ignore this e-mail: nothing happens unless you accept."
    )
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email]).send()
    except Exception:  # any fault of the mail server: nothing is kept, the admin may try again
        log.exception("invitation %s could not be sent", invitation.pk)
        raise InvalidInput("the invitation could not be sent by e-mail; try again later", "email") from None


def record(
    invitation: Invitation,
    action: str,
    actor: AnyUser,
    detail: str = "",
    changes: dict[str, list[object]] | None = None,
) -> None:
    write(
        action=action,
        object_type="invitation",
        object_id=invitation.pk,
        object_label=invitation.email,
        organization_id=invitation.organization_id,
        changes=changes,
        detail=detail,
        actor=actor,
    )


@transaction.atomic
def invite(actor: AnyUser, org_slug: str, email: str, role: str, now: datetime | None = None) -> Invitation:
    """An admin invites ``email`` to the organisation as ``role``; the link goes out by e-mail.

    An address with an open invitation gets a new link (the old one stops working), with the
    role given now. Refused for an address that is a member already (change their role instead).
    """
    org = get_for(Organization.objects.all(), actor, Action.ADMINISTER, slug=org_slug)
    address = normalised_email(email)
    checked = check_role(role)
    if Membership.objects.filter(organization=org, user__email=address).exists():
        raise InvalidInput(f"{address} is a member of {org.name} already; change their role instead", "email")
    at = now or timezone.now()
    check_daily_limit(org, at)
    raw, digest = new_secret()
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .filter(organization=org, email=address, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    earlier_role = invitation.role if invitation is not None else None
    if invitation is None:
        invitation = Invitation(organization=org, email=address, created_at=at)
    invitation.role, invitation.digest, invitation.invited_by_id = checked, digest, actor.pk
    invitation.sent_at, invitation.expires_at = at, at + LIFETIME
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:  # another admin invited the same address at the same moment
        raise InvalidInput(f"{address} was invited a moment ago; see the invitations list", "email") from None
    send(invitation, raw, actor)
    if earlier_role is None:
        record(invitation, Verb.CREATED, actor, changes={"email": [None, address], "role": [None, checked]})
    else:
        changes: dict[str, list[object]] = (
            {"role": [earlier_role, checked]} if earlier_role != checked else {}
        )
        record(invitation, Verb.CHANGED, actor, "sent again", changes)
    return invitation


def pending_invitations(actor: AnyUser, org_slug: str) -> QuerySet[Invitation]:
    """The organisation's invitations neither accepted nor revoked, newest first (admins)."""
    org = get_for(Organization.objects.all(), actor, Action.ADMINISTER, slug=org_slug)
    return (
        Invitation.objects.restrict(actor, Action.ADMINISTER)
        .filter(organization=org, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by", "organization")
    )


def invitation_of(actor: AnyUser, org_slug: str, invitation_id: int) -> Invitation:
    """One invitation of the organisation, locked, for an admin to act on (404 or 403 otherwise)."""
    rows = Invitation.objects.select_for_update(of=("self",)).filter(organization__slug=org_slug)
    return get_for(rows, actor, Action.ADMINISTER, pk=invitation_id)


@transaction.atomic
def revoke_invitation(
    actor: AnyUser, org_slug: str, invitation_id: int, now: datetime | None = None
) -> Invitation:
    """Stop an invitation's link from working. Revoking twice is harmless; an accepted one stays."""
    invitation = invitation_of(actor, org_slug, invitation_id)
    if invitation.accepted_at is not None:
        raise InvalidInput(f"{invitation.email} accepted this invitation already", "invitation")
    if invitation.revoked_at is None:
        invitation.revoked_at = now or timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record(invitation, Verb.CHANGED, actor, "revoked")
    return invitation


@transaction.atomic
def resend_invitation(
    actor: AnyUser, org_slug: str, invitation_id: int, now: datetime | None = None
) -> Invitation:
    """Send an open invitation again with a new link and a new expiry; the old link stops working."""
    invitation = invitation_of(actor, org_slug, invitation_id)
    if not invitation.is_open:
        state = "accepted" if invitation.accepted_at is not None else "revoked"
        raise InvalidInput(f"this invitation was {state}; invite the address again", "invitation")
    at = now or timezone.now()
    check_daily_limit(invitation.organization, at)
    raw, invitation.digest = new_secret()
    invitation.invited_by_id = actor.pk
    invitation.sent_at, invitation.expires_at = at, at + LIFETIME
    invitation.save(update_fields=["digest", "invited_by", "sent_at", "expires_at"])
    send(invitation, raw, actor)
    record(invitation, Verb.CHANGED, actor, "sent again")
    return invitation


@sensitive_variables("raw")
def open_invitation(raw: str, now: datetime | None = None, *, lock: bool = False) -> Invitation | None:
    """The invitation whose link secret is ``raw`` while it can be accepted; None otherwise.

    Unknown, tampered, expired, revoked and used links all answer None alike.
    """
    if not raw or len(raw) > 100:
        return None
    rows = Invitation.objects.select_related("organization", "invited_by")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(digest=token_digest(raw)).first()
    at = now or timezone.now()
    if invitation is None or not invitation.is_open or invitation.expires_at <= at:
        return None
    return invitation


def account_for(invitation: Invitation) -> User | None:
    """The account with the invited address, if there is one (for the link's holder only)."""
    return User.objects.filter(email=invitation.email).first()


def join(invitation: Invitation, user: User, at: datetime) -> Membership:
    """Make ``user`` a member with the invited role (a member already keeps their role)."""
    with quiet():  # one event says it all: the invitation accepted, by whom, with which role
        membership, _ = Membership.objects.get_or_create(
            organization=invitation.organization, user=user, defaults={"role": invitation.role}
        )
    invitation.accepted_at, invitation.accepted_by = at, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record(invitation, Verb.CHANGED, user, "accepted", {"role": [None, membership.role]})
    return membership


@transaction.atomic
@sensitive_variables("raw")
def accept_invitation(user: User, raw: str, now: datetime | None = None) -> Membership:
    """``user`` accepts the invitation and joins; only the account with the invited address may."""
    at = now or timezone.now()
    invitation = open_invitation(raw, at, lock=True)
    if invitation is None:
        raise InvalidInput(NOT_VALID, "invitation")
    if not user.is_active or user.email.lower() != invitation.email:
        raise InvalidInput(
            f"this invitation was sent to {invitation.email}: log in with that address to accept it",
            "invitation",
        )
    return join(invitation, user, at)


@transaction.atomic
@sensitive_variables("raw", "password")
def join_with_new_account(raw: str, name: str, password: str, now: datetime | None = None) -> Membership:
    """Create the account for the invited address (the link proves it is theirs) and join.

    Refused when the address has an account already: its owner logs in and accepts instead.
    """
    at = now or timezone.now()
    invitation = open_invitation(raw, at, lock=True)
    if invitation is None:
        raise InvalidInput(NOT_VALID, "invitation")
    if account_for(invitation) is not None:
        raise InvalidInput("there is an account with this address: log in to accept", "invitation")
    name = name.strip()
    if not name:
        raise InvalidInput("say what to call you", "name")
    if len(name) > 150:
        raise InvalidInput("a name has at most 150 characters", "name")
    check_one_line(name, "name")
    user = User(email=invitation.email, name=name)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), "password") from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the account was created a moment ago, by another page
        raise InvalidInput("there is an account with this address: log in to accept", "invitation") from None
    return join(invitation, user, at)

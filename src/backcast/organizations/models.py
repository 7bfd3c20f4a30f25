"""Organisations are the tenants; people belong to them through memberships with a role."""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from backcast.organizations.tenancy import Role, TenantQuerySet
from backcast.text import validate_one_line


def validate_timezone(value: str) -> None:
    """Accept only IANA time-zone names, the zone in which plan dates are calendar dates."""
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris)")


class Organization(models.Model):
    """A tenant: nothing of one organisation is ever visible to members of another."""

    tenant_path = "id"

    name = models.CharField(max_length=120, validators=[validate_one_line])
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    created_at = models.DateTimeField(default=now)

    objects: ClassVar[TenantQuerySet[Organization]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's role in one organisation. One membership per person and organisation."""

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=now)

    objects: ClassVar[TenantQuerySet[Membership]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["organization", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class Team(models.Model):
    """A group of members inside an organisation (a line, a shift, a desk) that goals belong to."""

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120, validators=[validate_one_line])
    slug = models.SlugField(max_length=60)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    created_at = models.DateTimeField(default=now)

    objects: ClassVar[TenantQuerySet[Team]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="team_slug_unique_in_org"),
        ]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """An admin's offer of a role in an organisation to whoever holds one e-mail address.

    Nobody becomes a member without consent: an admin invites an address, a link goes to it, and
    only the person who opens the link and accepts (logged in with that address, or creating the
    account for it) joins. The link's secret is stored only as its SHA-256 ``digest``; it works
    until ``expires_at``, once, and not after ``revoked_at``. Resending draws a new secret, so an
    earlier link stops working. Inviting names no account: the row holds the address as typed
    (lower-cased), whether or not anyone has an account with it. Rows stay after acceptance and
    revocation as the organisation's record of who was invited, by whom and when.
    """

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("e-mail address")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.CONTRIBUTOR)
    digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[TenantQuerySet[Invitation]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["organization", "-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.role})"

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may have expired: it can be sent again)."""
        return self.accepted_at is None and self.revoked_at is None

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

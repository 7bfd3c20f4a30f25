"""The audit trail: one :class:`Event` for every change, who made it, when, before and after.

Events are written by :mod:`backcast.activity.tracking` (model signals, for every save and
delete of the tracked models, whoever makes it) and by the services that write in bulk
(readings) or move rows in and out of the trash. They are never changed afterwards, except that
the changes of one request to one object are folded into one event.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from backcast.organizations.models import Organization
from backcast.organizations.tenancy import TenantQuerySet


class Verb(models.TextChoices):
    """What happened to the object."""

    CREATED = "created", "created"
    CHANGED = "changed", "changed"
    DELETED = "deleted", "deleted"
    RESTORED = "restored", "restored"
    PURGED = "purged", "purged"
    RECORDED = "recorded", "recorded"  # readings, in one batch


class Event(models.Model):
    """One change to one object of an organisation, as it was when it happened.

    The goal is kept as its id and title, not a foreign key, and the actor's name is kept beside
    the (nullable) link to their account: the trail survives the deletion and purge of what it
    describes, and of the person. ``changes`` maps each field to ``[before, after]`` in JSON:
    dates as ISO strings, links to other rows as ``{"id": ..., "label": ...}``, lists of people
    as lists of names; a created object has only ``after`` values, a deleted one only ``before``.
    ``detail`` says what a domain verb did (``1,204 readings from otd.csv``).
    """

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="events")
    goal_id = models.IntegerField(null=True, blank=True)
    goal_title = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    at = models.DateTimeField(default=now)
    action = models.CharField(max_length=12, choices=Verb.choices)
    object_type = models.CharField(max_length=20)
    object_id = models.IntegerField(null=True, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    objects: ClassVar[TenantQuerySet[Event]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-at", "-id"], name="event_org_feed"),
            models.Index(fields=["goal_id", "-at", "-id"], name="event_goal_feed"),
            models.Index(fields=["object_type", "object_id", "-at"], name="event_object_history"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type} {self.object_label!r}"

    def change_list(self) -> list[tuple[str, Any, Any]]:
        """The changes as ``(field, before, after)``, in the order they were recorded."""
        return [(name, pair[0], pair[1]) for name, pair in (self.changes or {}).items()]

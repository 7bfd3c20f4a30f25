"""The notifications outbox: what to tell whom, and each attempt to tell them.

A :class:`Notification` is one message to one person (``recipient``) or to the organisation's
chat webhooks (``recipient`` empty). Its ``key`` is unique and names what it is about
(``reminder:<goal>:<user>:<period start>``, ``digest:<org>:<user>:<ISO week>``,
``mention:<comment>:<user>``), so several worker processes that decide at the same moment to
send the same thing create it once: the second insert fails on the constraint and is ignored.
Each notification has one :class:`Delivery` per channel (e-mail, or each subscribed webhook),
claimed by one worker at a time with a lease (``claim_token``, ``claimed_until``) and retried
with backoff; every try is kept as an :class:`Attempt`, the delivery log.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from backcast.organizations.models import Organization
from backcast.organizations.tenancy import TenantQuerySet
from backcast.text import validate_one_line


class Kind(models.TextChoices):
    """What a notification is about; webhooks subscribe to kinds, people can mute them by e-mail."""

    REMINDER = "reminder", "Review reminders"
    DIGEST = "digest", "Weekly digest"
    MENTION = "mention", "Mentions in comments"


class Preference(models.Model):
    """A person's e-mail switches: all notifications, or each kind. No row means all on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    email = models.BooleanField("E-mail me notifications", default=True)
    reminder = models.BooleanField("Review reminders", default=True)
    digest = models.BooleanField("Weekly digest", default=True)
    mention = models.BooleanField("Mentions in comments", default=True)

    def __str__(self) -> str:
        return f"notification preferences of user {self.user_id}"

    def wants(self, kind: str) -> bool:
        """Whether this person wants ``kind`` by e-mail."""
        return self.email and bool(getattr(self, kind, False))


class Webhook(models.Model):
    """An organisation's outgoing webhook: a chat channel (Slack, Teams, Lark) or any HTTP receiver.

    ``secret`` signs every request (``X-Backcast-Signature``); it is kept in clear because signing
    needs it, shown once when the webhook is created and never again. ``url`` often embeds the
    chat tool's own secret, so pages and logs show only :attr:`masked_url`. ``events`` lists the
    :class:`Kind` values it receives.
    """

    tenant_path = "organization"

    class Tool(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"
        LARK = "lark", "Lark"
        GENERIC = "generic", "Any receiver (Backcast's JSON)"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=100, validators=[validate_one_line])
    tool = models.CharField(max_length=10, choices=Tool.choices, default=Tool.GENERIC)
    url = models.URLField(max_length=1000)
    secret = models.CharField(max_length=128)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects: ClassVar[TenantQuerySet[Webhook]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["organization", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_tool_display()}, {self.masked_url})"

    @property
    def masked_url(self) -> str:
        """The URL without its path or query, where chat tools put their secret."""
        return mask_url(self.url)


def mask_url(url: str) -> str:
    """``https://hooks.slack.com/services/T0/B0/XYZ`` -> ``https://hooks.slack.com/…``."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


class Notification(models.Model):
    """One message to one person, or to the organisation's webhooks when ``recipient`` is empty."""

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)  # a path on this site, e.g. /goals/3/
    created_at = models.DateTimeField(default=now)

    objects: ClassVar[TenantQuerySet[Notification]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "kind", "created_at"])]

    def __str__(self) -> str:
        return self.key


class Delivery(models.Model):
    """Sending one notification by one channel: its state, its lease and its last outcome.

    ``pending`` rows are due at ``next_attempt_at``. A worker claims a row by moving it to
    ``sending`` with its own ``claim_token`` and a lease (``claimed_until``); a row still
    ``sending`` after its lease (the worker died) can be claimed again. ``attempts`` counts the
    claims; after the last allowed one a failure is final (``failed``).
    """

    tenant_path = "notification__organization"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects: ClassVar[TenantQuerySet[Delivery]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} of {self.notification_id}: {self.status}"


class Attempt(models.Model):
    """One try at a delivery: when, what the receiver answered (HTTP status) or what went wrong."""

    tenant_path = "delivery__notification__organization"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=now)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    objects: ClassVar[TenantQuerySet[Attempt]] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

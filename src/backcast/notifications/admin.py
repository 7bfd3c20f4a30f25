"""The back office: webhooks (never their secret), notifications and the delivery log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backcast.notifications.models import Attempt, Delivery, Notification, Preference, Webhook


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin[Webhook]):
    """Staff can switch a webhook off or change its events; its URL is masked, its secret hidden.

    Webhooks are added on the organisation's page, where the secret is shown once to the admin.
    """

    list_display = ["name", "organization", "tool", "masked_url", "active", "created_at"]
    list_filter = ["tool", "active"]
    search_fields = ["name", "organization__name"]
    fields = ["organization", "name", "tool", "masked_url", "events", "active", "created_at", "created_by"]
    readonly_fields = ["organization", "tool", "masked_url", "created_at", "created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class AttemptInline(admin.TabularInline[Attempt, Delivery]):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["number", "at", "response_status", "error", "duration_ms"]
    readonly_fields = ["number", "at", "response_status", "error", "duration_ms"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    """The delivery log: each delivery's state and every attempt, with the receiver's answer."""

    list_display = [
        "notification",
        "channel",
        "webhook",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["notification__key", "notification__subject"]
    readonly_fields = [
        "notification", "channel", "webhook", "attempts", "claim_token", "claimed_until",
        "last_error", "response_status", "sent_at", "created_at",
    ]  # fmt: skip
    fields = ["status", "next_attempt_at", *readonly_fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["key", "kind", "organization", "recipient", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key", "subject", "recipient__email"]
    readonly_fields = ["organization", "recipient", "kind", "key", "subject", "body", "link", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin[Preference]):
    list_display = ["user", "email", "reminder", "digest", "mention"]
    search_fields = ["user__email"]

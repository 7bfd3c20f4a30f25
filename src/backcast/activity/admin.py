"""The trail in the back office: read-only, as an audit trail must be."""

from django.contrib import admin
from django.http import HttpRequest

from backcast.activity.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = [
        "at",
        "organization",
        "actor_label",
        "action",
        "object_type",
        "object_label",
        "goal_title",
    ]
    list_filter = ["organization", "action", "object_type"]
    search_fields = ["object_label", "goal_title", "actor_label"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

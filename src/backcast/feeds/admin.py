from django.contrib import admin
from django.http import HttpRequest

from backcast.feeds.models import CalendarFeed


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin[CalendarFeed]):
    """Staff see who has which feed and may delete one (revoke); the secret is never shown."""

    list_display = ["user", "goal", "created_at", "rotated_at", "last_fetched_at"]
    search_fields = ["user__email", "goal__title"]
    readonly_fields = ["user", "goal", "digest", "created_at", "rotated_at", "last_fetched_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:  # secrets are issued by their owners only
        return False

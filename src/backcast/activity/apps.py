from django.apps import AppConfig


class ActivityConfig(AppConfig):
    """The audit trail: every change, who made it and when, before and after; the activity feeds."""

    name = "backcast.activity"
    label = "activity"
    verbose_name = "Activity"

    def ready(self) -> None:
        from backcast.activity import tracking

        tracking.connect()

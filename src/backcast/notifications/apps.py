from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Notifications by e-mail and outgoing webhooks, their delivery log, reminders and digests."""

    name = "backcast.notifications"
    label = "notifications"
    verbose_name = "Notifications"

from django.apps import AppConfig


class FeedsConfig(AppConfig):
    """iCalendar feeds of milestones per person and per goal, behind rotatable secret URLs."""

    name = "backcast.feeds"
    label = "feeds"
    verbose_name = "Calendar feeds"

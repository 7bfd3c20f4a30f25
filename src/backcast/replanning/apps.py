from django.apps import AppConfig


class ReplanningConfig(AppConfig):
    """Accepted plans kept as baselines, variance against them, and what-if scenarios."""

    name = "backcast.replanning"
    label = "replanning"
    verbose_name = "Re-planning"

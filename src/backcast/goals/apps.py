from django.apps import AppConfig


class GoalsConfig(AppConfig):
    """Goals and their alignment tree, KPIs and readings, milestones and dependencies, check-ins."""

    name = "backcast.goals"
    label = "goals"
    verbose_name = "Goals"

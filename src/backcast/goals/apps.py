from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class GoalsConfig(AppConfig):
    """Goals and their alignment tree, KPIs and readings, milestones and dependencies, check-ins."""

    name = "backcast.goals"
    label = "goals"
    verbose_name = "Goals"

    def ready(self) -> None:
        # The triggers that bump goal stamps live outside migrations: see backcast.goals.stamps.
        from backcast.goals import stamps

        pre_migrate.connect(stamps.before_migrate, dispatch_uid="backcast.goals.stamps.drop")
        post_migrate.connect(stamps.after_migrate, dispatch_uid="backcast.goals.stamps.install")

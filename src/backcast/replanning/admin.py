"""The back office for baselines and scenarios: read-only, for inspection by an operator.

Baselines are kept as accepted and never edited; scenarios are changed only through their
service, which checks them against the goal. Deleting is left to the goal's own deletion.
"""

from django.contrib import admin
from django.http import HttpRequest

from backcast.replanning.models import Baseline, Scenario


class ReadOnlyAdmin:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Baseline)
class BaselineAdmin(ReadOnlyAdmin, admin.ModelAdmin[Baseline]):
    list_display = ["goal", "number", "taken_at", "taken_by", "reason", "feasible", "earliest_finish"]
    list_filter = ["goal__organization"]
    search_fields = ["reason", "goal__title"]


@admin.register(Scenario)
class ScenarioAdmin(ReadOnlyAdmin, admin.ModelAdmin[Scenario]):
    list_display = ["name", "goal", "created_by", "created_at"]
    list_filter = ["goal__organization"]
    search_fields = ["name", "goal__title"]

"""The back office for goals and everything under them (staff only; the app's pages and API are for users).

Changes made here bypass the services' rules (cycles, capacity), so the admin is for inspection
and repairs by an operator; dependencies and demand are shown read-only for that reason.
"""

from django.contrib import admin
from django.http import HttpRequest

from backcast.goals.models import (
    KPI,
    CheckIn,
    Checkpoint,
    Demand,
    Dependency,
    Goal,
    Milestone,
    Reading,
    Resource,
)


class KpiInline(admin.TabularInline[KPI, Goal]):
    model = KPI
    extra = 0
    fields = ["name", "unit", "direction", "baseline", "baseline_date", "target", "target_date", "source"]


class MilestoneInline(admin.TabularInline[Milestone, Goal]):
    model = Milestone
    extra = 0
    fields = ["title", "owner", "duration", "status", "pinned_start", "pinned_finish"]
    autocomplete_fields = ["owner"]


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin[Goal]):
    list_display = ["title", "organization", "team", "owner", "deadline", "level", "cadence"]
    list_filter = ["organization", "level", "cadence"]
    search_fields = ["title", "description"]
    date_hierarchy = "deadline"
    autocomplete_fields = ["owner", "parent", "contributors"]
    inlines = [KpiInline, MilestoneInline]


class ReadingInline(admin.TabularInline[Reading, KPI]):
    model = Reading
    extra = 0
    fields = ["date", "value", "key", "recorded_by"]
    readonly_fields = ["recorded_by"]


class CheckpointInline(admin.TabularInline[Checkpoint, KPI]):
    model = Checkpoint
    extra = 0
    fields = ["date", "value", "pinned_by"]
    readonly_fields = ["pinned_by"]


@admin.register(KPI)
class KpiAdmin(admin.ModelAdmin[KPI]):
    list_display = ["name", "goal", "unit", "direction", "baseline", "target"]
    search_fields = ["name", "goal__title"]
    inlines = [CheckpointInline, ReadingInline]


class DependencyInline(admin.TabularInline[Dependency, Milestone]):
    model = Dependency
    fk_name = "successor"
    extra = 0
    can_delete = False
    fields = ["predecessor", "kind", "lag"]
    readonly_fields = ["predecessor", "kind", "lag"]

    def has_add_permission(self, request: HttpRequest, obj: Milestone | None = None) -> bool:
        return False


class DemandInline(admin.TabularInline[Demand, Milestone]):
    model = Demand
    extra = 0
    can_delete = False
    fields = ["resource", "units"]
    readonly_fields = ["resource", "units"]

    def has_add_permission(self, request: HttpRequest, obj: Milestone | None = None) -> bool:
        return False


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin[Milestone]):
    list_display = ["title", "goal", "owner", "duration", "status"]
    list_filter = ["status"]
    search_fields = ["title", "goal__title"]
    autocomplete_fields = ["owner"]
    raw_id_fields = ["goal", "parent"]
    inlines = [DependencyInline, DemandInline]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin[Resource]):
    list_display = ["name", "organization", "team", "capacity"]
    list_filter = ["organization"]
    search_fields = ["name"]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin[CheckIn]):
    list_display = ["goal", "milestone", "author", "status", "confidence", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["goal", "milestone"]
    readonly_fields = ["author"]

"""Forms of the goal pages. Django validates types; the services enforce the rules across fields."""

from __future__ import annotations

from typing import Any

from django import forms

from backcast.goals.models import KPI, Cadence, CheckIn, Goal
from backcast.organizations.models import Organization

DATE = forms.DateInput(attrs={"type": "date"})


class GoalForm(forms.Form):
    """A goal's own fields; owner, team and parent are limited to the organisation's."""

    title = forms.CharField(max_length=200, help_text="Name the outcome: “Raise on-time delivery to 95%”")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    deadline = forms.DateField(widget=DATE, help_text="The last working day it may finish on")
    start = forms.DateField(
        widget=DATE, required=False, help_text="Earliest day work may begin; empty: today"
    )
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    parent = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Serves")
    cadence = forms.ChoiceField(choices=Cadence.choices, initial=Cadence.WEEKLY, label="Review cadence")

    def __init__(self, *args: Any, org: Organization, goal: Goal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        members = org.memberships.select_related("user").order_by("user__name", "user__email")
        self.fields["owner"].choices = blank + [(m.user_id, m.user.display_name) for m in members]  # type: ignore[attr-defined]
        self.fields["team"].choices = blank + [(t.pk, t.name) for t in org.teams.all()]  # type: ignore[attr-defined]
        parents = Goal.objects.filter(organization=org)
        if goal is not None:
            parents = parents.exclude(pk=goal.pk)
        self.fields["parent"].choices = blank + [(g.pk, g.title) for g in parents]  # type: ignore[attr-defined]


class KPIForm(forms.Form):
    name = forms.CharField(max_length=120)
    unit = forms.CharField(max_length=30, help_text="%, days, minutes, units…")
    direction = forms.ChoiceField(choices=KPI.Direction.choices)
    baseline = forms.FloatField(required=False)
    baseline_date = forms.DateField(widget=DATE, required=False)
    target = forms.FloatField()
    target_date = forms.DateField(widget=DATE, required=False, help_text="Empty: the goal's deadline")


class ReadingForm(forms.Form):
    date = forms.DateField(widget=DATE)
    value = forms.FloatField()


class MilestoneForm(forms.Form):
    title = forms.CharField(max_length=200)
    duration = forms.IntegerField(min_value=0, required=False, help_text="Working days; 0 makes a checkpoint")
    optimistic = forms.IntegerField(min_value=0, required=False)
    likely = forms.IntegerField(min_value=0, required=False)
    pessimistic = forms.IntegerField(min_value=0, required=False)
    after = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Follows", help_text="Finish-to-start"
    )
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["after"].choices = [(m.pk, m.title) for m in goal.milestones.all()]  # type: ignore[attr-defined]
        members = goal.organization.memberships.select_related("user")
        self.fields["owner"].choices = [("", "—")] + [(m.user_id, m.user.display_name) for m in members]  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        """The cleaned form in the shape the milestone service takes."""
        data = self.cleaned_data
        estimate = [data["optimistic"], data["likely"], data["pessimistic"]]
        result: dict[str, Any] = {"title": data["title"], "after": data["after"], "owner": data["owner"]}
        if any(v is not None for v in estimate):
            result["estimate"] = estimate
        if data["duration"] is not None:
            result["duration"] = data["duration"]
        return result


class CheckInForm(forms.Form):
    status = forms.ChoiceField(choices=CheckIn.Status.choices)
    confidence = forms.IntegerField(min_value=0, max_value=10, help_text="0 (no chance) to 10 (certain)")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    blockers = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

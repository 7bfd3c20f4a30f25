"""Forms of the backward-planning wizard, one per step, built on the goal pages' own forms.

Django checks types and formats; the services check the rules across fields, and their faults
are put by the field they name (:meth:`WizardForm.put_service_error`). Django ties help and
errors to the input (``aria-describedby``) and marks an input at fault (``aria-invalid``); these
forms add that the first input at fault takes the focus (``autofocus``), so the page opens where
the person has to act, with or without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django import forms

from backcast.goals.models import Cadence, Goal, Milestone
from backcast.organizations.models import Organization
from backcast.planning.templates import TEMPLATES
from backcast.web.forms.goals import GoalForm, KPIForm, MilestoneForm

DATE = forms.DateInput(attrs={"type": "date"})
# Where a service's field name differs from the form's.
FIELD_ALIASES = {"estimate": "likely", "after[0]": "after", "demand": "units"}


def form_field(name: str | None) -> str | None:
    """The form field a service's fault names: ``after[2]`` is the ``after`` field, and so on."""
    if name is None:
        return None
    if name.startswith("after["):
        return "after"
    if name.startswith("demand."):
        return "units"
    return FIELD_ALIASES.get(name, name)


class WizardForm(forms.Form):
    """A form whose first fault takes the focus when the page opens again.

    Django ties help and errors to the input (``aria-describedby`` to ``<id>_helptext`` and
    ``<id>_error``) and marks an input at fault (``aria-invalid``); the templates render those ids.
    """

    focused = False

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        names = [field] if field in self.fields else []
        if field is None and isinstance(error, dict):
            names = [f for f in error if f in self.fields]
        if names and not self.focused:
            self.fields[names[0]].widget.attrs["autofocus"] = True
            self.focused = True

    def put_service_error(self, field: str | None, message: str) -> None:
        """Put a service's fault by the field it names, or above the form when it names none here.

        Takes the fault's parts rather than the exception: models' forms stay below the services.
        """
        name = form_field(field)
        if name in self.fields:
            self.add_error(name, message)
        else:
            self.add_error(None, f"{field}: {message}" if field else message)


class GoalStepForm(WizardForm, GoalForm):
    """Step 1: the end goal. The cadence waits for step 5; a template can fill in the rest."""

    template = forms.ChoiceField(required=False, widget=forms.RadioSelect, label="Start from")

    def __init__(self, *args: Any, org: Organization, goal: Goal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, org=org, goal=goal, **kwargs)
        del self.fields["cadence"]
        self.fields["title"].required = False
        owner = self.fields["owner"]
        owner.required = True  # the wizard makes SMART goals: one person answers for each
        owner.choices = owner.choices[1:]  # type: ignore[attr-defined]
        owner.help_text = "The one person who answers for this goal"
        self.fields["parent"].label = "Serves (parent objective)"
        self.fields["parent"].help_text = "The objective this goal is aligned to"
        self.fields["start"].help_text = "Earliest day work may begin; empty: today"
        choices = [("", "A blank goal")] + [
            (t.key, f"{t.title}: {len(t.kpis)} KPIs, {len(t.milestones)} milestones")
            for t in TEMPLATES.values()
        ]
        self.fields["template"].choices = choices  # type: ignore[attr-defined]
        if goal is not None:  # a goal that exists has its KPIs and milestones already
            del self.fields["template"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("template") and not (data.get("title") or "").strip() and "title" in data:
            self.add_error("title", "Name the outcome, or start from a template.")
        return data

    def service_data(self) -> dict[str, Any]:
        """The goal's fields as ``create_goal``/``update_goal`` take them (not the version kept)."""
        return {k: v for k, v in self.cleaned_data.items() if k not in ("template", "version", "loaded")}


class KpiStepForm(WizardForm, KPIForm):
    """Step 2: one KPI. A band KPI also needs its low and high bounds."""

    class Meta(KPIForm.Meta):
        fields = (*KPIForm.Meta.fields, "band_low", "band_high")
        help_texts = KPIForm.Meta.help_texts | {"band_low": "Stay-within-a-band KPIs only"}

    TYPED = ("name", "unit", "baseline", "target", "band_low", "band_high")

    def has_input(self) -> bool:
        """Whether the person typed anything into the KPI (defaults such as dates do not count)."""
        return any(str(self.data.get(self.add_prefix(k), "")).strip() for k in self.TYPED)

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v is not None}


class MilestoneStepForm(WizardForm, MilestoneForm):
    """Step 3: one milestone, asked backward: what must be done right before the last one added?"""

    before = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="It must finish before",
        help_text="None ticked: it leads straight to the deadline",
    )
    resource = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Uses resource")
    units = forms.IntegerField(min_value=0, required=False, label="Units per working day")
    TYPED = ("title", "duration", "optimistic", "likely", "pessimistic")

    def __init__(self, *args: Any, goal: Goal, anchor: Milestone | None, **kwargs: Any) -> None:
        super().__init__(*args, goal=goal, **kwargs)
        del self.fields["owner"]  # owners come at step 4
        deadline = f"{goal.deadline.day} {goal.deadline:%b %Y}"
        self.fields["title"].label = (
            f"What must be done right before “{anchor.title}”?"
            if anchor
            else f"What must be done right before the deadline, {deadline}?"
        )
        self.fields["title"].help_text = "Work backward: each milestone is what the next one needs"
        self.fields["after"].widget = forms.CheckboxSelectMultiple(choices=self.fields["after"].choices)  # type: ignore[attr-defined]
        self.fields["after"].label = "It can start only after"
        self.fields["after"].help_text = "Finish-to-start"
        self.fields["before"].choices = self.fields["after"].choices  # type: ignore[attr-defined]
        resources = list(goal.organization.resources.order_by("name"))
        if resources:
            self.fields["resource"].choices = [("", "—")] + [  # type: ignore[attr-defined]
                (r.pk, f"{r.name} ({r.capacity} a day)") for r in resources
            ]
        else:
            del self.fields["resource"], self.fields["units"]
        if not self.is_bound and anchor is not None:
            self.initial.setdefault("before", [anchor.pk])

    def has_input(self) -> bool:
        return any(str(self.data.get(self.add_prefix(k), "")).strip() for k in self.TYPED)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("resource") is not None and data.get("units") is None:
            self.add_error("units", "How many units a day does it use?")
        return data

    def service_data(self) -> dict[str, Any]:
        """The milestone as ``add_milestone`` takes it; ``before`` is passed on its own."""
        data = self.cleaned_data
        result: dict[str, Any] = {"title": data["title"], "after": data["after"]}
        estimate = [data["optimistic"], data["likely"], data["pessimistic"]]
        if any(v is not None for v in estimate):
            result["estimate"] = estimate
        if data["duration"] is not None:
            result["duration"] = data["duration"]
        if data.get("resource") is not None and data.get("units"):
            result["demand"] = {str(data["resource"]): data["units"]}
        return result


class OwnerDatesForm(WizardForm):
    """Step 4: one milestone's owner and optional pinned dates (one form per milestone).

    ``version`` (hidden) is the milestone's version as the page showed it: a row someone else
    changed since is refused rather than overwritten (``assign_milestones``).
    """

    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    pinned_start = forms.DateField(widget=DATE, required=False, label="Not before")
    pinned_finish = forms.DateField(widget=DATE, required=False, label="Done by")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(
        self, *args: Any, milestone: Milestone, members: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", f"m{milestone.pk}")
        kwargs.setdefault(
            "initial",
            {
                "owner": milestone.owner_id,
                "pinned_start": milestone.pinned_start,
                "pinned_finish": milestone.pinned_finish,
                "version": milestone.version,
            },
        )
        super().__init__(*args, **kwargs)
        self.milestone = milestone
        self.fields["owner"].choices = [("", "— no owner —"), *members]  # type: ignore[attr-defined]
        self.fields["owner"].label = f"Owner of “{milestone.title}”"
        self.fields["pinned_start"].label = f"“{milestone.title}” not before"
        self.fields["pinned_finish"].label = f"“{milestone.title}” done by"


class CadenceStepForm(WizardForm):
    """Step 5: how often the goal is reviewed."""

    cadence = forms.ChoiceField(
        choices=Cadence.choices,
        widget=forms.RadioSelect,
        label="Review cadence",
        help_text="How often the owner and contributors check in on this goal",
    )

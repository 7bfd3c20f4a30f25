"""The what-if form: a name and a few changes to try on a copy of the goal's plan.

Django checks types; the scenario service checks the rest and names the change at fault
(``changes.milestones[0].duration``), which :meth:`ScenarioForm.field_for` turns back into the
form field it came from, so the error shows by that field.
"""

from __future__ import annotations

from typing import Any

from django import forms

from backcast.goals.models import Goal, Milestone, Resource

DATE = forms.DateInput(attrs={"type": "date"})


class ScenarioForm(forms.Form):
    """Name, new dates, per-milestone durations and removals, capacities, and one milestone to add."""

    name = forms.CharField(max_length=120, help_text="e.g. “Two more analysts” or “Audit slips a week”")
    deadline = forms.DateField(widget=DATE, required=False, label="New deadline")
    start = forms.DateField(widget=DATE, required=False, label="New start")
    add_title = forms.CharField(max_length=200, required=False, label="Add a milestone")
    add_duration = forms.IntegerField(min_value=0, required=False, label="Its duration (working days)")
    add_after = forms.TypedMultipleChoiceField(coerce=int, required=False, label="It follows")
    add_before = forms.TypedMultipleChoiceField(coerce=int, required=False, label="It comes before")

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.milestones = list(Milestone.objects.filter(goal=goal).order_by("pk"))
        self.resources = list(
            Resource.objects.filter(demands__milestone__goal=goal).distinct().order_by("name", "pk")
        )
        choices = [(m.pk, m.title) for m in self.milestones]
        self.fields["add_after"].choices = choices  # type: ignore[attr-defined]
        self.fields["add_before"].choices = choices  # type: ignore[attr-defined]
        for m in self.milestones:
            self.fields[f"duration_{m.pk}"] = forms.IntegerField(
                min_value=0, required=False, label=f"{m.title}: duration", help_text=f"now {m.duration}"
            )
            self.fields[f"remove_{m.pk}"] = forms.BooleanField(required=False, label=f"Remove {m.title}")
        for r in self.resources:
            self.fields[f"capacity_{r.pk}"] = forms.IntegerField(
                min_value=0, required=False, label=f"{r.name}: capacity", help_text=f"now {r.capacity} a day"
            )
        self.places: list[tuple[str, str]] = []

    def milestone_rows(self) -> list[tuple[Milestone, forms.BoundField, forms.BoundField]]:
        return [(m, self[f"duration_{m.pk}"], self[f"remove_{m.pk}"]) for m in self.milestones]

    def resource_rows(self) -> list[tuple[Resource, forms.BoundField]]:
        return [(r, self[f"capacity_{r.pk}"]) for r in self.resources]

    def service_data(self) -> dict[str, Any]:
        """The cleaned form as the scenario service takes it; remembers which field each change came from."""
        data = self.cleaned_data
        changes: dict[str, Any] = {"milestones": [], "remove": [], "capacity": [], "add": []}
        places = [("changes.deadline", "deadline"), ("changes.start", "start")]
        for m in self.milestones:
            if data.get(f"remove_{m.pk}"):
                places.append((f"changes.remove[{len(changes['remove'])}]", f"remove_{m.pk}"))
                changes["remove"].append(m.pk)
            elif data.get(f"duration_{m.pk}") is not None and data[f"duration_{m.pk}"] != m.duration:
                places.append((f"changes.milestones[{len(changes['milestones'])}]", f"duration_{m.pk}"))
                changes["milestones"].append({"id": m.pk, "duration": data[f"duration_{m.pk}"]})
        for r in self.resources:
            value = data.get(f"capacity_{r.pk}")
            if value is not None and value != r.capacity:
                places.append((f"changes.capacity[{len(changes['capacity'])}]", f"capacity_{r.pk}"))
                changes["capacity"].append({"resource": r.pk, "capacity": value})
        if data.get("add_title") or data.get("add_duration") is not None:
            places += [
                ("changes.add[0].title", "add_title"),
                ("changes.add[0].duration", "add_duration"),
                ("changes.add[0].after", "add_after"),
                ("changes.add[0].before", "add_before"),
                ("changes.add[0]", "add_title"),
            ]
            changes["add"].append(
                {
                    "title": data.get("add_title") or "",
                    "duration": data.get("add_duration"),
                    "after": data.get("add_after") or [],
                    "before": data.get("add_before") or [],
                }
            )
        for key in ("deadline", "start"):
            if data.get(key) is not None:
                changes[key] = data[key]
        self.places = places
        return {"name": data["name"], "changes": changes}

    def field_for(self, place: str | None) -> str | None:
        """The form field a service fault at ``place`` belongs to (None: the form as a whole)."""
        if place == "name":
            return "name"
        found = [(prefix, name) for prefix, name in self.places if place and place.startswith(prefix)]
        return max(found, key=lambda item: len(item[0]))[1] if found else None

"""Forms of the goal pages. Django validates types; the services enforce the rules across fields."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.http import QueryDict

from backcast import limits
from backcast.goals.models import KPI, Cadence, CheckIn, Goal, Milestone
from backcast.organizations.models import Organization

DATE = forms.DateInput(attrs={"type": "date"})


def shown(value: Any) -> str:
    """A field's value as the form sends it back: dates in ISO form, nothing as ''."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def comparable(value: Any) -> str:
    """A value as the form shows it, line endings and surrounding space evened out: browsers send
    a text area's lines ending in CR LF whichever way they were stored."""
    return shown(value).replace("\r\n", "\n").strip()


@dataclass(frozen=True, slots=True)
class Merge:
    """A save from a stale page against what was saved since, field by field (a three-way merge).

    ``mine``: fields this person changed and the other did not (or changed alike): applied.
    ``theirs``: fields someone else changed and this person did not: theirs are kept.
    ``clashes``: fields both changed, differently: the person decides, by the field.
    """

    mine: tuple[str, ...]
    theirs: tuple[str, ...]
    clashes: tuple[str, ...]


class VersionedForm(forms.Form):
    """An edit form that remembers which version of the row it shows, and what it showed.

    ``version`` goes to the service as the expected version: a change made by someone else in
    between makes the save a conflict instead of a silent overwrite. ``loaded`` keeps the values
    the page showed (JSON), the common ancestor of a three-way merge (:meth:`merge`): from it the
    form tells the fields this person changed from those the other person changed. Both are
    hidden; a post without them (an old page) is a blind write, as it was before versions. The
    values the page showed are not secret and need no signature: a person who alters them can
    only overwrite what they could overwrite by saving again.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)

    def versioned_fields(self) -> list[str]:
        return [f for f in self.fields if f not in ("version", "loaded")]

    def remember(self, values: dict[str, Any], version: int) -> None:
        """Set the hidden fields of an unbound form to the row as shown."""
        self.initial["version"] = version
        self.initial["loaded"] = self.snapshot(values)

    def snapshot(self, values: dict[str, Any]) -> str:
        return json.dumps({f: shown(values.get(f)) for f in self.versioned_fields()}, sort_keys=True)

    def rebased(self, current: dict[str, Any], version: int, theirs: Iterable[str] = ()) -> QueryDict:
        """The posted input over the row's current version, with the current value of each field in
        ``theirs`` (changed by someone else only): a save from it keeps their change there."""
        data = QueryDict(mutable=True)
        data.update(self.data)
        for name in theirs:
            data.setlist(self.add_prefix(name), [shown(current.get(name))])
        data[self.add_prefix("version")] = str(version)
        data[self.add_prefix("loaded")] = self.snapshot(current)
        return data

    def merge(self, before: str, current: dict[str, Any]) -> Merge | None:
        """This valid form's input against ``before`` (the ``loaded`` it carried) and ``current``.

        None when ``before`` is missing or garbled (an old page): nothing tells then who changed
        what. A field ``before`` does not name counts as unchanged by anyone else.
        """
        try:
            seen = json.loads(before) if before else None
        except ValueError:
            seen = None
        if not isinstance(seen, dict):
            return None
        mine: list[str] = []
        theirs: list[str] = []
        clashes: list[str] = []
        for name in self.versioned_fields():
            now = comparable(current.get(name))
            was = comparable(seen.get(name, now))
            typed = comparable(self.cleaned_data.get(name))
            if typed == was:
                if now != was:
                    theirs.append(name)
            elif now in (was, typed):
                mine.append(name)
            else:
                clashes.append(name)
        return Merge(tuple(mine), tuple(theirs), tuple(clashes))

    def differing(self, current: dict[str, Any]) -> list[str]:
        """The fields whose current value differs from the input: the clashes when no merge is known."""
        return [
            name
            for name in self.versioned_fields()
            if comparable(current.get(name)) != comparable(self.data.get(self.add_prefix(name), ""))
        ]

    def note_conflict(self, fields: Iterable[str], current: dict[str, Any], message: str, who: str) -> None:
        """Say at the top what happened, and by each of ``fields`` its value now.

        ``who`` ends each note ("by someone else at 14:05 on 3 Mar").
        """
        self.is_valid()
        self.add_error(None, message)
        for name in fields:
            self.add_error(name, f"Now {self.display(name, current.get(name))} — changed {who}.")

    def labels(self, names: Iterable[str]) -> str:
        """Fields named as a person reads them: “title, review cadence”."""
        return ", ".join(str(self.fields[n].label or n.replace("_", " ")).lower() for n in names)

    def display(self, name: str, value: Any) -> str:
        """A value as a person reads it: a choice's label, a date as 30 Jun 2031, or “empty”."""
        if value in (None, ""):
            return "empty"
        field = self.fields[name]
        choices = dict(getattr(field, "choices", []) or [])
        if value in choices:
            return f"“{choices[value]}”"
        if isinstance(value, date):
            return f"{value.day} {value:%b %Y}"
        return f"“{value}”"


class GoalForm(VersionedForm):
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
        if goal is None:  # a new goal has no version to keep
            del self.fields["version"], self.fields["loaded"]
        elif not self.is_bound:
            self.remember(goal_values(goal), goal.version)


def goal_values(goal: Goal) -> dict[str, Any]:
    """The goal's fields as the goal forms show them."""
    values = {f: getattr(goal, f) for f in ("title", "description", "deadline", "start", "cadence")}
    return values | {"owner": goal.owner_id, "team": goal.team_id, "parent": goal.parent_id}


class KPIForm(forms.ModelForm[KPI]):
    """A KPI's fields as the model declares them; a band is set in the wizard, the source by imports."""

    class Meta:
        model = KPI
        fields = tuple(f for f in KPI.FIELDS if f not in ("band_low", "band_high", "source"))
        widgets = {"baseline_date": DATE, "target_date": DATE}
        help_texts = {"unit": "%, days, minutes, units…", "target_date": "Empty: the goal's deadline"}


class ReadingForm(forms.Form):
    date = forms.DateField(widget=DATE)
    value = forms.FloatField()


class MilestoneForm(forms.ModelForm[Milestone]):
    """A milestone's title and duration or estimate as the model declares them, its predecessors
    and its owner (by id, as the service takes them)."""

    after = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label="Follows", help_text="Finish-to-start"
    )
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    class Meta:
        model = Milestone
        fields = ("title", "duration", "optimistic", "likely", "pessimistic")

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        duration = self.fields["duration"]
        duration.required, duration.initial = False, None  # or an estimate, whose likely value it takes
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
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=limits.TEXT_LENGTH
    )
    blockers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=limits.TEXT_LENGTH
    )

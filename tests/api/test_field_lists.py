"""A model's field list is declared once, on the model; the rest take it from there.

The service's spec checks those fields, the page form and the audit trail name them, and the API's
bodies and answers are made of the spec: a field added to one is a field added to all, or a
failure here.
"""

from __future__ import annotations

from pydantic import BaseModel

from backcast.activity.tracking import TRACKED
from backcast.api.goal_schemas import KPIIn, KPIOut, KPIPatch, MilestoneIn, MilestonePatch
from backcast.api.replanning_schemas import (
    AddedMilestone,
    CapacityChange,
    Changes,
    ChangesIn,
    MilestoneChange,
)
from backcast.goals.models import KPI, Milestone
from backcast.services.goals.kpis import KPIFields
from backcast.services.goals.milestones import MilestoneFields
from backcast.services.replanning import scenario_changes as changes
from backcast.services.replanning.scenario_changes import ScenarioChanges
from backcast.web.forms.goals import KPIForm, MilestoneForm
from backcast.web.forms.wizard import KpiStepForm


def test_a_kpis_fields() -> None:
    assert tuple(KPIFields.model_fields) == KPI.FIELDS
    assert TRACKED[KPI].fields == KPI.FIELDS
    assert tuple(KPIIn.model_fields) == KPI.FIELDS
    assert tuple(KPIPatch.model_fields) == (*KPI.FIELDS, "version")
    assert tuple(KPIOut.model_fields) == ("id", "goal", *KPI.FIELDS, "version")
    assert set(KPIForm.base_fields) < set(KpiStepForm.base_fields) and set(KPIForm.base_fields) < set(
        KPI.FIELDS
    )


def test_a_milestones_fields() -> None:
    estimate = {"optimistic", "likely", "pessimistic"}
    links = {"after", "demand"}
    assert set(MilestoneFields.model_fields) - {"estimate"} - links == set(Milestone.FIELDS) - estimate
    assert TRACKED[Milestone].fields == Milestone.FIELDS
    assert tuple(MilestonePatch.model_fields) == (*MilestoneFields.model_fields, "version")
    assert set(MilestoneIn.model_fields) == set(MilestoneFields.model_fields) - {
        "status",
        "actual_start",
        "actual_finish",
    }
    assert set(MilestoneForm.Meta.fields) <= set(Milestone.FIELDS)


def test_a_scenarios_changes() -> None:
    assert tuple(Changes.model_fields) == tuple(ChangesIn.model_fields) == tuple(ScenarioChanges.model_fields)
    pairs: list[tuple[type[BaseModel], type[BaseModel]]] = [
        (MilestoneChange, changes.MilestoneChange),
        (AddedMilestone, changes.AddedMilestone),
        (CapacityChange, changes.CapacityChange),
    ]
    for schema, spec in pairs:
        assert tuple(schema.model_fields) == tuple(spec.model_fields)

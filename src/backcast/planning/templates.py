"""The method's three worked examples as goal templates, and how their durations fit a deadline.

A template is a goal with KPIs and a milestone skeleton. Its durations are relative: each
milestone has a weight, and :func:`fit_durations` scales the weights so that the longest chain of
the skeleton fills a share of the working days between the start and the deadline, leaving the
rest as slack. Pure data and arithmetic; the services turn a template into rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class TemplateKpi:
    name: str
    unit: str
    direction: Literal["increase", "decrease"]
    baseline: float
    target: float


@dataclass(frozen=True, slots=True)
class TemplateMilestone:
    id: str
    title: str
    weight: int  # relative duration
    after: tuple[str, ...] = ()
    demand: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    title: str
    description: str
    kpis: tuple[TemplateKpi, ...]
    resources: Mapping[str, int]  # name -> capacity
    milestones: tuple[TemplateMilestone, ...]


def longest_chain(milestones: Sequence[TemplateMilestone], durations: Mapping[str, int]) -> int:
    """Length of the longest dependency chain, in the units of ``durations`` (skeletons are DAGs)."""
    finish: dict[str, int] = {}
    for m in milestones:  # templates list every milestone after its predecessors
        finish[m.id] = max((finish[p] for p in m.after), default=0) + durations[m.id]
    return max(finish.values(), default=0)


def fit_durations(template: Template, working_days: int, fill: float = 0.8) -> dict[str, int]:
    """Whole working-day durations whose longest chain is about ``fill`` of ``working_days``.

    Every milestone keeps at least one day; with very little time the chain may still exceed
    the window, which the planner will then report honestly rather than the template hiding it.
    """
    weights = {m.id: m.weight for m in template.milestones}
    chain = longest_chain(template.milestones, weights)
    scale = max(working_days, 1) * fill / chain
    return {key: max(1, round(weight * scale)) for key, weight in weights.items()}


MANUFACTURING = Template(
    key="manufacturing",
    title="Cut cycle time on the assembly lines to 34 minutes",
    description=(
        "Streamline production in the plant: remove changeover and breakdown losses so that cycle "
        "time falls, OEE rises and new variants reach the market sooner."
    ),
    kpis=(
        TemplateKpi("Cycle time", "min", "decrease", 42.0, 34.0),
        TemplateKpi("OEE", "%", "increase", 62.0, 75.0),
        TemplateKpi("Time to market", "days", "decrease", 120.0, 90.0),
    ),
    resources={"Process engineers": 2, "Maintenance crew": 3},
    milestones=(
        TemplateMilestone("map", "Map the value stream of lines 1-3", 10, (), {"Process engineers": 1}),
        TemplateMilestone("losses", "Measure OEE losses by cause", 10, ("map",), {"Process engineers": 1}),
        TemplateMilestone("smed", "Run SMED changeover workshops", 15, ("losses",), {"Process engineers": 1}),
        TemplateMilestone("balance", "Rebalance line 1 stations", 20, ("losses",), {"Process engineers": 1}),
        TemplateMilestone("pm", "Preventive maintenance plan", 15, ("losses",), {"Maintenance crew": 2}),
        TemplateMilestone("pilot", "Pilot on line 1", 20, ("smed", "balance"), {"Process engineers": 1}),
        TemplateMilestone(
            "rollout", "Roll out to lines 2 and 3", 30, ("pilot", "pm"), {"Process engineers": 2}
        ),
        TemplateMilestone("standard", "Standard work and layered audits", 10, ("rollout",)),
    ),
)

SUPPLY_CHAIN = Template(
    key="supply-chain",
    title="Raise on-time delivery to 95%",
    description=(
        "On-time delivery across the distribution network: carrier performance, dock scheduling "
        "and stock levels, measured by OTD, lead time and fill rate."
    ),
    kpis=(
        TemplateKpi("On-time delivery", "%", "increase", 82.0, 95.0),
        TemplateKpi("Order lead time", "days", "decrease", 6.0, 4.0),
        TemplateKpi("Fill rate", "%", "increase", 91.0, 97.0),
    ),
    resources={"Analysts": 2, "Planners": 2},
    milestones=(
        TemplateMilestone("audit", "Audit carrier performance data", 10, (), {"Analysts": 1}),
        TemplateMilestone("master", "Clean item and lane master data", 15, (), {"Analysts": 1}),
        TemplateMilestone("scorecards", "Carrier scorecards and reviews", 10, ("audit",), {"Analysts": 1}),
        TemplateMilestone("docks", "Dock appointment scheduling", 20, ("audit",), {"Planners": 1}),
        TemplateMilestone("stock", "Re-size safety stock", 15, ("master",), {"Planners": 1}),
        TemplateMilestone(
            "pilot", "Pilot with the top three carriers", 20, ("scorecards", "docks"), {"Planners": 1}
        ),
        TemplateMilestone("rollout", "Roll out to all lanes", 25, ("pilot", "stock"), {"Planners": 2}),
        TemplateMilestone("review", "Quarterly business review", 5, ("rollout",), {"Analysts": 1}),
    ),
)

CUSTOMER_SERVICE = Template(
    key="customer-service",
    title="Reach 90% CSAT with replies within 2 hours",
    description=(
        "Customer-service standards: answer faster, solve more on first contact, and measure how "
        "customers feel about it."
    ),
    kpis=(
        TemplateKpi("CSAT", "%", "increase", 78.0, 90.0),
        TemplateKpi("First response time", "h", "decrease", 8.0, 2.0),
        TemplateKpi("First contact resolution", "%", "increase", 65.0, 80.0),
    ),
    resources={"Team leads": 2, "Trainers": 1},
    milestones=(
        TemplateMilestone("taxonomy", "Ticket taxonomy and tagging", 10, (), {"Team leads": 1}),
        TemplateMilestone("kb", "Clean up the knowledge base", 20, ("taxonomy",), {"Team leads": 1}),
        TemplateMilestone("routing", "Skills-based routing rules", 10, ("taxonomy",), {"Team leads": 1}),
        TemplateMilestone("staffing", "Staffing model by hour of day", 15, (), {"Team leads": 1}),
        TemplateMilestone("training", "Agent training on the new playbooks", 15, ("kb",), {"Trainers": 1}),
        TemplateMilestone(
            "pilot", "Pilot with one shift", 20, ("routing", "training", "staffing"), {"Team leads": 1}
        ),
        TemplateMilestone(
            "rollout", "Roll out to every shift", 20, ("pilot",), {"Team leads": 2, "Trainers": 1}
        ),
        TemplateMilestone("audit", "Quality audit of 200 tickets", 10, ("rollout",), {"Team leads": 1}),
    ),
)

TEMPLATES: dict[str, Template] = {t.key: t for t in (MANUFACTURING, SUPPLY_CHAIN, CUSTOMER_SERVICE)}

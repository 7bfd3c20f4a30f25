"""The SMART check: each letter pass / warn / fail, with reasons a person can act on.

Structural and explainable, no guessing: every verdict follows from facts about the goal that the
caller gathers (its fields, KPIs, milestones, the engine's capacity verdict and the history
checks of its KPIs). Pure: ``today`` is one of the facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from backcast.planning.kpi import HistoryCheck

Status = Literal["pass", "warn", "fail"]
RANK: dict[str, int] = {"pass": 0, "warn": 1, "fail": 2}

# Words that state a wish rather than an outcome when nothing measurable follows them.
VAGUE = {
    "improve", "improving", "better", "enhance", "optimise", "optimize", "streamline", "boost",
    "work", "try", "focus", "strive", "more", "less", "excellence", "world-class", "best",
}  # fmt: skip
HAS_NUMBER = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class KpiFacts:
    """What the SMART check needs to know of one KPI."""

    name: str
    unit: str
    baseline: float | None
    target: float | None


@dataclass(frozen=True, slots=True)
class CapacityVerdict:
    """The engine's word on whether the plan fits: the earliest finish and the bottleneck if not."""

    feasible: bool
    earliest_finish: date | None = None
    bottleneck: str = ""


@dataclass(frozen=True, slots=True)
class GoalFacts:
    """Everything the SMART check looks at, gathered by the caller."""

    title: str
    description: str
    owner: str | None
    deadline: date | None
    today: date
    aligned: bool
    is_objective: bool = False
    kpis: Sequence[KpiFacts] = ()
    milestones: Sequence[tuple[str, date | None]] = ()  # (title, planned finish)
    capacity: CapacityVerdict | None = None
    history: Sequence[tuple[str, HistoryCheck]] = ()  # (KPI name, check)


@dataclass(frozen=True, slots=True)
class LetterCheck:
    """One letter of SMART: its verdict and the reasons behind it, each actionable."""

    letter: str
    name: str
    status: Status
    reasons: tuple[str, ...] = field(default=())


def worst(statuses: Sequence[Status]) -> Status:
    """The most severe of the statuses (pass when there are none)."""
    return max(statuses, key=lambda s: RANK[s], default="pass")


def verdict(letter: str, name: str, findings: Sequence[tuple[Status, str]], ok: str) -> LetterCheck:
    """A letter's check from its findings; with none, a pass with the ``ok`` reason."""
    if not findings:
        return LetterCheck(letter, name, "pass", (ok,))
    return LetterCheck(letter, name, worst([s for s, _ in findings]), tuple(r for _, r in findings))


def title_is_vague(title: str) -> bool:
    """A title is a wish when it has no number and leans on a vague verb or adjective."""
    words = {w.strip(".,;:!?()").lower() for w in title.split()}
    return not HAS_NUMBER.search(title) and bool(words & VAGUE)


def specific(facts: GoalFacts) -> LetterCheck:
    findings: list[tuple[Status, str]] = []
    if not facts.owner:
        findings.append(("fail", "no owner: name the one person who answers for this goal"))
    if not facts.description.strip():
        findings.append(("warn", "no description: say what changes, where, and for whom"))
    if len(facts.title.split()) < 3:
        findings.append(("warn", f"the title {facts.title!r} is too short to name an outcome"))
    elif title_is_vague(facts.title):
        findings.append(
            (
                "warn",
                f"the title {facts.title!r} states a wish; name the outcome and how far, e.g. 'Raise on-time delivery to 95%'",
            )
        )
    return verdict("S", "Specific", findings, "an owner, a description and a title that names an outcome")


def measurable(facts: GoalFacts) -> LetterCheck:
    if facts.is_objective and not facts.kpis:
        return LetterCheck(
            "M", "Measurable", "pass", ("an objective is measured through the goals aligned to it",)
        )
    if not facts.kpis:
        return LetterCheck(
            "M", "Measurable", "fail", ("no KPI yet: add one with a unit, a baseline and a target",)
        )
    complete = [k for k in facts.kpis if k.baseline is not None and k.target is not None and k.unit.strip()]
    if complete:
        names = ", ".join(k.name for k in complete)
        return LetterCheck("M", "Measurable", "pass", (f"measured by {names}",))
    missing = [k.name for k in facts.kpis if k.baseline is None]
    return LetterCheck(
        "M",
        "Measurable",
        "fail",
        (f"no KPI has a baseline yet: record where {', '.join(missing)} stands today",),
    )


def achievable(facts: GoalFacts) -> LetterCheck:
    findings: list[tuple[Status, str]] = []
    cap = facts.capacity
    if cap is None:
        findings.append(
            ("warn", "no plan yet: add milestones so capacity can be checked against the deadline")
        )
    elif not cap.feasible:
        finish = (
            f"; the earliest feasible finish is {cap.earliest_finish.isoformat()}"
            if cap.earliest_finish
            else ""
        )
        bottleneck = f" ({cap.bottleneck})" if cap.bottleneck else ""
        findings.append(("fail", f"the plan does not fit before the deadline{finish}{bottleneck}"))
    for name, check in facts.history:
        if check.verdict != "pass":
            findings.append((check.verdict, f"{name}: {check.reason}"))
    return verdict("A", "Achievable", findings, "the plan fits the team's capacity")


def relevant(facts: GoalFacts) -> LetterCheck:
    if facts.aligned:
        return LetterCheck("R", "Relevant", "pass", ("aligned to a parent objective",))
    if facts.is_objective:
        return LetterCheck("R", "Relevant", "pass", ("a top-level objective of the organisation",))
    return LetterCheck("R", "Relevant", "warn", ("not aligned: choose the objective this goal serves",))


def time_bound(facts: GoalFacts) -> LetterCheck:
    if facts.deadline is None:
        return LetterCheck(
            "T", "Time-bound", "fail", ("no deadline: set the last working day it may finish on",)
        )
    findings: list[tuple[Status, str]] = []
    if facts.deadline <= facts.today:
        findings.append(("fail", f"the deadline {facts.deadline.isoformat()} is not in the future"))
    late = [t for t, finish in facts.milestones if finish is not None and finish > facts.deadline]
    if late:
        findings.append(("fail", f"milestones finish after the deadline: {', '.join(late)}"))
    return verdict(
        "T", "Time-bound", findings, f"due {facts.deadline.isoformat()}, every milestone inside it"
    )


def smart_check(facts: GoalFacts) -> list[LetterCheck]:
    """The five letters, in order S, M, A, R, T."""
    return [specific(facts), measurable(facts), achievable(facts), relevant(facts), time_bound(facts)]

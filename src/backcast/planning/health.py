"""The health of a goal: on track, at risk or off track, with the reasons behind it.

Each signal contributes a finding with a severity; the goal's health is the most severe one, so
every status can be traced to the facts that caused it. Pure: the caller supplies the facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from backcast.planning.kpi import Direction, Forecast

Status = Literal["on_track", "at_risk", "off_track"]
RANK: dict[str, int] = {"on_track": 0, "at_risk": 1, "off_track": 2}
AT_RISK_PROBABILITY = 0.8
OFF_TRACK_PROBABILITY = 0.5
LOW_CONFIDENCE = 5


@dataclass(frozen=True, slots=True)
class KpiSignal:
    """A KPI's latest value against its interim target now, and its forecast at the deadline."""

    name: str
    unit: str
    direction: Direction
    target: float
    actual: float | None = None
    interim_target: float | None = None
    forecast: Forecast | None = None
    band_low: float | None = None
    band_high: float | None = None


@dataclass(frozen=True, slots=True)
class HealthFacts:
    """What health is computed from; anything unknown is None or empty and is simply not used."""

    kpis: Sequence[KpiSignal] = ()
    late_milestones: Sequence[str] = ()  # planned finish passed, not done
    min_slack: int | None = None  # working days, from the current plan
    feasible: bool | None = None
    probability_on_time: float | None = None
    latest_confidence: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason behind the health, with the status it alone would give."""

    status: Status
    signal: str
    text: str


@dataclass(frozen=True, slots=True)
class Health:
    """The goal's health and every finding behind it, most severe first."""

    status: Status
    findings: tuple[Finding, ...]


def better(direction: Direction, value: float, than: float) -> bool:
    """Whether ``value`` is at least as good as ``than`` for a KPI moving in ``direction``."""
    return value <= than if direction == "decrease" else value >= than


def distinct(a: float, b: float) -> tuple[str, str]:
    """Two different numbers written with the same, fewest decimals (up to four) that tell them apart.

    "65.71 behind 65.7" reads oddly and "65.7 behind 65.7" reads wrong; "65.71 behind 65.73"
    says it.
    """
    for decimals in range(5):
        left, right = f"{a:.{decimals}f}", f"{b:.{decimals}f}"
        if left != right:
            return left, right
    return f"{a:g}", f"{b:g}"


def kpi_findings(k: KpiSignal) -> list[Finding]:
    found: list[Finding] = []
    if k.direction == "band":
        low, high, actual = k.band_low, k.band_high, k.actual
        if actual is not None and low is not None and high is not None and not low <= actual <= high:
            found.append(
                Finding(
                    "at_risk",
                    "kpi",
                    f"{k.name} is {k.actual:g} {k.unit}, outside its band {k.band_low:g}-{k.band_high:g}",
                )
            )
        return found
    if (
        k.actual is not None
        and k.interim_target is not None
        and not better(k.direction, k.actual, k.interim_target)
    ):
        now, due = distinct(k.actual, k.interim_target)
        found.append(
            Finding(
                "at_risk", "kpi", f"{k.name} is {now} {k.unit}, behind its interim target of {due} {k.unit}"
            )
        )
    f = k.forecast
    if f is not None:
        pct = round(f.level * 100)
        if not better(k.direction, f.value, k.target):
            optimistic = f.high if k.direction == "increase" else f.low
            status: Status = "at_risk" if better(k.direction, optimistic, k.target) else "off_track"
            found.append(
                Finding(status, "forecast", f"{k.name} is forecast at {f.value:.3g} {k.unit} by the deadline "
                        f"({pct}% band {f.low:.3g}-{f.high:.3g}) against a target of {k.target:g}")
            )  # fmt: skip
    return found


def schedule_findings(facts: HealthFacts) -> list[Finding]:
    found: list[Finding] = []
    if facts.feasible is False:
        found.append(
            Finding(
                "off_track", "capacity", "the plan cannot finish by the deadline with the capacity it has"
            )
        )
    if facts.late_milestones:
        found.append(Finding("at_risk", "schedule", f"late milestones: {', '.join(facts.late_milestones)}"))
    if facts.min_slack is not None and facts.min_slack < 0:
        found.append(
            Finding("off_track", "schedule", f"the critical path is {-facts.min_slack} working days too long")
        )
    elif facts.min_slack == 0:
        found.append(Finding("at_risk", "schedule", "no slack left on the critical path"))
    p = facts.probability_on_time
    if p is not None and p < AT_RISK_PROBABILITY:
        status: Status = "off_track" if p < OFF_TRACK_PROBABILITY else "at_risk"
        found.append(Finding(status, "risk", f"{p:.0%} chance of finishing by the deadline"))
    if facts.latest_confidence is not None and facts.latest_confidence <= LOW_CONFIDENCE:
        found.append(
            Finding("at_risk", "checkin", f"the latest check-in's confidence is {facts.latest_confidence}/10")
        )
    return found


def health(facts: HealthFacts) -> Health:
    """Combine every signal: the health is the most severe finding, on track when there is none."""
    found = [f for k in facts.kpis for f in kpi_findings(k)] + schedule_findings(facts)
    found.sort(key=lambda f: -RANK[f.status])
    status: Status = found[0].status if found else "on_track"
    return Health(status, tuple(found))

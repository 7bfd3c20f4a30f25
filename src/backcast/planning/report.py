"""A plan's verdict in one sentence and as the JSON object of the ``backcast plan --json`` contract.

Shared by the command line and the API so that both say the same thing the same way. Dates are
ISO strings; nothing here computes, it only words and shapes what the engine found.
"""

from __future__ import annotations

from typing import Any

from backcast.planning.engine import PlanResult


def verdict(result: PlanResult) -> str:
    """One sentence a planner can act on: does the plan fit, and by how much."""
    days = abs(result.spare_days)
    unit = "working day" if days == 1 else "working days"
    what = "the levelled plan" if result.levelled else "the plan"
    if result.feasible:
        sentence = (
            f"Feasible: {what} must begin by {result.required_start} to finish by {result.deadline}, "
            f"{days} {unit} after the start {result.start}" + ("" if days else ", with no spare time") + "."
        )
    else:
        sentence = (
            f"Not feasible: {what} would have to begin on {result.required_start}, {days} {unit} "
            f"before the start {result.start}; begun on {result.start} it finishes on {result.earliest_finish}."
        )
    if result.risk is not None:
        risk = result.risk
        sentence += (
            f" Chance of finishing by the deadline: {risk.probability_on_time:.0%} "
            f"(80% by {risk.finish_p80})."
        )
    return sentence


def as_json(result: PlanResult) -> dict[str, Any]:
    """The plan as a JSON-ready dict: the contract's keys, and a few more a tool may want."""
    data: dict[str, Any] = {
        "goal": result.goal,
        "feasible": result.feasible,
        "levelled": result.levelled,
        "start": result.start.isoformat(),
        "deadline": result.deadline.isoformat(),
        "required_start": result.required_start.isoformat(),
        "earliest_finish": result.earliest_finish.isoformat(),
        "spare_days": result.spare_days,
        "verdict": verdict(result),
        "critical_path": list(result.critical_path),
        "milestones": [
            {
                "id": m.id,
                "title": m.title,
                "duration": m.duration,
                "start": m.start.isoformat(),
                "finish": m.finish.isoformat(),
                "slack": m.slack,
                "critical": m.critical,
                "earliest_start": m.earliest_start.isoformat(),
                "earliest_finish": m.earliest_finish.isoformat(),
                "latest_start": m.latest_start.isoformat(),
                "latest_finish": m.latest_finish.isoformat(),
            }
            for m in result.milestones
        ],
        "overloads": [
            {
                "resource": o.resource,
                "capacity": o.capacity,
                "milestones": list(o.milestones),
                "days_won": o.days_won,
                "message": o.message,
            }
            for o in result.overloads
        ],
    }
    if result.risk is not None:
        risk = result.risk
        data |= {
            "runs": risk.runs,
            "seed": risk.seed,
            "probability_on_time": risk.probability_on_time,
            "finish_p50": risk.finish_p50.isoformat(),
            "finish_p80": risk.finish_p80.isoformat(),
            "finish_p95": risk.finish_p95.isoformat(),
            "resource_links_dropped": risk.links_dropped,
        }
    return data

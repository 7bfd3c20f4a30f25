"""Presentation filters of the re-planning pages: slips, probabilities and their changes in words."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def slip(days: int | None) -> str:
    """'3 working days later', '1 working day earlier', 'unchanged' or '—' (not comparable)."""
    if days is None:
        return "—"
    if days == 0:
        return "unchanged"
    unit = "working day" if abs(days) == 1 else "working days"
    return f"{abs(days)} {unit} {'later' if days > 0 else 'earlier'}"


@register.filter
def percent(share: float | None) -> str:
    """A probability 0..1 as a whole percentage."""
    return "—" if share is None else f"{share:.0%}"


@register.filter
def points(change: float | None) -> str:
    """A change of probability in percentage points, with its sign."""
    if change is None:
        return "—"
    return "unchanged" if round(change * 100) == 0 else f"{change * 100:+.0f} points"


@register.filter
def changes_in_words(changes: dict[str, object]) -> str:
    """How much a scenario changes, counted: '2 durations · 1 removed · new deadline'."""
    parts = []
    for key, one, many in [
        ("milestones", "1 milestone changed", "{} milestones changed"),
        ("remove", "1 removed", "{} removed"),
        ("add", "1 added", "{} added"),
        ("capacity", "1 capacity", "{} capacities"),
    ]:
        value = changes.get(key)
        count = len(value) if isinstance(value, list) else 0
        if count:
            parts.append(one if count == 1 else many.format(count))
    parts += [f"new {key}" for key in ("deadline", "start") if changes.get(key)]
    return " · ".join(parts) or "no change yet"

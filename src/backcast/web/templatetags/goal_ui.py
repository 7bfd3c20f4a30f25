"""Small presentation filters of the goal pages: working days and health labels in words."""

from __future__ import annotations

from django import template

register = template.Library()

STATUS_LABELS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "pass": "Pass",
    "warn": "Warn",
    "fail": "Fail",
    "": "Not assessed",
}


@register.filter
def status_label(status: str | None) -> str:
    """The words for a health or SMART status; colour is never the only signal."""
    return STATUS_LABELS.get(status or "", str(status))


@register.filter
def workdays(days: int | None) -> str:
    """'12 working days', '1 working day', or '3 working days behind' for a negative slack."""
    if days is None:
        return "—"
    unit = "working day" if abs(days) == 1 else "working days"
    return f"{days} {unit}" if days >= 0 else f"{-days} {unit} behind"


@register.filter
def signed(value: float | None) -> str:
    """A number with its sign and at most three significant figures, for rates."""
    return "—" if value is None else f"{value:+.3g}"

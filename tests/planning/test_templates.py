"""The three worked examples and how their skeletons fit a deadline."""

from __future__ import annotations

import pytest

from backcast.planning.templates import TEMPLATES, fit_durations, longest_chain


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_templates_are_well_formed(key: str) -> None:
    template = TEMPLATES[key]
    ids = [m.id for m in template.milestones]
    assert len(ids) == len(set(ids))
    seen: set[str] = set()
    for m in template.milestones:
        assert set(m.after) <= seen, f"{m.id} is listed before one of its predecessors"
        assert set(m.demand) <= set(template.resources)
        assert all(units <= template.resources[r] for r, units in m.demand.items())
        seen.add(m.id)
    assert len(template.kpis) == 3
    assert all(k.baseline != k.target for k in template.kpis)


@pytest.mark.parametrize("days", [40, 120, 250])
def test_durations_fill_the_window(days: int) -> None:
    for template in TEMPLATES.values():
        durations = fit_durations(template, days)
        chain = longest_chain(template.milestones, durations)
        assert 0.7 * days <= chain <= 0.9 * days + len(template.milestones)
        assert min(durations.values()) >= 1


def test_tiny_windows_keep_every_milestone_at_least_a_day() -> None:
    durations = fit_durations(TEMPLATES["supply-chain"], 0)
    assert set(durations.values()) == {1}
    assert longest_chain((), {}) == 0

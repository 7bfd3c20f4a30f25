"""The goal list of the API: a fixed number of queries, pages that tile, progress as computed.

Integrations poll ``GET /api/v1/goals``; ``bench/load.py`` measures its throughput against the
trivial health check. What a test can pin down is the shape that throughput rests on: the list
reads only the page asked for, in as many queries for 3 goals as for 30, and its progress is
the one ``services.reporting.progress.goal_progress`` computes, also right after a new reading.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backcast.accounts.models import User
from backcast.goals.models import Goal
from backcast.organizations.models import Organization
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import ReadingIn, add_kpi, record_readings
from backcast.services.reporting.goal_list import GoalListing
from backcast.services.reporting.progress import goal_progress
from tests.api.client import Api

DAY = date(2026, 1, 5)  # of every reading: progress reads the latest value, whatever its day


def add_goals(user: User, objective: Goal, first: int, count: int, contributor: User) -> None:
    """``count`` goals serving ``objective``, each with a KPI and a reading; every third has none."""
    for i in range(first, first + count):
        goal = create_goal(
            user,
            {
                "title": f"Raise line {i} OEE to 85%",
                "deadline": date(2031, 6, 30) - timedelta(days=i % 7),
                "parent": objective.pk,
                "contributors": [contributor.email] if i % 2 else [],
            },
        )
        kpi = add_kpi(user, goal.pk, {"name": "OEE", "unit": "%", "baseline": 60.0, "target": 85.0})
        if i % 3:
            record_readings(user, kpi.pk, [ReadingIn(DAY, 60.0 + i % 25, key=f"r{i}")])


def queries(api: Api, url: str) -> tuple[int, Any, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        status, body = api.call("get", url)
    assert status == 200
    return len(captured), body, [q["sql"] for q in captured]


@pytest.fixture
def objective(alice: User) -> Goal:
    return create_goal(
        alice, {"title": "Best-in-class plants", "deadline": date(2031, 12, 31), "level": "objective"}
    )


def test_queries_do_not_grow_with_the_goals(api: Api, alice: User, carol: User, objective: Goal) -> None:
    queries(api, "/me")  # the token's first use records it
    baseline, _, _ = queries(api, "/me")  # the token and the middleware, whatever they cost
    counts = []
    for first, count in ((0, 3), (3, 27)):
        add_goals(alice, objective, first, count, carol)
        total = first + count + 1
        stale, _, _ = queries(api, "/goals")  # the new goals' summaries are computed and stored
        warm, body, sql = queries(api, "/goals?limit=2")
        assert body["count"] == total
        with_objective, body, _ = queries(api, f"/goals?limit=2&offset={total - 1}")
        assert [g["id"] for g in body["items"]] == [objective.pk]
        past_the_end, body, _ = queries(api, f"/goals?offset={total}")
        assert body == {"items": [], "count": total}
        counts.append((stale, warm, with_objective, past_the_end))
    assert counts[0] == counts[1]
    # The list's state comes in the token's query. Then counting; the page with its owners,
    # teams and stored summaries; its contributors. No KPI or reading is read, and only the
    # page's goals are.
    assert counts[1][1] - baseline == 3
    assert not [q for q in sql if "goals_kpi" in q or "goals_reading" in q]
    assert [q for q in sql if 'FROM "goals_goal"' in q and "LIMIT 2" in q]
    # An objective progresses as the goals serving it: their summaries are read too.
    assert counts[1][2] - baseline == 4
    # Past the end: counting, and the empty page.
    assert counts[1][3] - baseline == 2
    # Asked again with nothing changed: the token's query only, and the page as rendered before.
    again, body, _ = queries(api, f"/goals?offset={total}")
    assert again == baseline
    assert body == {"items": [], "count": total}


def test_pages_tile_the_list_in_order_with_progress_as_computed(
    api: Api, alice: User, carol: User, objective: Goal
) -> None:
    add_goals(alice, objective, 0, 12, carol)
    expected = goal_progress(list(Goal.objects.all()))
    assert expected[objective.pk] is not None  # rolled up from the goals that serve it
    for _ in range(2):  # as stored, then right after a reading makes one goal's summary stale
        listed = []
        for offset in range(0, 13, 5):
            _, body = api.call("get", f"/goals?limit=5&offset={offset}")
            assert body["count"] == 13
            listed += body["items"]
        order = [(g["deadline"], g["title"], g["id"]) for g in listed]
        assert order == sorted(order)
        assert len({g["id"] for g in listed}) == 13
        for g in listed:
            assert g["progress"] == pytest.approx(expected[g["id"]]), g["title"]
            assert g["smart"] is None
        assert {g["title"]: g["contributors"] for g in listed}["Raise line 1 OEE to 85%"] == [carol.email]
        kpi = Goal.objects.get(title="Raise line 4 OEE to 85%").kpis.get()
        record_readings(alice, kpi.pk, [ReadingIn(DAY, 84.0, key="late")])
        expected = goal_progress(list(Goal.objects.all()))


def test_filters_and_tenancy(api: Api, alice: User, carol: User, charlie: User, objective: Goal) -> None:
    from backcast.services.platform.organizations import create_team

    acme = Organization.objects.get(slug="acme-plant")
    team = create_team(alice, acme.slug, "Line 1")
    create_goal(
        alice, {"title": "Cut scrap on line 1 to 2%", "deadline": date(2031, 3, 31), "team": team.slug}
    )
    add_goals(alice, objective, 0, 2, carol)
    assert api.call("get", "/goals")[1]["count"] == 4
    items = api.call("get", f"/goals?team={team.slug}")[1]["items"]
    assert [(g["title"], g["team"], g["owner"], g["organization"]) for g in items] == [
        ("Cut scrap on line 1 to 2%", team.slug, alice.email, acme.slug)
    ]
    assert api.call("get", "/goals?organization=other-works")[1] == {"items": [], "count": 0}
    assert Api(charlie).call("get", "/goals")[1] == {"items": [], "count": 0}
    assert Api(carol).call("get", "/goals")[1]["count"] == 4


def test_listing_is_a_sequence_read_in_pages(alice: User, objective: Goal) -> None:
    create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    listing = GoalListing(Goal.objects.all())
    assert len(listing) == 2
    assert [g.title for g in listing[0:5]] == ["Raise OTD to 95%", "Best-in-class plants"]
    assert listing[-1].title == "Best-in-class plants"
    assert listing[5:9] == []
    with pytest.raises(IndexError):
        listing[2]
    with pytest.raises(ValueError, match="pages"):
        listing[0:2:2]

"""The goal list serves a page rendered before only while nothing it shows has changed.

Each change below is made the way the database sees it, by a plain ``QuerySet.update`` or a
row written outside the services where that is possible, so the test holds for the admin, an
import or raw SQL too. After each, the page served must be the page a fresh render gives, with a
new entity tag; before it, the same page again, for the same tag, costing no query beyond the
token's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backcast.accounts.models import User
from backcast.api.page_cache import GOAL_PAGES, PageCache
from backcast.goals import stamps
from backcast.goals.models import Goal
from backcast.organizations.models import Organization, Team
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import ReadingIn, add_kpi, record_readings
from backcast.services.goals.trash import restore_goal, trash_goal
from tests.api.client import Api


def get(api: Api, url: str = "/goals", **headers: str) -> tuple[int, bytes, str]:
    response = api.client.get(f"/api/v1{url}", headers={**api.headers, **headers})
    return response.status_code, response.content, response.get("ETag", "")


@pytest.fixture
def listed(alice: User, carol: User, acme: Organization) -> Goal:
    team = Team.objects.create(organization=acme, name="Line 1", slug="line-1")
    goal = create_goal(
        alice,
        {
            "title": "Cut scrap to 2%",
            "deadline": date(2031, 3, 31),
            "team": team.slug,
            "contributors": [carol.email],
        },
    )
    kpi = add_kpi(
        alice, goal.pk, {"name": "Scrap", "unit": "%", "direction": "decrease", "baseline": 9, "target": 2}
    )
    record_readings(alice, kpi.pk, [ReadingIn(date(2026, 1, 5), 8.0, key="first")])
    create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    return goal


def test_an_unchanged_list_is_served_again_and_its_tag_answers_304(api: Api, listed: Goal) -> None:
    status, first, tag = get(api)
    assert status == 200 and tag.startswith('W/"')
    with CaptureQueriesContext(connection) as me:
        api.client.get("/api/v1/me", headers=api.headers)
    with CaptureQueriesContext(connection) as again:
        status, body, same = get(api)
    assert (status, body, same) == (200, first, tag)
    assert len(again) == len(me)  # the token's query, which reads the list's state too
    for sent in (tag, tag.removeprefix("W/"), f'"other", {tag}', "*"):
        status, body, answered = get(api, **{"If-None-Match": sent})
        assert (status, body, answered) == (304, b"", tag), sent
    assert get(api, **{"If-None-Match": '"other"'})[:2] == (200, first)
    response = api.client.get("/api/v1/goals", headers=api.headers)
    assert response["Cache-Control"] == "private, no-cache"
    assert "Authorization" in response["Vary"]
    # Another page or filter is another tag.
    assert get(api, "/goals?limit=1")[2] != tag
    assert get(api, "/goals?team=line-1")[2] != tag


def test_people_of_the_same_organisations_share_pages_and_others_do_not(
    api: Api, listed: Goal, bob: User, charlie: User
) -> None:
    _, page, tag = get(api)
    assert get(Api(bob))[1:] == (page, tag)
    _, theirs, other = get(Api(charlie))
    assert other != tag and b"Cut scrap" not in theirs


def reading(goal: Goal) -> None:
    record_readings(goal.owner, goal.kpis.get().pk, [ReadingIn(date(2026, 2, 2), 3.0, key="late")])  # type: ignore[arg-type]


def purge(goal: Goal) -> None:
    Goal.all_objects.filter(pk=goal.pk).delete()


CHANGES: dict[str, Callable[[Goal], Any]] = {
    "a reading moves progress": reading,
    "the title": lambda g: Goal.objects.filter(pk=g.pk).update(title="Cut scrap to 1%"),
    "the deadline reorders the list": lambda g: Goal.objects.filter(pk=g.pk).update(
        deadline=date(2032, 1, 1)
    ),
    "a goal created": lambda g: Goal.objects.create(
        organization=g.organization, title="New", deadline=date(2030, 1, 1)
    ),
    "a goal trashed": lambda g: trash_goal(g.owner, g),  # type: ignore[arg-type]
    "a goal purged": purge,
    "a contributor added": lambda g: g.contributors.add(User.objects.get(email="bob@acme.test")),
    "a contributor removed": lambda g: g.contributors.clear(),
    "the team's slug": lambda g: Team.objects.filter(goals=g).update(slug="line-one"),
    "the owner's address": lambda g: User.objects.filter(owned_goals=g).update(email="alice@acme.example"),
    "a contributor's address": lambda g: User.objects.filter(email="carol@acme.test").update(
        email="carol@acme.example"
    ),
    "the organisation's slug": lambda g: Organization.objects.filter(pk=g.organization_id).update(
        slug="acme"
    ),
    "the organisation's time zone": lambda g: Organization.objects.filter(pk=g.organization_id).update(
        timezone="Pacific/Kiritimati"  # the day may turn with it, and progress is of a day
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_to_what_the_list_shows_renders_it_again(
    change: str, api: Api, listed: Goal, bob: User
) -> None:
    _, before, tag = get(api)
    stamps.forget(connection)  # as a new transaction: PostgreSQL bumps a goal once a transaction
    CHANGES[change](Goal.all_objects.get(pk=listed.pk))
    status, served, changed = get(api)
    GOAL_PAGES.clear()
    fresh = get(api)
    assert status == 200
    assert (served, changed) == fresh[1:]  # exactly what a fresh render gives
    assert changed != tag
    if change != "the organisation's time zone":
        assert served != before


def test_a_restored_goal_is_listed_again(api: Api, listed: Goal, alice: User) -> None:
    trash_goal(alice, listed)
    _, trashed, _ = get(api)
    stamps.forget(connection)
    restore_goal(alice, listed.pk)
    _, restored, _ = get(api)
    assert b"Cut scrap" not in trashed and b"Cut scrap" in restored


def test_what_the_list_does_not_show_keeps_its_page(api: Api, listed: Goal, alice: User) -> None:
    _, page, tag = get(api)
    stamps.forget(connection)
    User.objects.filter(pk=alice.pk).update(last_login=timezone.now() - timedelta(hours=1))  # a log-in
    Team.objects.filter(slug="line-1").update(name="Line one")
    assert get(api)[1:] == (page, tag)


def test_the_page_cache_keeps_recent_pages_within_its_budget() -> None:
    cache = PageCache(max_bytes=100)
    cache.put("a", b"x" * 20)
    cache.put("b", b"y" * 20)
    cache.put("huge", b"z" * 26)  # over a quarter of the budget: not kept
    assert cache.get("huge") is None
    assert cache.get("a") == b"x" * 20  # now the most recent
    for name in "cdef":
        cache.put(name, b"w" * 20)
    assert cache.get("b") is None  # the least recently used went first
    assert [cache.get(name) is not None for name in "acdef"] == [True] * 5
    assert cache.size == 100
    cache.put("a", b"v" * 10)  # replaced, not counted twice
    assert cache.size == 90


def test_a_session_and_a_token_read_the_same_page(api: Api, listed: Goal, alice: User) -> None:
    from tests.conftest import logged_in

    by_token = get(api)
    by_session = logged_in(alice).get("/api/v1/goals")
    assert (by_session.status_code, by_session.content, by_session["ETag"]) == by_token
    nobody = User.objects.create_user(email="nobody@nowhere.test", password=None)
    assert get(Api(nobody))[:2] == (200, b'{"items": [], "count": 0}')

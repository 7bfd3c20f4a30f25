"""The weekly digest: Mondays in the organisation's time zone, once a week, only with something to say."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail

from backcast.accounts.models import User
from backcast.goals.models import CheckIn, Comment, Goal
from backcast.notifications.models import Notification
from backcast.organizations.models import Organization
from backcast.services.goals.goals import create_goal
from backcast.services.goals.milestones import add_milestone
from backcast.services.notify.digest import send_digests, week_key
from backcast.services.notify.outbox import deliver_due
from backcast.services.notify.webhooks import create_webhook

MONDAY = datetime(2031, 3, 10, 7, 0, tzinfo=UTC)


@pytest.fixture
def goal(alice: User, carol: User, bob: User) -> Goal:
    goal = create_goal(
        alice,
        {
            "title": "Raise OTD to 95%",
            "deadline": date(2031, 3, 14),
            "start": date(2031, 3, 3),
            "contributors": [carol.email],
        },
    )
    add_milestone(alice, goal.pk, {"title": "Audit carriers", "duration": 3, "owner": carol.email})
    return goal


def test_digest_says_what_changed_is_due_and_at_risk(goal: Goal, alice: User, carol: User) -> None:
    CheckIn.objects.create(
        goal=goal, author=carol, status="at_risk", confidence=3, created_at=MONDAY - timedelta(days=2)
    )
    Comment.objects.create(
        goal=goal, author=carol, body="Carrier data is late", created_at=MONDAY - timedelta(days=1)
    )
    Comment.objects.create(goal=goal, author=alice, body="old news", created_at=MONDAY - timedelta(days=9))
    assert send_digests(MONDAY) == 2  # alice and carol; bob has no goal here
    mine = Notification.objects.get(recipient=alice)
    assert mine.key == f"digest:{goal.organization_id}:{alice.pk}:2031-W11"
    assert "At risk\n- Raise OTD to 95%: at risk" in mine.body
    assert "Due within a week\n- Audit carriers (Raise OTD to 95%): due Friday 14 March" in mine.body
    assert "Carol Contributor checked in: at risk, confidence 3/10" in mine.body
    assert "Carol Contributor commented: “Carrier data is late”" in mine.body
    assert "old news" not in mine.body  # older than a week
    carols = Notification.objects.get(recipient=carol)
    assert "checked in" not in carols.body  # her own doings are not news to her
    assert "Alice" not in carols.body
    deliver_due(MONDAY)
    assert sorted(m.to[0] for m in mail.outbox) == [alice.email, carol.email]


def test_once_a_week_and_only_on_mondays(goal: Goal, carol: User) -> None:
    CheckIn.objects.create(
        goal=goal, author=carol, status="at_risk", confidence=3, created_at=MONDAY - timedelta(days=1)
    )
    assert send_digests(MONDAY - timedelta(days=1)) == 0  # Sunday
    assert send_digests(MONDAY) == 2
    assert send_digests(MONDAY + timedelta(hours=8)) == 0
    assert send_digests(MONDAY + timedelta(days=1)) == 0  # Tuesday


def test_monday_is_the_organisations(goal: Goal, carol: User, acme: Organization) -> None:
    acme.timezone = "America/Los_Angeles"
    acme.save()
    CheckIn.objects.create(
        goal=goal, author=carol, status="at_risk", confidence=3, created_at=MONDAY - timedelta(days=1)
    )
    early = MONDAY.replace(hour=5)  # Monday 05:00 UTC is Sunday 22:00 in Los Angeles
    assert send_digests(early) == 0
    assert send_digests(early + timedelta(hours=9)) == 2


def test_nothing_to_say_means_no_digest(alice: User, bob: User) -> None:
    create_goal(alice, {"title": "Quiet goal", "deadline": date(2031, 12, 31)})
    assert send_digests(MONDAY) == 0
    assert not Notification.objects.exists()


def test_the_channel_gets_the_organisations_week(goal: Goal, alice: User, acme: Organization) -> None:
    create_webhook(
        alice, acme.slug, {"name": "ops", "tool": "teams", "url": "https://x.example/h", "events": ["digest"]}
    )
    send_digests(MONDAY)
    send_digests(MONDAY + timedelta(hours=1))
    [channel] = Notification.objects.filter(recipient=None)
    assert channel.key == f"digest:{acme.pk}:org:2031-W11"
    assert "Audit carriers" in channel.body


def test_week_key_is_the_iso_week() -> None:
    assert week_key(date(2031, 3, 10)) == "2031-W11"
    assert week_key(date(2027, 1, 3)) == "2026-W53"

"""Review periods, participation and reminders: once per period, from its middle, to who is missing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail

from backcast.accounts.models import User
from backcast.goals.models import CheckIn, Goal
from backcast.notifications.models import Notification
from backcast.organizations.models import Organization
from backcast.services.goals.goals import create_goal
from backcast.services.notify.outbox import deliver_due
from backcast.services.notify.reviews import (
    Period,
    participation,
    previous_period,
    review_period,
    send_reminders,
)
from backcast.services.notify.webhooks import create_webhook


@pytest.mark.parametrize(
    ("cadence", "day", "start", "end"),
    [
        ("weekly", date(2031, 3, 5), date(2031, 3, 3), date(2031, 3, 9)),  # Wednesday -> Mon..Sun
        ("weekly", date(2031, 3, 3), date(2031, 3, 3), date(2031, 3, 9)),
        ("weekly", date(2031, 3, 9), date(2031, 3, 3), date(2031, 3, 9)),
        ("fortnightly", date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 14)),
        ("fortnightly", date(2024, 1, 15), date(2024, 1, 15), date(2024, 1, 28)),
        ("fortnightly", date(2023, 12, 31), date(2023, 12, 18), date(2023, 12, 31)),
        ("monthly", date(2031, 2, 14), date(2031, 2, 1), date(2031, 2, 28)),
        ("monthly", date(2032, 2, 29), date(2032, 2, 1), date(2032, 2, 29)),
    ],
)
def test_review_periods(cadence: str, day: date, start: date, end: date) -> None:
    assert review_period(cadence, day) == Period(start, end)


def test_periods_tile_the_calendar() -> None:
    for cadence in ("weekly", "fortnightly", "monthly"):
        p = review_period(cadence, date(2030, 1, 1))
        for _ in range(30):
            nxt = review_period(cadence, p.end + timedelta(days=1))
            assert nxt.start == p.end + timedelta(days=1)
            assert previous_period(cadence, nxt) == p
            assert p.start <= p.reminder_day <= p.end
            p = nxt


def test_reminder_day_is_the_middle() -> None:
    assert review_period("weekly", date(2031, 3, 3)).reminder_day == date(2031, 3, 6)  # Thursday
    assert review_period("monthly", date(2031, 3, 3)).reminder_day == date(2031, 3, 16)


@pytest.fixture
def goal(alice: User, carol: User, bob: User) -> Goal:
    return create_goal(
        alice,
        {
            "title": "Raise OTD to 95%",
            "deadline": date(2031, 12, 31),
            "cadence": "weekly",
            "contributors": [carol.email],
        },
    )


def check_in(goal: Goal, user: User, at: datetime) -> None:
    CheckIn.objects.create(goal=goal, author=user, status="on_track", confidence=7, created_at=at)


def test_participation_of_the_current_and_last_period(goal: Goal, alice: User, carol: User) -> None:
    check_in(goal, carol, datetime(2031, 3, 4, 10, tzinfo=UTC))  # last week
    check_in(goal, alice, datetime(2031, 3, 11, 10, tzinfo=UTC))  # this week
    review = participation(goal, date(2031, 3, 12))
    assert review.current.period == Period(date(2031, 3, 10), date(2031, 3, 16))
    assert review.last.period == Period(date(2031, 3, 3), date(2031, 3, 9))
    assert (review.last.checked_in, review.last.missing) == ([carol], [alice])
    assert (review.current.checked_in, review.current.missing) == ([alice], [carol])
    assert review.days_left == 4


def test_periods_are_the_organisations_days(goal: Goal, carol: User, acme: Organization) -> None:
    acme.timezone = "Pacific/Auckland"
    acme.save()
    # Sunday 9 March 20:00 UTC is Monday 10 March 09:00 in Auckland: this week, not last
    check_in(goal, carol, datetime(2031, 3, 9, 20, tzinfo=UTC))
    goal.refresh_from_db()
    review = participation(goal, date(2031, 3, 12))
    assert carol in review.current.checked_in
    assert carol not in review.last.checked_in


def test_reminders_from_the_middle_of_the_period_once(goal: Goal, alice: User, carol: User) -> None:
    wednesday = datetime(2031, 3, 12, 12, tzinfo=UTC)
    assert send_reminders(wednesday) == 0  # before the middle of the week
    check_in(goal, alice, datetime(2031, 3, 11, 9, tzinfo=UTC))
    thursday = datetime(2031, 3, 13, 8, tzinfo=UTC)
    assert send_reminders(thursday) == 1  # carol only: alice checked in, bob is not on the goal
    assert send_reminders(thursday + timedelta(hours=5)) == 0
    assert send_reminders(datetime(2031, 3, 16, 23, tzinfo=UTC)) == 0  # still the same week
    [note] = Notification.objects.all()
    assert note.recipient == carol
    assert note.key == f"reminder:{goal.pk}:{carol.pk}:2031-03-10"
    assert note.subject == "Check in on “Raise OTD to 95%” by Sunday 16 March"
    deliver_due(thursday)
    assert [m.to for m in mail.outbox] == [[carol.email]]
    assert send_reminders(datetime(2031, 3, 20, 8, tzinfo=UTC)) == 2  # next week: both again


def test_a_checkin_after_the_middle_spares_the_reminder(goal: Goal, alice: User, carol: User) -> None:
    check_in(goal, alice, datetime(2031, 3, 13, 7, tzinfo=UTC))
    check_in(goal, carol, datetime(2031, 3, 13, 7, tzinfo=UTC))
    assert send_reminders(datetime(2031, 3, 13, 8, tzinfo=UTC)) == 0


def test_no_reminders_after_the_deadline(alice: User, acme: Organization) -> None:
    create_goal(alice, {"title": "Old goal", "deadline": date(2031, 1, 31)})
    assert send_reminders(datetime(2031, 3, 13, 8, tzinfo=UTC)) == 0


def test_the_channel_gets_one_message_per_goal_and_period(
    goal: Goal, alice: User, acme: Organization
) -> None:
    create_webhook(
        alice,
        acme.slug,
        {"name": "ops", "tool": "slack", "url": "https://hooks.example/x", "events": ["reminder"]},
    )
    send_reminders(datetime(2031, 3, 13, 8, tzinfo=UTC))
    send_reminders(datetime(2031, 3, 14, 8, tzinfo=UTC))
    [channel] = Notification.objects.filter(recipient=None)
    assert channel.body == "Not checked in yet: Alice Admin, Carol Contributor."
    assert channel.deliveries.get().channel == "webhook"

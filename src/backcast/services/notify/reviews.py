"""Review periods, who took part in them, and reminders for those who have not yet.

A goal's ``cadence`` cuts the organisation's calendar into review periods: weekly periods run
Monday to Sunday (ISO weeks); fortnightly ones are pairs of ISO weeks counted from Monday
1 January 2024; monthly ones are calendar months. Dates are the organisation's (its time zone).
Taking part in a period means posting at least one check-in on the goal or one of its milestones
during it; the people expected to are the goal's owner and contributors who are active members.

Reminders: from the middle of the current period on (the fourth day of a week, the eighth of a
fortnight, the sixteenth of a month... precisely ``start + length // 2``), each expected person
who has not checked in during the period gets one reminder, and the organisation's webhooks
subscribed to reminders get one message per goal naming them. The notification keys
(``reminder:<goal>:<user>:<period start>``) make that once per period, however many workers run.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from backcast.goals.models import Cadence, CheckIn, Goal
from backcast.notifications.models import Kind, Notification
from backcast.organizations.models import Membership, Organization
from backcast.services.notify import outbox

if TYPE_CHECKING:
    from backcast.accounts.models import User

FORTNIGHT_EPOCH = date(2024, 1, 1)  # a Monday; fortnights are counted from it


@dataclass(frozen=True, slots=True)
class Period:
    """A review period: ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def reminder_day(self) -> date:
        """The first day reminders go out: the middle of the period."""
        return self.start + timedelta(days=self.days // 2)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as an instant range [start, end) in the organisation's time zone."""
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


def review_period(cadence: str, day: date) -> Period:
    """The review period of ``cadence`` that contains ``day``."""
    if cadence == Cadence.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(day.replace(day=1), day.replace(day=last))
    if cadence == Cadence.FORTNIGHTLY:
        start = FORTNIGHT_EPOCH + timedelta(days=(day - FORTNIGHT_EPOCH).days // 14 * 14)
        return Period(start, start + timedelta(days=13))
    start = day - timedelta(days=day.weekday())
    return Period(start, start + timedelta(days=6))


def previous_period(cadence: str, period: Period) -> Period:
    """The period just before ``period``: the last complete one when ``period`` is the current."""
    return review_period(cadence, period.start - timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Participation:
    """Who of the expected people checked in during ``period``, and who did not (by name)."""

    period: Period
    checked_in: list[User]
    missing: list[User]


@dataclass(frozen=True, slots=True)
class Review:
    """A goal's current review period and the last complete one, each with who took part."""

    cadence: str
    today: date
    current: Participation
    last: Participation

    @property
    def days_left(self) -> int:
        return (self.current.period.end - self.today).days


def expected_people(goal: Goal, member_ids: set[int]) -> list[User]:
    """The goal's owner and contributors who are active members of its organisation."""
    people = {u.pk: u for u in goal.contributors.all()}
    if goal.owner is not None:
        people[goal.owner.pk] = goal.owner
    chosen = [u for pk, u in people.items() if pk in member_ids and u.is_active]
    return sorted(chosen, key=lambda u: (u.display_name.lower(), u.pk))


def participation(goal: Goal, today: date) -> Review:
    """Who checked in during the goal's current and last complete review periods (three queries)."""
    org = goal.organization
    zone = ZoneInfo(org.timezone)
    current = review_period(goal.cadence, today)
    last = previous_period(goal.cadence, current)
    members = set(Membership.objects.filter(organization=org).values_list("user_id", flat=True))
    people = expected_people(goal, members)
    since, until = last.bounds(zone)[0], current.bounds(zone)[1]
    authors: dict[date, set[int]] = defaultdict(set)
    for author, at in CheckIn.objects.filter(
        goal=goal, created_at__gte=since, created_at__lt=until
    ).values_list("author_id", "created_at"):
        if author is not None:
            authors[at.astimezone(zone).date()].add(author)

    def took_part(period: Period) -> Participation:
        ids = set().union(*(a for day, a in authors.items() if period.start <= day <= period.end))
        return Participation(
            period, [u for u in people if u.pk in ids], [u for u in people if u.pk not in ids]
        )

    return Review(goal.cadence, today, took_part(current), took_part(last))


def spoken(day: date) -> str:
    """``Thursday 4 June``: how a message names a day."""
    return f"{day:%A} {day.day} {day:%B}"


def send_reminders(now: datetime) -> int:
    """Remind everyone due a reminder now, in every organisation; returns how many were created."""
    made = 0
    for org in Organization.objects.all():
        made += remind_organization(org, now)
    return made


def remind_organization(org: Organization, now: datetime) -> int:
    """Reminders of one organisation at ``now``; keys already taken are skipped without a write."""
    zone = ZoneInfo(org.timezone)
    today = now.astimezone(zone).date()
    # goals whose period is past its middle and which were not over before the period began
    goals = [
        g
        for g in Goal.objects.filter(organization=org)
        .select_related("owner")
        .prefetch_related("contributors")
        if review_period(g.cadence, today).reminder_day <= today
        and review_period(g.cadence, today).start <= g.deadline
    ]
    if not goals:
        return 0
    members = set(
        Membership.objects.filter(organization=org, user__is_active=True).values_list("user_id", flat=True)
    )
    periods = {g.pk: review_period(g.cadence, today) for g in goals}
    earliest = min(p.start for p in periods.values())
    checked: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for goal_id, author, at in CheckIn.objects.filter(
        goal__in=goals, created_at__gte=datetime.combine(earliest, time.min, tzinfo=zone)
    ).values_list("goal_id", "author_id", "created_at"):
        if author is not None:
            checked[goal_id].append((author, at.astimezone(zone).date()))
    wanted: dict[str, tuple[Goal, User | None, list[User]]] = {}
    for g in goals:
        period = periods[g.pk]
        done = {a for a, day in checked[g.pk] if day >= period.start}
        missing = [u for u in expected_people(g, members) if u.pk not in done]
        for u in missing:
            wanted[f"reminder:{g.pk}:{u.pk}:{period.start.isoformat()}"] = (g, u, missing)
        if missing:
            wanted[f"reminder:{g.pk}:org:{period.start.isoformat()}"] = (g, None, missing)
    taken = set(Notification.objects.filter(key__in=list(wanted)).values_list("key", flat=True))
    made = 0
    for key, (g, person, missing) in wanted.items():
        if key in taken:
            continue
        period = periods[g.pk]
        end = spoken(period.end)
        if person is not None:
            subject = f"Check in on “{g.title}” by {end}"
            body = (
                f"The {g.get_cadence_display().lower()} review of “{g.title}” ends on {end} and you have "
                "not checked in yet. Say how it stands, how confident you are and what blocks you."
            )
        else:
            subject = f"Review of “{g.title}”: {len(missing)} still to check in by {end}"
            body = "Not checked in yet: " + ", ".join(u.display_name for u in missing) + "."
        note = outbox.enqueue(
            org, Kind.REMINDER, key, subject, body, f"/goals/{g.pk}/", recipient=person, now=now
        )
        made += note is not None and person is not None
    return made

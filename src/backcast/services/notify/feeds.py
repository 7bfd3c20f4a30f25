"""Calendar feeds: a person's milestones, or one goal's, as iCalendar behind a secret URL.

The secret carries 256 random bits, is shown once and is stored only as a SHA-256 digest, as API
tokens are. Issuing a feed again rotates it (a new secret replaces the digest, so the old URL
answers 404 at once); revoking deletes it. Anyone who can view a goal may have a feed of it.

The feed is read without a login, so every read checks again what the feed's user may view: the
personal feed lists only milestones of organisations they still belong to, and a goal feed
answers "not found" once they cannot view the goal. Dates are the goals' current plans, taken
from the plan cache shared with the pages (``services.reporting.portfolio.gather_many``: three queries for
any number of goals on the same day). Each event's SEQUENCE and LAST-MODIFIED come from
:class:`~backcast.feeds.models.EventRevision`, so calendar apps take new dates when they move.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from backcast.accounts.models import User
from backcast.feeds.ical import Event, calendar
from backcast.feeds.models import CalendarFeed, EventRevision, feed_digest
from backcast.goals.models import Goal, Milestone
from backcast.organizations.tenancy import Action, get_for
from backcast.planning.engine import PlannedMilestone
from backcast.planning.report import verdict
from backcast.services.platform.clock import org_today
from backcast.services.platform.errors import InvalidInput
from backcast.services.reporting.portfolio import GoalData, gather_many

SECRET_MARKER = "bcf"  # noqa: S105 - a public marker that makes leaked feed URLs recognisable
FETCH_TOUCH_INTERVAL = timedelta(minutes=5)  # last-fetched time written at most this often
REFRESH_MINUTES = 60  # how often calendar apps are asked to fetch again
ONE_DAY = timedelta(days=1)


def generate() -> str:
    """A new feed secret: ``bcf_`` and 256 random bits, URL-safe."""
    return f"{SECRET_MARKER}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def issue_feed(user: User, goal_id: int | None = None) -> tuple[CalendarFeed, str]:
    """Create ``user``'s feed (their milestones, or goal ``goal_id``'s) or rotate it if it exists.

    Returns the row and the raw secret, which is never stored. A goal the user cannot view
    answers 404, exactly as one that does not exist.
    """
    goal = get_for(Goal.objects.all(), user, Action.VIEW, pk=goal_id) if goal_id is not None else None
    raw = generate()
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        user=user, goal=goal, defaults={"digest": feed_digest(raw)}
    )
    if not created:
        feed.digest, feed.rotated_at, feed.last_fetched_at = feed_digest(raw), timezone.now(), None
        feed.save(update_fields=["digest", "rotated_at", "last_fetched_at"])
    return feed, raw


@transaction.atomic
def revoke_feed(user: User, goal_id: int | None = None) -> None:
    """Delete ``user``'s feed of their milestones or of goal ``goal_id``; its URL then answers 404.

    ``InvalidInput`` when there is no such feed; a goal the user cannot view answers 404.
    """
    goal = get_for(Goal.objects.all(), user, Action.VIEW, pk=goal_id) if goal_id is not None else None
    deleted, _ = CalendarFeed.objects.filter(user=user, goal=goal).delete()
    if not deleted:
        raise InvalidInput("there is no such calendar feed", "goal")


@dataclass(frozen=True, slots=True)
class CalendarPage:
    """What the person's calendar page shows: their feeds, and the goals they may add one for."""

    personal: CalendarFeed | None
    goal_feeds: list[CalendarFeed]
    goals: list[Goal]


def calendar_page(user: User) -> CalendarPage:
    """The person's feeds (goal feeds only of goals they can still view) and the other goals."""
    visible = Goal.objects.restrict(user, Action.VIEW)
    feeds = list(
        CalendarFeed.objects.filter(user=user)
        .filter(Q(goal__isnull=True) | Q(goal__in=visible))
        .select_related("goal__organization")
        .order_by("goal__organization__name", "goal__deadline", "goal__title")
    )
    personal = next((f for f in feeds if f.goal_id is None), None)
    goal_feeds = [f for f in feeds if f.goal_id is not None]
    goals = list(
        visible.exclude(pk__in=[f.goal_id for f in goal_feeds])
        .select_related("organization")
        .order_by("organization__name", "deadline", "title")
    )
    return CalendarPage(personal, goal_feeds, goals)


def find_feed(raw: str, now: datetime) -> CalendarFeed | None:
    """The feed whose secret is ``raw``, of an active user, or None. Notes when it was fetched."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(digest=feed_digest(raw), user__is_active=True)
        .first()
    )
    if feed is not None and (
        feed.last_fetched_at is None or now - feed.last_fetched_at >= FETCH_TOUCH_INTERVAL
    ):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
        feed.last_fetched_at = now
    return feed


@dataclass(frozen=True, slots=True)
class Site:
    """Where the site answers: ``base_url`` for links (``https://ops.example.com``), ``host`` for UIDs."""

    base_url: str
    host: str

    def goal_link(self, goal_id: int) -> str:
        return self.base_url + reverse("goal-detail", args=[goal_id])


def render_feed(feed: CalendarFeed, site: Site, now: datetime) -> str | None:
    """The feed as iCalendar text, or None when it names a goal its user can no longer view."""
    user = feed.user
    visible = Goal.objects.restrict(user, Action.VIEW).select_related("organization", "owner")
    if feed.goal_id is None:
        goals = list(visible.filter(Q(owner=user) | Q(milestones__owner=user)).distinct())
        name, only_owner = f"Backcast: milestones of {user.display_name}", user.pk
    else:
        goals = list(visible.filter(pk=feed.goal_id))
        if not goals:
            return None
        name, only_owner = f"Backcast: {goals[0].title}", None
    drafts: list[Draft] = []
    for facts in plans_of(goals):
        link = site.goal_link(facts.goal.pk)
        drafts.append(deadline_draft(facts, site.host, link))
        for m in facts.milestones:
            if (only_owner is None or m.owner_id == only_owner) and m.pk in facts.planned:
                drafts.append(milestone_draft(facts.goal, m, facts.planned[m.pk], site.host, link))
    events = sorted(revised(drafts, now), key=lambda e: (e.start, e.end, e.uid))
    return calendar(name, events, now, REFRESH_MINUTES)


def plans_of(goals: Iterable[Goal]) -> list[GoalData]:
    """Each goal's plan as of its organisation's today, in one batch of queries per distinct day."""
    by_day: dict[date, list[Goal]] = defaultdict(list)
    for goal in goals:
        by_day[org_today(goal.organization)].append(goal)
    gathered: list[GoalData] = []
    for today, group in by_day.items():
        facts = gather_many(group, today, with_kpis=False)
        gathered.extend(facts[g.pk] for g in group)
    return gathered


@dataclass(frozen=True, slots=True)
class Draft:
    """An event before its revision is known: ``milestone_id`` None for a goal's deadline."""

    goal_id: int
    milestone_id: int | None
    event: Event
    fingerprint: str


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def milestone_draft(goal: Goal, m: Milestone, p: PlannedMilestone, host: str, link: str) -> Draft:
    """An all-day event over the milestone's planned days (a checkpoint: its one day)."""
    first = min(p.start, p.finish)  # a checkpoint (no duration) starts the day after it "finishes"
    if m.duration:
        planned = (
            f"Planned: {m.duration} working day{'s' if m.duration != 1 else ''}, {p.start} to {p.finish}"
        )
    else:
        planned = f"Planned: a checkpoint on {p.finish}"
    status = m.get_status_display()
    if m.status == Milestone.Status.DONE and m.actual_finish is not None:
        status += f" (finished {m.actual_finish})"
    elif m.actual_start is not None:
        status += f" (started {m.actual_start})"
    slack = f"Slack: {p.slack} working day{'s' if p.slack != 1 else ''}"
    description = "\n".join(
        [
            f"Goal: {goal.title}",
            f"Status: {status}",
            f"Owner: {m.owner.display_name if m.owner is not None else 'nobody yet'}",
            planned,
            slack + (", on the critical path" if p.critical else ""),
            link,
        ]
    )
    event = Event(
        uid=f"milestone-{m.pk}@{host}",
        start=first,
        end=p.finish + ONE_DAY,
        summary=m.title,
        description=description,
        url=link,
        categories=("Milestone",),
    )
    return Draft(goal.pk, m.pk, event, fingerprint(m.title, first, p.finish, m.status))


def deadline_draft(facts: GoalData, host: str, link: str) -> Draft:
    """The goal's deadline as a one-day event, with the plan's verdict."""
    goal = facts.goal
    plan = verdict(facts.result) if facts.result is not None else f"No plan yet: {facts.plan_error}"
    description = "\n".join(
        [
            f"Goal: {goal.title}",
            f"Owner: {goal.owner.display_name if goal.owner is not None else 'nobody yet'}",
            plan,
            link,
        ]
    )
    event = Event(
        uid=f"goal-{goal.pk}-deadline@{host}",
        start=goal.deadline,
        end=goal.deadline + ONE_DAY,
        summary=f"Deadline: {goal.title}",
        description=description,
        url=link,
        categories=("Deadline",),
    )
    return Draft(goal.pk, None, event, fingerprint(goal.title, goal.deadline))


@transaction.atomic
def revised(drafts: list[Draft], now: datetime) -> list[Event]:
    """The events with their SEQUENCE and LAST-MODIFIED, recording what changed since last served.

    A new event starts at sequence 0; one whose title, dates or status differ from what was last
    served gets the next sequence and ``now``. Two reads at once bump an event only once.
    """
    milestone_ids = [d.milestone_id for d in drafts if d.milestone_id is not None]
    deadline_ids = [d.goal_id for d in drafts if d.milestone_id is None]
    known: dict[tuple[int | None, int | None], EventRevision] = {}
    for r in EventRevision.objects.filter(
        Q(milestone_id__in=milestone_ids) | Q(goal_id__in=deadline_ids, milestone__isnull=True)
    ):
        known[key(r.goal_id, r.milestone_id)] = r
    events: list[Event] = []
    new: list[EventRevision] = []
    for d in drafts:
        row = known.get(key(d.goal_id, d.milestone_id))
        if row is None:
            new.append(
                EventRevision(goal_id=d.goal_id, milestone_id=d.milestone_id, fingerprint=d.fingerprint)
            )
            events.append(replace(d.event, sequence=0, modified=now))
        elif row.fingerprint != d.fingerprint:
            EventRevision.objects.filter(pk=row.pk, fingerprint=row.fingerprint).update(
                fingerprint=d.fingerprint, sequence=F("sequence") + 1, modified_at=now
            )
            events.append(replace(d.event, sequence=row.sequence + 1, modified=now))
        else:
            events.append(replace(d.event, sequence=row.sequence, modified=row.modified_at))
    if new:
        for row in new:
            row.modified_at = now
        EventRevision.objects.bulk_create(new, ignore_conflicts=True)
    return events


def key(goal_id: int, milestone_id: int | None) -> tuple[int | None, int | None]:
    """A milestone's event is known by the milestone; a deadline by its goal."""
    return (None, milestone_id) if milestone_id is not None else (goal_id, None)

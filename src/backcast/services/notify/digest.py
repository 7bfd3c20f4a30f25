"""The weekly digest: to each person, what changed on their goals, what is due and what is at risk.

Sent on Mondays in the organisation's time zone, once per ISO week and organisation (key
``digest:<org>:<user>:<year>-W<week>``), to every active member who owns or contributes to a
goal or owns an open milestone there. It holds:

- what changed since their last digest (at most the last 7 days): check-ins, KPI readings,
  comments and accepted baselines on goals they own or contribute to, by other people;
- what is due: open milestones planned to finish within 7 days (or already late) that they own
  or that belong to their goals;
- what is at risk: their goals whose stored health (:class:`~backcast.goals.models.GoalSummary`,
  kept fresh by :func:`backcast.services.reporting.portfolio.summaries`) is at risk or off track.

Nothing to say means no digest. Webhooks subscribed to digests get one organisation-wide
message a week: every goal at risk or off track and every milestone due within 7 days.
The facts are read for a whole organisation in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Count, Max

from backcast.goals.models import CheckIn, Comment, Goal, Milestone, Reading
from backcast.notifications.models import Kind, Notification
from backcast.organizations.models import Membership, Organization
from backcast.replanning.models import Baseline
from backcast.services.notify import outbox
from backcast.services.notify.reviews import spoken
from backcast.services.reporting.portfolio import Summary, summaries

if TYPE_CHECKING:
    from backcast.accounts.models import User

WINDOW = timedelta(days=7)
DUE_DAYS = 7
RISKY = {"at_risk": "at risk", "off_track": "off track"}


@dataclass(frozen=True, slots=True)
class Change:
    """Something that happened on a goal: when, by whom (user id) and in words."""

    goal_id: int
    at: datetime
    by: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Due:
    goal_id: int
    milestone_id: int
    title: str
    owner_id: int | None
    finish: date
    late: bool


@dataclass(slots=True)
class Digest:
    """One person's digest; empty when there is nothing to say."""

    changes: list[Change] = field(default_factory=list)
    due: list[Due] = field(default_factory=list)
    at_risk: list[Summary] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes or self.due or self.at_risk)


@dataclass(slots=True)
class OrgFacts:
    """What an organisation's digests are made of, read once for all its people."""

    today: date
    titles: dict[int, str]
    goals_of: dict[int, set[int]]  # person -> goals they own or contribute to
    changes: list[Change]
    due: list[Due]
    summaries: dict[int, Summary]


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def gather(org: Organization, today: date, since: datetime) -> OrgFacts:
    """Read the organisation's goals, their changes since ``since``, due milestones and summaries."""
    goals = Goal.objects.filter(organization=org)
    titles = dict(goals.values_list("pk", "title"))
    goals_of: dict[int, set[int]] = defaultdict(set)
    for pk, owner, contributor in goals.values_list("pk", "owner_id", "contributors"):
        for person in (owner, contributor):
            if person is not None:
                goals_of[person].add(pk)
    changes = [
        Change(g, at, by, f"{name} checked in: {status.replace('_', ' ')}, confidence {conf}/10")
        for g, at, by, name, status, conf in CheckIn.objects.filter(
            goal__in=goals, created_at__gte=since
        ).values_list("goal_id", "created_at", "author_id", "author__name", "status", "confidence")
    ]
    changes += [
        Change(g, at, None, f"{n} new reading{'s' if n != 1 else ''} of {kpi}")
        for g, kpi, n, at in Reading.objects.filter(kpi__goal__in=goals, recorded_at__gte=since)
        .values_list("kpi__goal_id", "kpi__name")
        .annotate(n=Count("pk"), last=Max("recorded_at"))
        .values_list("kpi__goal_id", "kpi__name", "n", "last")
    ]
    changes += [
        Change(g, at, by, f"{name or 'someone'} commented: “{body[:80]}{'…' if len(body) > 80 else ''}”")
        for g, at, by, name, body in Comment.objects.filter(
            goal__in=goals, created_at__gte=since
        ).values_list("goal_id", "created_at", "author_id", "author__name", "body")
    ]
    changes += [
        Change(g, at, by, f"baseline {number} accepted: {reason}")
        for g, at, by, number, reason in Baseline.objects.filter(
            goal__in=goals, taken_at__gte=since
        ).values_list("goal_id", "taken_at", "taken_by_id", "number", "reason")
    ]
    stored = {s.pk: s for s in summaries(goals.order_by("pk"), today)}
    horizon = today + timedelta(days=DUE_DAYS)
    soon = {
        u.milestone_id: (s.pk, u)
        for s in stored.values()
        for u in Summary.upcoming(s.due)
        if u.finish <= horizon
    }
    due = [
        Due(soon[pk][0], pk, title, owner, soon[pk][1].finish, soon[pk][1].late)
        for pk, title, owner in Milestone.objects.filter(pk__in=list(soon)).values_list(
            "pk", "title", "owner_id"
        )
    ]
    due.sort(key=lambda d: (d.finish, d.title))
    return OrgFacts(today, titles, goals_of, sorted(changes, key=lambda c: c.at), due, stored)


def digest_for(person: int, facts: OrgFacts, since: datetime) -> Digest:
    """``person``'s digest from the organisation's facts."""
    mine = facts.goals_of.get(person, set())
    return Digest(
        changes=[c for c in facts.changes if c.goal_id in mine and c.at >= since and c.by != person],
        due=[d for d in facts.due if d.owner_id == person or d.goal_id in mine],
        at_risk=[
            facts.summaries[g]
            for g in sorted(mine)
            if g in facts.summaries and facts.summaries[g].status in RISKY
        ],
    )


def render(digest: Digest, facts: OrgFacts) -> str:
    """The digest as plain text, in three short sections."""
    lines: list[str] = []
    if digest.at_risk:
        lines.append("At risk")
        lines += [f"- {s.title}: {RISKY[s.status]} (/goals/{s.pk}/)" for s in digest.at_risk]
        lines.append("")
    if digest.due:
        lines.append("Due within a week")
        for d in digest.due:
            when = f"late, planned for {spoken(d.finish)}" if d.late else f"due {spoken(d.finish)}"
            lines.append(f"- {d.title} ({facts.titles.get(d.goal_id, '')}): {when}")
        lines.append("")
    if digest.changes:
        lines.append("What changed")
        by_goal: dict[int, list[Change]] = defaultdict(list)
        for c in digest.changes:
            by_goal[c.goal_id].append(c)
        for goal_id, items in by_goal.items():
            lines.append(f"{facts.titles.get(goal_id, '')}:")
            lines += [f"- {c.text}" for c in items]
        lines.append("")
    return "\n".join(lines).strip()


def send_digests(now: datetime) -> int:
    """Create this week's digests in every organisation where it is Monday; returns how many."""
    made = 0
    for org in Organization.objects.all():
        today = now.astimezone(ZoneInfo(org.timezone)).date()
        if today.weekday() == 0:
            made += digest_organization(org, today, now)
    return made


def digest_organization(org: Organization, today: date, now: datetime) -> int:
    """This week's digests of one organisation; people who had theirs are skipped at once."""
    week = week_key(today)
    prefix = f"digest:{org.pk}:"
    taken = set(
        Notification.objects.filter(organization=org, kind=Kind.DIGEST, key__endswith=f":{week}").values_list(
            "key", flat=True
        )
    )
    people: list[User] = [
        m.user
        for m in Membership.objects.filter(organization=org, user__is_active=True).select_related("user")
        if f"{prefix}{m.user_id}:{week}" not in taken
    ]
    channel_key = f"{prefix}org:{week}"
    if not people and channel_key in taken:
        return 0
    last = dict(
        Notification.objects.filter(organization=org, kind=Kind.DIGEST, recipient__in=people)
        .values_list("recipient_id")
        .annotate(at=Max("created_at"))
        .values_list("recipient_id", "at")
    )
    since = {p.pk: max(last.get(p.pk) or now - WINDOW, now - WINDOW) for p in people}
    facts = gather(org, today, min(since.values(), default=now - WINDOW))
    made = 0
    for person in people:
        digest = digest_for(person.pk, facts, since[person.pk])
        if not digest:
            continue
        subject = f"Your week in {org.name}: {len(digest.at_risk)} at risk, {len(digest.due)} due"
        made += (
            outbox.enqueue(
                org, Kind.DIGEST, f"{prefix}{person.pk}:{week}", subject, render(digest, facts),
                f"/o/{org.slug}/goals/", recipient=person, now=now,
            )
            is not None
        )  # fmt: skip
    if channel_key not in taken:
        everyone = Digest(due=facts.due, at_risk=[s for s in facts.summaries.values() if s.status in RISKY])
        if everyone:
            outbox.enqueue(
                org, Kind.DIGEST, channel_key, f"{org.name} this week: {len(everyone.at_risk)} goals at risk, "
                f"{len(everyone.due)} milestones due", render(everyone, facts), f"/o/{org.slug}/goals/", now=now,
            )  # fmt: skip
    return made

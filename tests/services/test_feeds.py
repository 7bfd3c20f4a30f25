"""Calendar feeds: the iCalendar text (escaping, folding, structure), its dates, its secrets.

``parse_ics`` is a small, strict reader of what RFC 5545 requires of the feeds: CRLF line endings,
physical lines of at most 75 octets, folded lines that unfold to the original, TEXT values with
no unescaped comma or semicolon, components that nest and close. The web tests use it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from backcast.accounts.models import User
from backcast.feeds.ical import Event, calendar, escape_text, fold
from backcast.feeds.models import CalendarFeed, EventRevision, feed_digest
from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Membership, Organization
from backcast.services.goals.goals import create_goal
from backcast.services.goals.milestones import add_milestone, update_milestone
from backcast.services.notify.feeds import Site, find_feed, issue_feed, render_feed, revoke_feed
from backcast.services.platform.clock import org_today
from backcast.services.platform.errors import InvalidInput
from backcast.services.reporting.plans import goal_plan

SITE = Site("https://ops.example.com", "ops.example.com")
NOW = datetime(2030, 1, 7, 9, 30, tzinfo=UTC)
TEXT_PROPERTIES = {"SUMMARY", "DESCRIPTION", "NAME", "X-WR-CALNAME", "UID", "CATEGORIES"}


@dataclass
class Component:
    name: str
    props: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def value(self, name: str) -> str:
        found = [v for n, _, v in self.props if n == name]
        assert len(found) == 1, f"{name} appears {len(found)} times in {self.name}"
        return found[0]

    def param(self, name: str) -> dict[str, str]:
        return next(p for n, p, _ in self.props if n == name)

    def text(self, name: str) -> str:
        return unescape(self.value(name))


def unescape(value: str) -> str:
    """A TEXT value unescaped; an unescaped comma or semicolon, or a stray backslash, fails."""
    out, i = [], 0
    while i < len(value):
        char = value[i]
        if char == "\\":
            nxt = value[i + 1]
            assert nxt in "\\;,nN", f"bad escape \\{nxt} in {value!r}"
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        assert char not in ";,", f"unescaped {char!r} in {value!r}"
        out.append(char)
        i += 1
    return "".join(out)


def unfold(text: str) -> list[str]:
    """The content lines of ``text``, checking line endings and the 75-octet limit on the way."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    lines: list[str] = []
    for line in physical:
        assert "\r" not in line and "\n" not in line, "a bare CR or LF"
        assert len(line.encode("utf-8")) <= 75, f"line of {len(line.encode())} octets: {line!r}"
        if line.startswith((" ", "\t")):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def parse_line(line: str) -> tuple[str, dict[str, str], str]:
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            head, value = line[:i], line[i + 1 :]
            break
    else:
        raise AssertionError(f"no value in {line!r}")
    name, *params = head.split(";")
    assert re.fullmatch(r"[A-Z][A-Z0-9-]*", name), name
    return name, dict(p.split("=", 1) for p in params), value


def parse_ics(text: str) -> Component:
    """The VCALENDAR of ``text``, strictly: see the module's docstring."""
    stack: list[Component] = []
    root: Component | None = None
    for line in unfold(text):
        name, params, value = parse_line(line)
        if name == "BEGIN":
            stack.append(Component(value))
        elif name == "END":
            done = stack.pop()
            assert done.name == value, f"END:{value} closes {done.name}"
            if stack:
                stack[-1].children.append(done)
            else:
                root = done
        else:
            if name in TEXT_PROPERTIES:
                for part in re.split(r"(?<!\\),", value) if name == "CATEGORIES" else [value]:
                    unescape(part)
            stack[-1].props.append((name, params, value))
    assert not stack and root is not None and root.name == "VCALENDAR"
    assert root.value("VERSION") == "2.0" and root.value("PRODID")
    return root


def ics_date(value: str) -> date:
    return datetime.strptime(value, "%Y%m%d").replace(tzinfo=UTC).date()


def events(cal: Component) -> dict[str, Component]:
    found = {e.value("UID"): e for e in cal.children if e.name == "VEVENT"}
    assert len(found) == len(cal.children)
    for e in found.values():
        assert e.param("DTSTART") == {"VALUE": "DATE"} and e.param("DTEND") == {"VALUE": "DATE"}
        assert ics_date(e.value("DTEND")) > ics_date(e.value("DTSTART"))
        assert re.fullmatch(r"\d{8}T\d{6}Z", e.value("DTSTAMP"))
        e.value("SEQUENCE")
        e.value("SUMMARY")
    return found


# The writer, without a database


def test_text_escaping() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf\rg") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"
    assert escape_text("tab\tkept, bell\x07 and NUL\x00 dropped") == "tab\tkept\\, bell and NUL dropped"
    assert unescape(escape_text("C:\\new; a,b\n")) == "C:\\new; a,b\n"


@pytest.mark.parametrize("char", ["a", "é", "€", "🎯"])
def test_folding_keeps_lines_within_75_octets_and_characters_whole(char: str) -> None:
    line = "SUMMARY:" + char * 200
    folded = fold(line)
    physical = folded.split("\r\n")
    assert len(physical) > 1
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert len(physical[0].encode()) > 75 - len(char.encode())  # filled, not folded early
    assert physical[0] + "".join(p[1:] for p in physical[1:]) == line
    assert fold("SUMMARY:short") == "SUMMARY:short"
    assert fold("X:" + "a" * 73) == "X:" + "a" * 73  # exactly 75 octets stays one line


def test_calendar_structure() -> None:
    long_title = "Audit carrier performance data; agree targets, with \\ backslashes " * 3
    event = Event(
        uid="milestone-1@ops.example.com",
        start=date(2030, 3, 4),
        end=date(2030, 3, 9),
        summary=long_title,
        description="Goal: OTD\nStatus: Not started",
        url="https://ops.example.com/goals/1/",
        sequence=2,
        modified=NOW - timedelta(days=1),
        categories=("Milestone", "a,b"),
    )
    text = calendar("Backcast: OTD, Q1", [event], NOW)
    cal = parse_ics(text)
    assert cal.text("X-WR-CALNAME") == "Backcast: OTD, Q1"
    (parsed,) = events(cal).values()
    assert parsed.text("SUMMARY") == long_title
    assert parsed.text("DESCRIPTION") == "Goal: OTD\nStatus: Not started"
    assert (parsed.value("DTSTART"), parsed.value("DTEND")) == ("20300304", "20300309")
    assert parsed.value("DTSTAMP") == "20300107T093000Z"
    assert parsed.value("LAST-MODIFIED") == "20300106T093000Z"
    assert parsed.value("SEQUENCE") == "2"
    assert parsed.value("CATEGORIES") == "Milestone,a\\,b"
    with pytest.raises(ValueError, match="ends on or before"):
        calendar("x", [Event("u", date(2030, 3, 4), date(2030, 3, 4), "x")], NOW)
    with pytest.raises(ValueError, match="naive"):
        calendar("x", [event], NOW.replace(tzinfo=None))


# Feeds of real plans


@pytest.fixture
def goal(acme: Organization, alice: User, carol: User) -> Goal:
    """A goal with three milestones: two of carol's (one a checkpoint) and one of alice's."""
    today = org_today(acme)
    goal = create_goal(
        alice, {"title": "Raise OTD to 95%, fast; really", "deadline": today + timedelta(weeks=20)}
    )
    audit = add_milestone(
        alice, goal.pk, {"title": "Audit carriers, lanes; and \\ data", "duration": 10, "owner": carol.email}
    )
    add_milestone(
        alice,
        goal.pk,
        {"title": "Renegotiate contracts " + "with every carrier " * 6, "duration": 15, "after": [audit.pk]},
    )
    add_milestone(
        alice, goal.pk, {"title": "Go live", "duration": 0, "owner": carol.email, "after": [audit.pk]}
    )
    Milestone.objects.filter(title__startswith="Renegotiate").update(owner=alice)
    return goal


def rendered(feed: CalendarFeed, now: datetime = NOW) -> Component:
    text = render_feed(CalendarFeed.objects.select_related("user").get(pk=feed.pk), SITE, now)
    assert text is not None
    return parse_ics(text)


def test_goal_feed_dates_are_the_plan(goal: Goal, acme: Organization, bob: User) -> None:
    feed, _ = issue_feed(bob, goal.pk)  # a viewer may subscribe to a goal
    found = events(rendered(feed))
    plan = goal_plan(goal, org_today(acme))
    planned = {plan.milestone_ids[p.id]: p for p in plan.result.milestones}
    assert set(found) == {f"milestone-{pk}@ops.example.com" for pk in planned} | {
        f"goal-{goal.pk}-deadline@ops.example.com"
    }
    for m in Milestone.objects.filter(goal=goal):
        p, e = planned[m.pk], found[f"milestone-{m.pk}@ops.example.com"]
        assert e.text("SUMMARY") == m.title
        last = p.finish
        first = p.start if m.duration else p.finish  # a checkpoint is its one day
        assert (ics_date(e.value("DTSTART")), ics_date(e.value("DTEND"))) == (first, last + timedelta(days=1))
        description = e.text("DESCRIPTION")
        assert f"Goal: {goal.title}" in description
        assert "Status: Not started" in description
        assert f"Slack: {p.slack} working day" in description
        assert description.endswith(f"https://ops.example.com/goals/{goal.pk}/")
        assert e.value("URL") == f"https://ops.example.com/goals/{goal.pk}/"
    deadline = found[f"goal-{goal.pk}-deadline@ops.example.com"]
    assert deadline.text("SUMMARY") == f"Deadline: {goal.title}"
    assert ics_date(deadline.value("DTSTART")) == goal.deadline
    assert ics_date(deadline.value("DTEND")) == goal.deadline + timedelta(days=1)
    assert "must begin by" in deadline.text("DESCRIPTION")


def test_personal_feed_is_the_persons_milestones(goal: Goal, acme: Organization, carol: User) -> None:
    feed, _ = issue_feed(carol)
    found = events(rendered(feed))
    carols = Milestone.objects.filter(owner=carol)
    assert len(carols) == 2
    assert set(found) == {f"milestone-{m.pk}@ops.example.com" for m in carols} | {
        f"goal-{goal.pk}-deadline@ops.example.com"
    }
    assert rendered(feed).text("X-WR-CALNAME") == "Backcast: milestones of Carol Contributor"


def test_personal_feed_includes_deadlines_of_owned_goals_and_unplannable_goals(
    acme: Organization, alice: User
) -> None:
    empty = create_goal(alice, {"title": "Cut returns", "deadline": org_today(acme) + timedelta(weeks=8)})
    feed, _ = issue_feed(alice)
    (deadline,) = events(rendered(feed)).values()
    assert deadline.value("UID") == f"goal-{empty.pk}-deadline@ops.example.com"
    assert "No plan yet" in deadline.text("DESCRIPTION")


def test_membership_removed_empties_the_personal_feed_and_hides_goal_feeds(
    goal: Goal, acme: Organization, carol: User
) -> None:
    personal, _ = issue_feed(carol)
    goal_feed, _ = issue_feed(carol, goal.pk)
    assert events(rendered(personal)) and events(rendered(goal_feed))
    Membership.objects.filter(user=carol, organization=acme).delete()
    assert events(rendered(personal)) == {}
    assert render_feed(CalendarFeed.objects.get(pk=goal_feed.pk), SITE, NOW) is None


def test_sequence_grows_when_dates_move_and_only_then(goal: Goal, alice: User) -> None:
    feed, _ = issue_feed(alice, goal.pk)
    audit = Milestone.objects.get(title__startswith="Audit")
    uid = f"milestone-{audit.pk}@ops.example.com"
    first = events(rendered(feed))[uid]
    assert first.value("SEQUENCE") == "0" and first.value("LAST-MODIFIED") == "20300107T093000Z"
    later = NOW + timedelta(hours=1)
    assert events(rendered(feed, later))[uid].value("SEQUENCE") == "0"  # nothing moved
    update_milestone(alice, audit.pk, {"duration": 12})
    moved = events(rendered(feed, later))[uid]
    assert moved.value("SEQUENCE") == "1" and moved.value("LAST-MODIFIED") == "20300107T103000Z"
    assert moved.value("DTSTART") != first.value("DTSTART")
    again = events(rendered(feed, later + timedelta(hours=1)))[uid]
    assert again.value("SEQUENCE") == "1" and again.value("LAST-MODIFIED") == "20300107T103000Z"
    assert EventRevision.objects.filter(milestone=audit).count() == 1


def test_queries_do_not_grow_with_the_number_of_goals(goal: Goal, acme: Organization, carol: User) -> None:
    feed, _ = issue_feed(carol)

    def count() -> int:
        rendered(feed)  # the first read records the events' revisions
        with CaptureQueriesContext(connection) as queries:
            rendered(feed)
        return len(queries)

    one = count()
    assert one <= 8, one
    for n in range(3):
        other = create_goal(
            User.objects.get(email="alice@acme.test"),
            {"title": f"Goal {n}", "deadline": org_today(acme) + timedelta(weeks=30)},
        )
        Milestone.objects.create(goal=other, title="Step", duration=3, owner=carol)
    assert count() == one
    assert len(events(rendered(feed))) == 2 + 1 + 3 * 2  # and the new goals are in it


# Secrets


def test_secrets_are_stored_only_as_digests(goal: Goal, alice: User) -> None:
    feed, raw = issue_feed(alice, goal.pk)
    assert raw.startswith("bcf_") and len(raw) > 40
    row = CalendarFeed.objects.values().get(pk=feed.pk)
    assert all(raw not in str(value) for value in row.values())
    assert row["digest"] == feed_digest(raw)
    assert find_feed(raw, NOW) == feed


def test_rotation_replaces_the_secret_and_revocation_removes_it(goal: Goal, alice: User) -> None:
    feed, old = issue_feed(alice, goal.pk)
    again, new = issue_feed(alice, goal.pk)
    assert again.pk == feed.pk and new != old and again.rotated_at is not None
    assert find_feed(old, NOW) is None
    assert find_feed(new, NOW) is not None
    personal, mine = issue_feed(alice)
    assert personal.pk != feed.pk and CalendarFeed.objects.count() == 2
    revoke_feed(alice, goal.pk)
    assert find_feed(new, NOW) is None and find_feed(mine, NOW) is not None
    with pytest.raises(InvalidInput, match="no such calendar feed"):
        revoke_feed(alice, goal.pk)


def test_outsider_cannot_create_or_revoke_a_goal_feed(goal: Goal, alice: User, charlie: User) -> None:
    with pytest.raises(Http404):
        issue_feed(charlie, goal.pk)
    issue_feed(alice, goal.pk)
    with pytest.raises(Http404):
        revoke_feed(charlie, goal.pk)
    assert not CalendarFeed.objects.filter(user=charlie).exists()
    assert CalendarFeed.objects.filter(user=alice).count() == 1


def test_last_fetched_is_written_at_most_every_five_minutes(alice: User) -> None:
    feed, raw = issue_feed(alice)
    assert find_feed(raw, NOW) is not None
    assert CalendarFeed.objects.get(pk=feed.pk).last_fetched_at == NOW
    find_feed(raw, NOW + timedelta(minutes=1))
    assert CalendarFeed.objects.get(pk=feed.pk).last_fetched_at == NOW
    find_feed(raw, NOW + timedelta(minutes=6))
    assert CalendarFeed.objects.get(pk=feed.pk).last_fetched_at == NOW + timedelta(minutes=6)


def test_inactive_users_feeds_are_gone(alice: User) -> None:
    _, raw = issue_feed(alice)
    alice.is_active = False
    alice.save()
    assert find_feed(raw, NOW) is None


def test_personal_feed_spans_the_persons_organisations(goal: Goal, carol: User, charlie: User) -> None:
    from backcast.services.platform.organizations import set_membership

    other = Organization.objects.get(slug="other-works")
    other.timezone = "Pacific/Kiritimati"  # most hours its "today" differs from Acme's: its own batch
    other.save()
    set_membership(other, carol, "contributor")
    theirs = create_goal(
        charlie, {"title": "Faster returns", "deadline": org_today(other) + timedelta(weeks=9)}
    )
    step = add_milestone(charlie, theirs.pk, {"title": "Map returns", "duration": 4, "owner": carol.email})
    add_milestone(charlie, theirs.pk, {"title": "Not carol's", "duration": 2})
    feed, _ = issue_feed(carol)
    found = events(rendered(feed))
    assert f"milestone-{step.pk}@ops.example.com" in found
    assert f"goal-{theirs.pk}-deadline@ops.example.com" in found
    assert len(found) == 2 + 1 + 1 + 1  # carol's two at Acme, its deadline; one at Other Works, its deadline

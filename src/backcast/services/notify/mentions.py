"""@mentions in comments: who a handle names, and the notification each newly named person gets.

Handles are read by :mod:`backcast.notifications.mentions`: the local part of a member's e-mail
address, or the whole address, without regard to case. Only active members of the goal's
organisation can be named; a local part two members share names nobody (write the address).
The author is never notified of their own mention. Editing a comment notifies only the people
it names that the text before the edit did not (the key ``mention:<comment>:<user>`` keeps it
to once per person and comment in any case).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backcast.goals.models import Comment
from backcast.notifications.mentions import handles
from backcast.notifications.models import Kind
from backcast.organizations.models import Membership, Organization
from backcast.services.notify import outbox

if TYPE_CHECKING:
    from backcast.accounts.models import User


def mentioned(org: Organization, body: str) -> list[User]:
    """The active members of ``org`` that ``body`` mentions."""
    wanted = handles(body)
    if not wanted:
        return []
    members = [
        m.user
        for m in Membership.objects.filter(organization=org, user__is_active=True).select_related("user")
    ]
    by_local: dict[str, list[User]] = {}
    for u in members:
        by_local.setdefault(u.email.lower().split("@", 1)[0], []).append(u)
    found: dict[int, User] = {}
    for handle in wanted:
        if "@" in handle:
            found.update({u.pk: u for u in members if u.email.lower() == handle})
        elif len(by_local.get(handle, [])) == 1:
            found[by_local[handle][0].pk] = by_local[handle][0]
    return sorted(found.values(), key=lambda u: u.pk)


def notify_mentions(comment: Comment, before: str = "") -> list[User]:
    """Notify the people ``comment`` mentions that ``before`` (its text before an edit) did not.

    Called inside the comment's transaction, so the notifications exist exactly when the comment
    does. Returns the people notified.
    """
    if not handles(comment.body):
        return []  # no query for the usual comment
    goal = comment.goal
    org = goal.organization
    earlier = {u.pk for u in mentioned(org, before)} if before else set()
    author = comment.author
    who = author.display_name if author is not None else "Someone"
    about = f"“{comment.milestone.title}” in “{goal.title}”" if comment.milestone else f"“{goal.title}”"
    fresh = [u for u in mentioned(org, comment.body) if u.pk not in earlier and u.pk != comment.author_id]
    link = f"/goals/{goal.pk}/comments/#comment-{comment.pk}"
    subject = f"{who} mentioned you on {about}"
    for person in fresh:
        outbox.enqueue(
            org,
            Kind.MENTION,
            f"mention:{comment.pk}:{person.pk}",
            subject,
            comment.body,
            link,
            recipient=person,
        )
    if fresh:
        names = ", ".join(u.display_name for u in fresh)
        outbox.enqueue(
            org,
            Kind.MENTION,
            f"mention:{comment.pk}:org:{'-'.join(str(u.pk) for u in fresh)}",
            f"{who} mentioned {names} on {about}",
            comment.body,
            link,
        )
    return fresh

"""Secrets of calendar feeds, and what the feeds last said about each event.

A feed is read without a login (calendar apps cannot log in), so its URL carries a secret. The
secret is shown once and stored only as a SHA-256 digest, as API tokens are. Feeds are looked up
by their user (the person's own page) or by the digest (the feed itself), never through an
organisation, so they do not use ``restrict``; what a feed *shows* is always restricted to what
its user may still view (see ``backcast.services.notify.feeds``).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from backcast.goals.models import Goal, Milestone


def feed_digest(raw: str) -> str:
    """SHA-256 of a feed secret. Secrets carry 256 random bits, so a fast hash is safe."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class CalendarFeed(models.Model):
    """A person's calendar feed: their own milestones (``goal`` empty) or one goal's.

    One feed of each kind per person and goal. Issuing it again replaces ``digest``, so the old
    URL stops working at once (rotation); deleting the row revokes it. ``last_fetched_at`` shows
    the person whether a calendar app is reading it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["goal_id", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(goal__isnull=True), name="one_personal_feed_per_person"
            ),
            models.UniqueConstraint(
                fields=["user", "goal"],
                condition=models.Q(goal__isnull=False),
                name="one_goal_feed_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"calendar feed of {self.goal_id or 'milestones'} for user {self.user_id}"


class EventRevision(models.Model):
    """What the feeds last said about one event, so calendar apps take new dates when they move.

    A milestone's event (``milestone`` set) or a goal's deadline (``milestone`` empty).
    ``fingerprint`` is a digest of the event's title, dates and status as last served; when it
    differs, ``sequence`` grows by one and ``modified_at`` moves: the event's SEQUENCE and
    LAST-MODIFIED. Plans are computed, never stored, so this is the only memory of what changed.
    """

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="+")
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    fingerprint = models.CharField(max_length=64)
    sequence = models.PositiveIntegerField(default=0)
    modified_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=models.Q(milestone__isnull=False),
                name="one_revision_per_milestone",
            ),
            models.UniqueConstraint(
                fields=["goal"],
                condition=models.Q(milestone__isnull=True),
                name="one_deadline_revision_per_goal",
            ),
        ]

    def __str__(self) -> str:
        return f"revision {self.sequence} of {self.milestone_id or f'goal {self.goal_id} deadline'}"

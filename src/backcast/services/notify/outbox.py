"""The outbox: create each notification once, then deliver it by e-mail or webhook, retrying.

Creating is exactly-once: a notification's ``key`` is unique, and :func:`enqueue` inserts it in
a savepoint, so when several worker processes decide at the same moment to send the same
reminder, one insert wins and the others are ignored (the loser gets ``None``).

Delivering is at-least-once and never concurrent: :func:`claim_due` moves due rows to
``sending`` under a lease with a token of its own (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, one conditional ``UPDATE`` on SQLite, whose writers take turns), so two workers
never hold the same row; :func:`deliver_due` sends what it claimed and records the outcome only
if it still holds the claim. A worker that dies mid-send leaves its rows ``sending``; when the
lease runs out another worker claims them again. Failures are retried with exponential backoff
and jitter (:func:`backoff`) until ``BACKCAST_DELIVERY_MAX_ATTEMPTS``, then marked ``failed``.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from backcast.notifications.models import Attempt, Delivery, Kind, Notification, Preference, Webhook
from backcast.organizations.models import Membership, Organization
from backcast.services.notify import webhook_send, webhooks
from backcast.services.notify.webhook_targets import Resolver, system_resolver
from backcast.text import one_line

if TYPE_CHECKING:
    from backcast.accounts.models import User

log = logging.getLogger("backcast.notifications")

LEASE = timedelta(minutes=5)  # longer than any send takes (the webhook timeout is at most 60 s)
BATCH = 50
BACKOFF_BASE = 30.0  # seconds before the second attempt; doubles each time
BACKOFF_CAP = 3600.0
MAX_ERROR = 500


def backoff(attempts: int, rand: Callable[[], float] = random.random) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 30 s, 60 s, 120 s, ... up to an hour.

    Plus up to a quarter more at random (jitter), so many deliveries failing together at one
    receiver do not all come back at the same second.
    """
    base = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return timedelta(seconds=base * (1 + 0.25 * rand()))


def wants_email(user: User, kind: str) -> bool:
    """Whether ``user`` wants ``kind`` by e-mail (no preferences saved: yes)."""
    pref = Preference.objects.filter(user=user).first()
    return user.is_active and bool(user.email) and (pref is None or pref.wants(kind))


def enqueue(
    org: Organization,
    kind: str,
    key: str,
    subject: str,
    body: str,
    link: str = "",
    recipient: User | None = None,
    now: datetime | None = None,
) -> Notification | None:
    """Create the notification named ``key`` and its deliveries, unless it exists already.

    With a ``recipient``: one e-mail delivery if they want this kind by e-mail (the notification
    is kept either way, so it is never decided twice). Without: one delivery to each active
    webhook of ``org`` that subscribes to ``kind``; none subscribed means nothing is created.
    Returns None when the key was taken (by this or another process).
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    at = now or timezone.now()
    hooks: list[Webhook] = []
    if recipient is None:
        hooks = [w for w in Webhook.objects.filter(organization=org, active=True) if kind in w.events]
        if not hooks:
            return None
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                organization=org,
                recipient=recipient,
                kind=kind,
                key=key[:200],
                subject=subject[:200],
                body=body,
                link=link,
                created_at=at,
            )
            rows = [
                Delivery(
                    notification=note,
                    channel=Delivery.Channel.WEBHOOK,
                    webhook=w,
                    next_attempt_at=at,
                    created_at=at,
                )
                for w in hooks
            ]
            if recipient is not None and wants_email(recipient, kind):
                rows.append(
                    Delivery(
                        notification=note, channel=Delivery.Channel.EMAIL, next_attempt_at=at, created_at=at
                    )
                )
            Delivery.objects.bulk_create(rows)
    except IntegrityError:
        return None
    return note


def claimable(now: datetime) -> Q:
    """Due pending rows, and rows whose sender's lease ran out."""
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Delivery.Status.SENDING, claimed_until__lt=now
    )


def claim_due(now: datetime, limit: int = BATCH, token: str | None = None) -> list[Delivery]:
    """Claim up to ``limit`` due deliveries for this caller alone; returns them with their token.

    PostgreSQL locks the candidate rows and skips rows another worker has locked; elsewhere
    (SQLite) the claim is one ``UPDATE`` that re-checks the rows are still claimable, and SQLite
    runs one writer at a time, so a row is claimed by whoever updates it first.
    """
    token = token or secrets.token_hex(16)
    with transaction.atomic():
        due = Delivery.objects.filter(claimable(now)).order_by("next_attempt_at", "pk")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            Delivery.objects.filter(claimable(now), pk__in=ids).update(
                status=Delivery.Status.SENDING,
                claim_token=token,
                claimed_until=now + LEASE,
                attempts=F("attempts") + 1,
            )
    return list(
        Delivery.objects.filter(claim_token=token, status=Delivery.Status.SENDING)
        .select_related("notification__recipient", "notification__organization", "webhook")
        .order_by("pk")
    )


@dataclass(slots=True)
class Outcome:
    """What one try at a delivery came to: ``status`` is the HTTP status of a webhook's answer."""

    ok: bool
    status: int | None = None
    error: str = ""
    final: bool = False  # a failure that no retry can mend (the recipient left, the webhook is off)


def send_email(d: Delivery) -> Outcome:
    """Send the notification to its recipient with Django's mail (the configured backend)."""
    note = d.notification
    recipient = note.recipient
    if recipient is None or not recipient.is_active:
        return Outcome(False, error="the recipient's account is closed", final=True)
    if not Membership.objects.filter(organization=note.organization_id, user=recipient).exists():
        return Outcome(False, error="the recipient is no longer a member", final=True)
    text = note.body + (f"\n\n{absolute(note.link)}" if note.link else "")
    text += "\n\n--\nBackcast · change what you receive at " + absolute("/account/notifications/")
    # One line whatever the row holds: a line break in a subject fails the send (rows stored
    # before titles were checked may carry one).
    subject = one_line(note.subject)
    EmailMessage(subject, text, settings.DEFAULT_FROM_EMAIL, [recipient.email]).send()
    return Outcome(True)


def send_webhook(d: Delivery, now: datetime, resolve: Resolver = system_resolver) -> Outcome:
    """POST the notification to its webhook, signed, in the JSON shape its chat tool accepts.

    ``resolve`` looks the webhook's host up for the address policy (webhooks.post).
    """
    hook = d.webhook
    if hook is None or not hook.active:
        return Outcome(False, error="the webhook was switched off", final=True)
    note = d.notification
    body = webhooks.payload(
        hook, note.kind, note.subject, note.body, absolute(note.link) if note.link else "", now
    )
    headers = webhooks.signed_headers(hook.secret, body, now) | {webhooks.DELIVERY_HEADER: str(d.pk)}
    status, error = webhooks.post(hook.url, body, headers, resolve)
    return Outcome(status is not None and 200 <= status < 300, status, error)


def absolute(path: str) -> str:
    return str(settings.BACKCAST_BASE_URL) + path


def deliver_due(
    now: datetime,
    limit: int = BATCH,
    rand: Callable[[], float] = random.random,
    resolve: Resolver = system_resolver,
) -> dict[str, int]:
    """Claim and send due deliveries; returns counts of ``sent``, ``retrying`` and ``failed``.

    Stops after ``limit`` claims, so one tick of the worker is bounded; the rest wait a tick.
    ``resolve`` looks webhooks' hosts up (the system's resolver; tests give a fake).
    """
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for d in claim_due(now, limit):
        started = time.monotonic()
        try:
            outcome = send_email(d) if d.channel == Delivery.Channel.EMAIL else send_webhook(d, now, resolve)
        except (
            Exception
        ) as exc:  # any fault of a mail server or receiver is this delivery's, not the worker's
            if d.channel == Delivery.Channel.EMAIL:
                outcome = Outcome(False, error=f"{type(exc).__name__}: {exc}")
            else:  # the log an organisation reads holds fixed words only (webhook_send)
                log.exception("delivery %s (webhook) failed", d.pk)
                outcome = Outcome(False, error=webhook_send.UNEXPECTED)
        elapsed = int((time.monotonic() - started) * 1000)
        counts[record(d, outcome, now, elapsed, rand)] += 1
    return counts


def record(d: Delivery, outcome: Outcome, now: datetime, elapsed_ms: int, rand: Callable[[], float]) -> str:
    """Log the attempt and settle the delivery, if this worker still holds its claim."""
    error = outcome.error[:MAX_ERROR]
    max_attempts = int(settings.BACKCAST_DELIVERY_MAX_ATTEMPTS)
    final = outcome.ok or outcome.final or d.attempts >= max_attempts
    if outcome.ok:
        result, changes = "sent", {"status": Delivery.Status.SENT, "sent_at": now, "last_error": ""}
    elif final:
        result, changes = "failed", {"status": Delivery.Status.FAILED, "last_error": error}
    else:
        result = "retrying"
        changes = {
            "status": Delivery.Status.PENDING,
            "next_attempt_at": now + backoff(d.attempts, rand),
            "last_error": error,
        }
    with transaction.atomic():
        Attempt.objects.create(
            delivery=d,
            number=d.attempts,
            at=now,
            response_status=outcome.status,
            error=error,
            duration_ms=elapsed_ms,
        )
        Delivery.objects.filter(pk=d.pk, claim_token=d.claim_token, status=Delivery.Status.SENDING).update(
            response_status=outcome.status, claimed_until=None, **changes
        )
    if not outcome.ok:
        log.warning("delivery %s (%s) attempt %s: %s", d.pk, d.channel, d.attempts, error or outcome.status)
    return result


@transaction.atomic
def save_preferences(user: User, data: dict[str, Any]) -> Preference:
    """Store a person's e-mail switches (``email`` and one per kind); missing switches mean off."""
    pref, _ = Preference.objects.get_or_create(user=user)
    for name in ("email", *Kind.values):
        setattr(pref, name, bool(data.get(name)))
    pref.save()
    return pref

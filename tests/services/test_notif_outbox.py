"""The outbox: each notification once, each delivery claimed by one worker, retried, logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from backcast.accounts.models import User
from backcast.notifications.models import Attempt, Delivery, Kind, Notification
from backcast.organizations.models import Membership, Organization
from backcast.services.notify import outbox
from backcast.services.notify.outbox import backoff, claim_due, deliver_due, enqueue, save_preferences

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def note(org: Organization, user: User | None, key: str = "reminder:1:2:2031-03-03") -> Notification | None:
    return enqueue(
        org, Kind.REMINDER, key, "Check in", "Say how it stands.", "/goals/1/", recipient=user, now=NOW
    )


def test_a_key_is_created_once(acme: Organization, carol: User) -> None:
    first = note(acme, carol)
    assert first is not None
    assert note(acme, carol) is None  # the same key again: ignored, not an error
    assert Notification.objects.count() == 1
    assert Delivery.objects.get().channel == Delivery.Channel.EMAIL


def test_email_is_sent_once_and_logged(acme: Organization, carol: User) -> None:
    note(acme, carol)
    assert deliver_due(NOW) == {"sent": 1, "retrying": 0, "failed": 0}
    assert deliver_due(NOW + timedelta(hours=1)) == {"sent": 0, "retrying": 0, "failed": 0}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [carol.email]
    assert message.subject == "Check in"
    assert "http://127.0.0.1:8000/goals/1/" in str(message.body)
    d = Delivery.objects.get()
    assert (d.status, d.attempts, d.sent_at) == (Delivery.Status.SENT, 1, NOW)
    assert Attempt.objects.get().number == 1


def test_email_switched_off_per_kind_or_entirely(acme: Organization, carol: User, alice: User) -> None:
    save_preferences(carol, {"email": True, "reminder": False, "digest": True, "mention": True})
    save_preferences(alice, {"email": False, "reminder": True, "digest": True, "mention": True})
    assert note(acme, carol, "k1") is not None
    assert note(acme, alice, "k2") is not None
    assert enqueue(acme, Kind.MENTION, "k3", "s", "b", recipient=carol, now=NOW) is not None
    assert list(Delivery.objects.values_list("notification__key", flat=True)) == ["k3"]


def test_a_recipient_who_left_is_not_mailed(acme: Organization, carol: User) -> None:
    note(acme, carol)
    Membership.objects.filter(user=carol).delete()
    assert deliver_due(NOW)["failed"] == 1
    assert not mail.outbox
    assert Delivery.objects.get().last_error == "the recipient is no longer a member"


def test_two_claimers_never_share_a_delivery(acme: Organization, carol: User, alice: User) -> None:
    for n in range(5):
        note(acme, carol, f"a{n}")
        note(acme, alice, f"b{n}")
    first = claim_due(NOW, limit=6, token="a" * 32)
    second = claim_due(NOW, limit=6, token="b" * 32)
    assert len(first) == 6 and len(second) == 4
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert claim_due(NOW, token="c" * 32) == []
    assert all(d.attempts == 1 for d in first + second)


def test_a_claim_whose_lease_ran_out_is_claimed_again(acme: Organization, carol: User) -> None:
    note(acme, carol)
    [held] = claim_due(NOW, token="a" * 32)  # this worker "dies" holding it
    assert claim_due(NOW + timedelta(minutes=4), token="b" * 32) == []
    [again] = claim_due(NOW + timedelta(minutes=6), token="c" * 32)
    assert again.pk == held.pk and again.attempts == 2
    # the first worker wakes up: its outcome no longer counts
    outbox.record(held, outbox.Outcome(True), NOW, 1, lambda: 0.0)
    assert Delivery.objects.get().status == Delivery.Status.SENDING
    outbox.record(again, outbox.Outcome(True), NOW, 1, lambda: 0.0)
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_failures_back_off_then_fail(acme: Organization, carol: User, settings: object) -> None:
    setattr(settings, "BACKCAST_DELIVERY_MAX_ATTEMPTS", 3)  # noqa: B010 - pytest-django's settings fixture
    note(acme, carol)
    now = NOW
    for attempt in (1, 2):
        [d] = claim_due(now)
        assert outbox.record(d, outbox.Outcome(False, 503, "HTTP 503"), now, 5, lambda: 1.0) == "retrying"
        d.refresh_from_db()
        assert d.next_attempt_at == now + backoff(attempt, lambda: 1.0)
        assert claim_due(d.next_attempt_at - timedelta(seconds=1)) == []
        now = d.next_attempt_at
    [d] = claim_due(now)
    assert outbox.record(d, outbox.Outcome(False, 503, "HTTP 503"), now, 5, lambda: 1.0) == "failed"
    d.refresh_from_db()
    assert (d.status, d.attempts, d.response_status, d.last_error) == ("failed", 3, 503, "HTTP 503")
    assert list(Attempt.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    assert backoff(1, lambda: 0.0) == timedelta(seconds=30)
    assert backoff(2, lambda: 0.0) == timedelta(seconds=60)
    assert backoff(3, lambda: 1.0) == timedelta(seconds=150)
    assert backoff(30, lambda: 0.0) == timedelta(hours=1)


def test_unknown_kind_is_a_programming_error(acme: Organization) -> None:
    with pytest.raises(ValueError, match="unknown notification kind"):
        enqueue(acme, "gossip", "k", "s", "b")

"""Log-in throttling arithmetic, with the clock moved by hand: limits, windows, growing locks, reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import RequestFactory

from backcast.accounts.models import LoginThrottle, ThrottleScope
from backcast.services.platform import throttle

T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
HERE = "203.0.113.7"


def fail(times: int, username: str = "alice@acme.test", address: str | None = HERE, at: datetime = T0) -> Any:
    result = None
    for _ in range(times):
        result = throttle.record_failure(username, address, at)
    return result


def test_five_failures_lock_the_account_for_fifteen_minutes(db: None) -> None:
    assert fail(4) is None
    assert throttle.check_login("alice@acme.test", HERE, T0) is None
    lock = fail(1)
    assert lock is not None and lock.scope == "account" and lock.until == T0 + timedelta(minutes=15)
    refusal = throttle.check_login("Alice@Acme.test ", "198.51.100.1", T0 + timedelta(minutes=14))
    assert refusal is not None and refusal.until == T0 + timedelta(minutes=15)  # any address, any case
    assert throttle.check_login("alice@acme.test", HERE, T0 + timedelta(minutes=15)) is None
    assert throttle.check_login("bob@acme.test", HERE, T0) is None  # other accounts are not locked


def test_failures_outside_the_window_do_not_add_up(db: None) -> None:
    fail(4)
    assert fail(4, at=T0 + timedelta(minutes=15)) is None
    assert throttle.check_login("alice@acme.test", HERE, T0 + timedelta(minutes=16)) is None


def test_each_lock_after_another_lasts_twice_as_long_up_to_a_day(db: None) -> None:
    start = T0
    lengths = []
    for _ in range(9):
        lock = fail(5, at=start)
        assert lock is not None
        lengths.append(lock.until - start)
        start = lock.until
    minutes = [int(length.total_seconds() // 60) for length in lengths]
    assert minutes == [15, 30, 60, 120, 240, 480, 960, 1440, 1440]


def test_a_quiet_day_after_the_last_lock_starts_short_again(db: None) -> None:
    first = fail(5)
    second = fail(5, at=first.until)
    assert second.until - first.until == timedelta(minutes=30)
    later = second.until + timedelta(days=1)
    assert fail(5, at=later).until == later + timedelta(minutes=15)


def test_success_forgets_the_account_but_not_the_address(db: None, settings: Any) -> None:
    settings.BACKCAST_LOGIN_THROTTLE = {"address": throttle.Policy(limit=6)}
    fail(5)  # locked
    throttle.record_success("alice@acme.test")
    assert throttle.check_login("alice@acme.test", "198.51.100.1", T0) is None
    assert fail(4, address="198.51.100.1") is None  # the count starts again at zero
    assert fail(1, username="carol@acme.test") is not None  # HERE: 6 failures in all
    refusal = throttle.check_login("someone@acme.test", HERE, T0)
    assert refusal is not None and refusal.scope == "address"


def test_an_address_spraying_many_accounts_is_locked(db: None) -> None:
    for n in range(49):
        assert fail(1, username=f"user{n}@acme.test") is None
    lock = fail(1, username="user49@acme.test")
    assert lock is not None and lock.scope == "address"
    refusal = throttle.check_login("new@acme.test", HERE, T0 + timedelta(minutes=1))
    assert refusal is not None and refusal.scope == "address"
    assert throttle.check_login("new@acme.test", "198.51.100.1", T0) is None
    assert "your network address" in refusal.message(T0 + timedelta(minutes=1))


def test_names_without_an_account_are_counted_alike(db: None) -> None:
    """The answer must not tell whether an account exists: a made-up name locks the same way."""
    lock = fail(5, username="nobody@nowhere.test")
    assert lock is not None and lock.scope == "account"


def test_without_an_address_only_the_account_counts(db: None) -> None:
    fail(5, address=None)
    assert set(LoginThrottle.objects.values_list("scope", flat=True)) == {ThrottleScope.ACCOUNT}


def test_the_message_says_when_to_try_again(db: None) -> None:
    lock = fail(5)
    text = lock.message(T0 + timedelta(minutes=5, seconds=30))
    assert "Try again in 10 minutes (after 09:15 UTC)" in text
    assert "in 1 minute " in lock.message(T0 + timedelta(minutes=14, seconds=59))


def test_stale_counters_are_pruned(db: None) -> None:
    fail(3, username="old@acme.test")
    fail(1, username="new@acme.test", at=T0 + throttle.RETENTION + timedelta(minutes=1))
    assert set(LoginThrottle.objects.values_list("key", flat=True)) == {"new@acme.test", HERE}


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (False, "", "10.0.0.5"),
        (False, "198.51.100.9", "10.0.0.5"),  # anyone can write the header: ignored unless trusted
        (True, "198.51.100.9, 10.0.0.5", "198.51.100.9"),
        (True, "", "10.0.0.5"),
    ],
)
def test_client_address(settings: Any, trusted: bool, forwarded: str, expected: str) -> None:
    settings.BACKCAST_TRUST_X_FORWARDED_FOR = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttle.client_address(request) == expected

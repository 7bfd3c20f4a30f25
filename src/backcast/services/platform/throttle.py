"""Log-in throttling: failed attempts counted per account and per client address, in the database.

Password guessing is slowed two ways. Each **account name** may fail ``ACCOUNT.limit`` times (5)
within ``window`` (15 minutes); the next failure locks it for ``lock`` (15 minutes), and each lock
after that without a success in between lasts twice as long, up to ``max_lock`` (a day). Each
**client address** has a higher limit (50), which stops one machine from spraying a few guesses at
many accounts. While either is locked, a log-in is refused with the time to try again, before the
password is even checked, so the right password does not open a locked account either. A success
clears the account's counter (not the address's: one known password must not buy more guesses).

The counts live in the database, so every app process (gunicorn worker, machine) shares them;
each change happens inside a transaction on a locked row. Names are counted whether or not an
account has them, so the answer never tells whether an account exists. ``now`` is an argument
everywhere, so tests move the clock by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from backcast.accounts.models import LoginThrottle, ThrottleScope

# Counters untouched for this long are forgotten (their lock, if any, is long over).
RETENTION = timedelta(days=2)


@dataclass(frozen=True)
class Policy:
    """How many failures within ``window`` lock a key, and for how long (doubling, capped)."""

    limit: int
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)
    max_lock: timedelta = timedelta(days=1)

    def lock_for(self, lockouts: int) -> timedelta:
        """The length of the lock after ``lockouts`` earlier ones: ``lock`` doubled each time, capped."""
        return min(self.lock * (1 << min(lockouts, 30)), self.max_lock)


ACCOUNT = Policy(limit=5)
ADDRESS = Policy(limit=50)


@dataclass(frozen=True)
class Refusal:
    """A log-in refused because an account or address is locked, and until when."""

    scope: str
    until: datetime

    def message(self, now: datetime) -> str:
        """What the person reads: why, and when to try again (minutes from now and the UTC time)."""
        minutes = max(1, math.ceil((self.until - now).total_seconds() / 60))
        what = "this account" if self.scope == ThrottleScope.ACCOUNT else "your network address"
        return (
            f"Too many failed log-ins for {what}. Try again in {minutes} minute{'s' if minutes != 1 else ''} "
            f"(after {self.until:%H:%M} UTC)."
        )


def policies() -> dict[str, Policy]:
    """The policies in force; ``BACKCAST_LOGIN_THROTTLE`` in settings may replace them (tests)."""
    configured: dict[str, Policy] = getattr(settings, "BACKCAST_LOGIN_THROTTLE", {})
    return {ThrottleScope.ACCOUNT: ACCOUNT, ThrottleScope.ADDRESS: ADDRESS} | configured


def account_key(username: str) -> str:
    """Account names are counted as typed, normalised as log-in normalises e-mail addresses."""
    return username.strip().lower()[:254]


def keys(username: str, address: str | None) -> list[tuple[str, str]]:
    found = [(ThrottleScope.ACCOUNT.value, account_key(username))]
    if address:
        found.append((ThrottleScope.ADDRESS.value, address[:254]))
    return found


def check_login(username: str, address: str | None, now: datetime) -> Refusal | None:
    """The refusal that applies to a log-in by ``username`` from ``address`` at ``now``, if any.

    The account's lock is reported before the address's; of two locks, the one named is the
    account's, as it is the one a person can do something about (wait, or reset the password).
    """
    rows = {
        (row.scope, row.key): row
        for row in LoginThrottle.objects.filter(
            key__in=[key for _, key in keys(username, address)], locked_until__gt=now
        )
    }
    for scope, key in keys(username, address):
        row = rows.get((scope, key))
        if row is not None and row.locked_until is not None:
            return Refusal(scope, row.locked_until)
    return None


@transaction.atomic
def record_failure(username: str, address: str | None, now: datetime) -> Refusal | None:
    """Count a failed log-in against the account and the address; returns the lock it set, if any."""
    refusal = None
    for scope, key in keys(username, address):
        locked = count_failure(scope, key, policies()[scope], now)
        if locked is not None and refusal is None:
            refusal = Refusal(scope, locked)
    LoginThrottle.objects.filter(updated_at__lt=now - RETENTION).delete()
    return refusal


def count_failure(scope: str, key: str, policy: Policy, now: datetime) -> datetime | None:
    """One more failure for one key, on its locked row; returns the end of the lock it set, if any."""
    row, _ = LoginThrottle.objects.select_for_update().get_or_create(
        scope=scope, key=key, defaults={"window_start": now, "updated_at": now}
    )
    if now - row.window_start >= policy.window:
        row.failures = 0
        row.window_start = now
    if row.locked_until is not None and now - row.locked_until >= policy.max_lock:
        row.lockouts = 0  # a day of quiet after the last lock: the next one starts short again
    row.failures += 1
    row.updated_at = now
    locked = None
    if row.failures >= policy.limit:
        locked = now + policy.lock_for(row.lockouts)
        row.locked_until = locked
        row.lockouts += 1
        row.failures = 0
        row.window_start = now
    row.save()
    return locked


@transaction.atomic
def record_success(username: str) -> None:
    """A correct log-in: the account's failures, lock history included, are forgotten."""
    LoginThrottle.objects.filter(scope=ThrottleScope.ACCOUNT, key=account_key(username)).delete()


def client_address(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind a trusted proxy the first X-Forwarded-For hop.

    ``BACKCAST_TRUST_X_FORWARDED_FOR`` (environment ``TRUST_X_FORWARDED_FOR``) says the app is
    reachable only through a reverse proxy that sets the header to the client it saw; without it,
    the header is ignored, as anyone could write it.
    """
    if getattr(settings, "BACKCAST_TRUST_X_FORWARDED_FOR", False):
        first = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",", 1)[0].strip()
        if first:
            return first
    remote = request.META.get("REMOTE_ADDR")
    return str(remote) if remote else None

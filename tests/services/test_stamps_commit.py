"""Organisations' stamps move once a committed transaction, never before its commit, never in a deadlock.

The goal list serves a page again while its organisations' stamps hold (``services.reporting.goal_list``).
On PostgreSQL they are bumped at commit by a deferred trigger, in organisation order, so two
writers touching the same organisations in opposite orders both commit; bumped at the first
write instead, they would deadlock (each holding the organisation the other needs). These tests
commit for real, each thread on its own connection; the other tests run in a transaction that
never commits, where the bump is made at the end of each statement (``tests/conftest.py``).
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections, transaction

from backcast.goals.models import Goal, OrganizationStamp
from backcast.organizations.models import Organization
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def stamp_of(org: Organization) -> int:
    return OrganizationStamp.objects.filter(organization=org).values_list("stamp", flat=True).first() or 0


def other_connection_reads(org: Organization) -> int:
    """The organisation's stamp as another connection sees it (committed rows only)."""
    result: list[int] = []

    def read() -> None:
        try:
            result.append(stamp_of(org))
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return result[0]


@pytest.fixture
def two() -> tuple[Organization, Organization]:
    make_user("alice@acme.test", "Acme Plant", "admin")
    make_user("charlie@other.test", "Other Works", "admin")
    return Organization.objects.get(slug="acme-plant"), Organization.objects.get(slug="other-works")


def goal_in(org: Organization, title: str) -> Goal:
    return Goal.objects.create(organization=org, title=title, deadline=date(2031, 6, 30))


@transaction.atomic
def write_then_fail(goal: Goal) -> None:
    Goal.objects.filter(pk=goal.pk).update(title="Rolled back")
    raise RuntimeError("rolled back")


def test_a_transaction_moves_its_organisations_stamp_once_when_it_commits(
    two: tuple[Organization, ...],
) -> None:
    acme, other = two
    first, second = goal_in(acme, "Cut scrap"), goal_in(acme, "Raise OTD")
    before, elsewhere = stamp_of(acme), stamp_of(other)
    with transaction.atomic():
        Goal.objects.filter(pk=first.pk).update(title="Cut scrap to 2%")
        Goal.objects.filter(pk=second.pk).update(title="Raise OTD to 95%")
        if connection.vendor == "postgresql":
            assert other_connection_reads(acme) == before  # nothing before the commit
    after = stamp_of(acme)
    assert after > before and stamp_of(other) == elsewhere
    if connection.vendor == "postgresql":
        assert after == before + 1  # once, however many goals
    with pytest.raises(RuntimeError):
        write_then_fail(first)
    assert stamp_of(acme) == after
    goal_in(acme, "Created")
    created = stamp_of(acme)
    assert created > after
    Goal.all_objects.filter(title="Created").delete()
    assert stamp_of(acme) > created


def test_writers_crossing_organisations_in_opposite_orders_both_commit(two: tuple[Organization, ...]) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database cannot make a writer wait for another")
    acme, other = two
    goals = {(org.slug, n): goal_in(org, f"Goal {n}") for org in two for n in (1, 2)}
    before = (stamp_of(acme), stamp_of(other))
    both_wrote = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def write(first: Organization, then: Organization, n: int) -> None:
        try:
            with transaction.atomic():
                Goal.objects.filter(pk=goals[(first.slug, n)].pk).update(title=f"First {n}")
                Goal.objects.filter(pk=goals[(then.slug, n)].pk).update(title=f"Then {n}")
                both_wrote.wait()  # both hold their goals' stamps; both commit now
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=write, args=(acme, other, 1)),
        threading.Thread(target=write, args=(other, acme, 2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert (stamp_of(acme), stamp_of(other)) == (before[0] + 2, before[1] + 2)

"""Personas shared by the database tests (after healthchecks' BaseTestCase).

alice is the admin of Acme Plant; bob is a viewer there; carol a contributor; charlie is the admin
of another organisation and must get 404 from everything of Acme's. Django is imported inside the
fixtures only, so the pure planning tests run without it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django.test import Client

    from backcast.accounts.models import User
    from backcast.organizations.models import Organization

PASSWORD = "correct horse battery staple"
DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches the database, so CI can run just those on PostgreSQL, and
    every test that needs a PostgreSQL server of its own, which only that pass runs."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if DB_FIXTURES & fixtures or item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.db)
        if "new_postgres_database" in fixtures:
            item.add_marker(pytest.mark.postgres)


def postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def new_postgres_database() -> Iterator[str]:
    """A PostgreSQL database made for this test and dropped after it.

    Skipped where no server answers on 127.0.0.1:5432, except in CI (``CI`` set), where the
    PostgreSQL pass must run it: there a missing server fails the test.
    """
    if not postgres_answers():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL does not answer on 127.0.0.1:5432, and CI must run this test")
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    import psycopg

    name = f"backcast_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _fresh_page_cache(request: pytest.FixtureRequest) -> None:
    """Each database test starts with no rendered API page kept from another test's database.

    Rolled-back tests hand SQLite's ids out again, so another test's page could have the same
    state; a server's database only moves forward.
    """
    if "db" in request.keywords:
        from backcast.api.page_cache import GOAL_PAGES

        GOAL_PAGES.clear()


@pytest.fixture(autouse=True)
def _organization_stamps_at_once(request: pytest.FixtureRequest) -> None:
    """On PostgreSQL, organisations' stamps move at commit; a test's transaction never commits,
    so there they move at the end of each statement instead (``tests/services/test_stamps_commit.py``
    holds the commit-time behaviour with real transactions)."""
    if "db" in request.keywords and "transactional_db" not in request.fixturenames:
        request.getfixturevalue("db")
        from django.db import connection

        if connection.vendor == "postgresql":
            from backcast.goals.stamps import ORGANIZATIONS

            with connection.cursor() as cursor:  # that trigger only: foreign keys stay deferred
                cursor.execute(f"SET CONSTRAINTS {ORGANIZATIONS} IMMEDIATE")


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest) -> None:
    """Argon2 is deliberately slow; tests that do not examine hashing use a fast hasher."""
    if "db" not in request.keywords or "argon2" in request.keywords:
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(email: str, org: str, role: str, name: str = "") -> User:
    from backcast.services.platform.accounts import create_user

    user, _ = create_user(email, PASSWORD, org=org, role=role, name=name, validate=False)
    return user


@pytest.fixture
def alice(db: Any) -> User:
    return make_user("alice@acme.test", "Acme Plant", "admin", "Alice Admin")


@pytest.fixture
def acme(alice: User) -> Organization:
    from backcast.organizations.models import Organization

    return Organization.objects.get(slug="acme-plant")


@pytest.fixture
def bob(acme: Organization) -> User:
    return make_user("bob@acme.test", acme.slug, "viewer", "Bob Viewer")


@pytest.fixture
def carol(acme: Organization) -> User:
    return make_user("carol@acme.test", acme.slug, "contributor", "Carol Contributor")


@pytest.fixture
def charlie(db: Any) -> User:
    return make_user("charlie@other.test", "Other Works", "admin", "Charlie Outsider")


def logged_in(user: User) -> Client:
    """A client that enforces CSRF checks, logged in as ``user``."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_token(client: Client, url: str = "/account/tokens/") -> str:
    """Fetch a page so the CSRF cookie is set, and return the token forms must send."""
    client.get(url)
    return str(client.cookies["csrftoken"].value)

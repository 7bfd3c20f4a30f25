"""Token rules that the API relies on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backcast.accounts.models import ApiToken, User
from backcast.services.platform.errors import InvalidInput
from backcast.services.platform.tokens import authenticate_token, create_token, revoke_token


def test_raw_token_is_never_stored(alice: User) -> None:
    token, raw = create_token(alice, "ERP")
    row = ApiToken.objects.values().get(pk=token.pk)
    assert all(raw not in str(value) for value in row.values())
    assert raw.startswith(f"bc_{token.prefix}_")


def test_last_used_is_written_at_most_once_a_minute(alice: User) -> None:
    token, raw = create_token(alice)
    first = authenticate_token(raw)
    assert first is not None and first.last_used_at is not None
    stamp = first.last_used_at
    assert authenticate_token(raw).last_used_at == stamp  # type: ignore[union-attr]
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stamp - timedelta(minutes=2))
    later = authenticate_token(raw)
    assert (
        later is not None
        and later.last_used_at is not None
        and later.last_used_at > stamp - timedelta(minutes=1)
    )
    assert later.last_used_at <= timezone.now()


def test_revocation_is_per_owner(alice: User, charlie: User) -> None:
    token, raw = create_token(alice)
    with pytest.raises(InvalidInput):
        revoke_token(charlie, token.prefix)
    assert authenticate_token(raw) is not None
    revoke_token(alice, token.prefix)
    assert authenticate_token(raw) is None


def test_bad_scope_and_long_name_are_refused(alice: User) -> None:
    with pytest.raises(InvalidInput, match="scope"):
        create_token(alice, "x", "admin")
    with pytest.raises(InvalidInput, match="100 characters"):
        create_token(alice, "x" * 101)
    assert not ApiToken.objects.exists()


def test_the_token_comes_with_its_user_as_the_orm_reads_them(alice: User) -> None:
    token, raw = create_token(alice, "ERP", "read")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(seconds=5))
    found = authenticate_token(raw)
    stored = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert found is not None and (found.pk, found.scope, found.user_id) == (token.pk, "read", alice.pk)
    assert found.last_used_at is not None and found.last_used_at == stored.last_used_at
    assert timezone.is_aware(found.last_used_at)
    for name in ("email", "name", "is_active", "is_staff", "is_superuser", "date_joined", "password"):
        assert getattr(found.user, name) == getattr(stored.user, name), name  # the rest load when read
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert authenticate_token(raw) is None
    assert authenticate_token(raw.replace("bc_", "xx_", 1)) is None

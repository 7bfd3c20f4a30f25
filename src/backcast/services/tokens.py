"""API tokens: created and shown once, stored as a digest, revocable, with a last-used time."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from backcast.accounts.models import ApiToken, TokenScope, User, token_digest
from backcast.services.errors import InvalidInput

TOKEN_PREFIX = "bc"  # noqa: S105 - a public marker, not a secret


def generate() -> tuple[str, str]:
    """A new raw token and its public prefix: ``bc_<prefix>_<secret>`` with 256 secret bits."""
    prefix = secrets.token_hex(4)
    return f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


@transaction.atomic
def create_token(user: User, name: str = "", scope: str = TokenScope.WRITE) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the stored row and the raw token, never stored."""
    if scope not in TokenScope.values:
        raise InvalidInput(f"unknown scope {scope!r}; choose read or write", "scope")
    name = name.strip() or f"token {timezone.now():%Y-%m-%d %H:%M}"
    if len(name) > 100:
        raise InvalidInput("a token name has at most 100 characters", "name")
    raw, prefix = generate()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, digest=token_digest(raw), scope=scope
    )
    return token, raw


@transaction.atomic
def revoke_token(user: User, prefix: str) -> ApiToken:
    """Revoke one of ``user``'s own tokens by prefix; revoking twice is harmless."""
    token = ApiToken.objects.filter(user=user, prefix=prefix).first()
    if token is None:
        raise InvalidInput(f"no token with prefix {prefix!r}", "prefix")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@sensitive_variables("raw")  # an error report must not show the raw token
def authenticate_token(raw: str) -> ApiToken | None:
    """The active token matching ``raw`` with its user, or None. Records when it was last used.

    The last-used time is written at most once a minute per token, so a busy integration does not
    turn every API read into a write.
    """
    if not raw.startswith(f"{TOKEN_PREFIX}_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    interval = timedelta(seconds=settings.BACKCAST_TOKEN_TOUCH_INTERVAL)
    if token.last_used_at is None or now - token.last_used_at >= interval:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

"""The HTML interface's views, a module an area, and what they share."""

from __future__ import annotations

from django.http import HttpRequest

from backcast.accounts.models import User


def current_user(request: HttpRequest) -> User:
    """The person logged in, for a view behind ``login_required`` (which guarantees one)."""
    user = request.user
    assert isinstance(user, User)  # guaranteed by login_required
    return user

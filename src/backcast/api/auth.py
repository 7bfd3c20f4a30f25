"""API authentication: a session cookie (with CSRF on writes) or ``Authorization: Bearer TOKEN``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables
from ninja.security import HttpBearer, SessionAuth

from backcast.accounts.models import ApiToken
from backcast.services.platform.tokens import authenticate_token
from backcast.services.reporting.goal_list import authenticate_with_state

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    """Bearer tokens created with ``backcast token create`` or on the tokens page.

    ``with_goal_list_state``: the goal list's own instance, which reads the list's state in the
    token's query (``services.reporting.goal_list.authenticate_with_state``) and leaves it on the request
    as ``goal_list_state``. The same class, so the OpenAPI document names one scheme.
    """

    def __init__(self, *, with_goal_list_state: bool = False) -> None:
        super().__init__()
        self.with_goal_list_state = with_goal_list_state

    @method_decorator(sensitive_variables())
    def __call__(self, request: HttpRequest) -> Any:
        """ninja's reading of ``Authorization: Bearer TOKEN``, without its copies of the header.

        ninja keeps the header in local variables (shown in an error report's traceback) and,
        with DEBUG on, logs a header of another scheme (which may carry a password). Here every
        local is hidden from error reports and nothing is logged.
        """
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        return self.authenticate(request, token)

    @method_decorator(sensitive_variables("token"))  # an error report must not show the raw token
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found: ApiToken | None
        if self.with_goal_list_state:
            both = authenticate_with_state(token)
            if both is None:
                return None
            found, request.goal_list_state = both  # type: ignore[attr-defined]
        else:
            found = authenticate_token(token)
        if found is None:
            return None
        if found.scope == "read" and request.method not in SAFE_METHODS:
            raise PermissionDenied("this token is read-only")
        request.user = found.user
        return found.user


class ActiveSessionAuth(SessionAuth):
    """Django's session, for the browser's own calls; only active users."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [TokenAuth(), ActiveSessionAuth()]
GOAL_LIST_AUTH = [TokenAuth(with_goal_list_state=True), ActiveSessionAuth()]

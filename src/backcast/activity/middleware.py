"""Every request acts as its user: the events its services write name them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from backcast.activity.context import Scope, scoped


class ActorMiddleware:
    """Keep the request in the activity scope for its duration (after ``AuthenticationMiddleware``).

    The request, not its user, is kept: the API authenticates a bearer token inside the view and
    sets ``request.user`` then, and the user is read only when an event is written.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with scoped(Scope(request=request)):
            return self.get_response(request)

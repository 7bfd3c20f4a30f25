"""The person's calendar page (/account/calendar/) and the feeds themselves (/feeds/SECRET.ics).

Thin: each handler calls one service. The page needs a login; the feed cannot (calendar apps do
not log in): its secret names it, and the service checks again what the feed's user may view.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from backcast.services.notify import feeds as feed_services
from backcast.services.platform.errors import InvalidInput
from backcast.web.views import current_user

PERSONAL = "mine"  # the value of ``feed`` that names the person's own milestones
FEED_CACHE_CONTROL = "private, max-age=300"  # calendar apps poll; five minutes stale at most


def feed_choice(request: HttpRequest) -> int | None:
    """The goal id named by the form's ``feed`` field, or None for the person's own milestones."""
    value = request.POST.get("feed", "").strip()
    if value == PERSONAL:
        return None
    if not value.isdigit():
        raise InvalidInput("choose your milestones or a goal", "feed")
    return int(value)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feeds(request: HttpRequest) -> HttpResponse:
    """The person's feeds; POST creates one, or rotates it: a new URL, shown on this response only.

    A goal the person cannot view answers 404, as it does everywhere.
    """
    user = current_user(request)
    new_url, issued, status = "", None, 200
    error = ""
    if request.method == "POST":
        try:
            issued, raw = feed_services.issue_feed(user, feed_choice(request))
        except InvalidInput as exc:
            error, status = exc.message, 400
        else:
            new_url = request.build_absolute_uri(reverse("calendar-feed", args=[raw]))
    context = {
        "page": feed_services.calendar_page(user),
        "new_url": new_url,
        "webcal_url": "webcal" + new_url[new_url.index(":") :] if new_url else "",
        "issued": issued,
        "error": error,
        "personal": PERSONAL,
    }
    response = render(request, "feeds/calendar.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may carry a secret
    return response


@login_required
@require_POST
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    """Revoke one of the person's feeds; its URL answers 404 from now on."""
    try:
        feed_services.revoke_feed(current_user(request), feed_choice(request))
    except InvalidInput:
        raise Http404("no such calendar feed") from None
    messages.success(request, "Calendar feed revoked: its address no longer works.")
    return redirect("calendar-feeds")


@require_safe
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The feed as text/calendar; a wrong, rotated or revoked secret answers 404.

    Neither answer is logged by Django's request logger, since the path carries the secret.
    """
    now = timezone.now()
    feed = feed_services.find_feed(secret, now)
    host = request.get_host()
    site = feed_services.Site(f"{request.scheme}://{host}", split_domain_port(host)[0] or "backcast")
    body = feed_services.render_feed(feed, site, now) if feed is not None else None
    if body is None:
        response = HttpResponse(
            "No such calendar feed.\n", content_type="text/plain; charset=utf-8", status=404
        )
        response["Cache-Control"] = "no-store"
    else:
        response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
        response["Cache-Control"] = FEED_CACHE_CONTROL
        response["Content-Disposition"] = 'inline; filename="backcast.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Django's request logger writes the path of every 4xx; it skips a response marked as logged.
    setattr(response, "_has_been_logged", True)  # noqa: B010 - Django's own flag, not a typed attribute
    return response

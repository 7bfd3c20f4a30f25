"""The person's calendar page and the secret feed URLs (public: the secret is the credential)."""

from django.urls import URLPattern, path

from backcast.web.views import feeds as views

urlpatterns: list[URLPattern] = [
    path("account/calendar/", views.calendar_feeds, name="calendar-feeds"),
    path("account/calendar/revoke/", views.calendar_feed_revoke, name="calendar-feed-revoke"),
    path("feeds/<slug:secret>.ics", views.calendar_feed, name="calendar-feed"),
]

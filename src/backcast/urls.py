"""The site's URLs: pages, the back office and the JSON API."""

from django.contrib import admin
from django.urls import include, path

from backcast.api import api

admin.site.site_header = "Backcast back office"
admin.site.site_title = "Backcast"

urlpatterns = [
    path("", include("backcast.organizations.urls")),
    path("", include("backcast.goals.urls")),
    path("", include("backcast.replanning.urls")),
    path("", include("backcast.feeds.urls")),
    path("", include("backcast.activity.urls")),
    path("", include("backcast.notifications.urls")),
    path("account/", include("backcast.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

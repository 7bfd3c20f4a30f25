"""The site's URLs: pages, the back office and the JSON API."""

from django.contrib import admin
from django.urls import include, path

from backcast.api import api
from backcast.web.views.accounts import ThrottledAdminLogin

admin.site.site_header = "Backcast back office"
admin.site.site_title = "Backcast"
admin.site.login_form = ThrottledAdminLogin  # the back office counts and refuses failures as the site does

urlpatterns = [
    path("", include("backcast.web.urls.organizations")),
    path("", include("backcast.web.urls.goals")),
    path("", include("backcast.web.urls.replanning")),
    path("", include("backcast.web.urls.feeds")),
    path("", include("backcast.web.urls.activity")),
    path("", include("backcast.web.urls.notifications")),
    path("account/", include("backcast.web.urls.accounts")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

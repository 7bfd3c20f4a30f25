from django.urls import include, path

from backcast.web.views import accounts as views

urlpatterns = [
    # Before Django's own patterns, so these answer /account/login/ and /account/password_reset/.
    path("login/", views.ThrottledLoginView.as_view(), name="login"),
    path("password_reset/", views.SiteLinkedPasswordResetView.as_view(), name="password_reset"),
    path("", include("django.contrib.auth.urls")),
    path("tokens/", views.token_list, name="token-list"),
    path("tokens/<str:prefix>/revoke/", views.token_revoke, name="token-revoke"),
]

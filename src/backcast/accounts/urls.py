from django.urls import include, path

from backcast.accounts import views

urlpatterns = [
    # Before Django's own patterns, so the throttled log-in answers /account/login/.
    path("login/", views.ThrottledLoginView.as_view(), name="login"),
    path("", include("django.contrib.auth.urls")),
    path("tokens/", views.token_list, name="token-list"),
    path("tokens/<str:prefix>/revoke/", views.token_revoke, name="token-revoke"),
]

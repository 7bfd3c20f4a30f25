from django.urls import include, path

from backcast.accounts import views

urlpatterns = [
    path("", include("django.contrib.auth.urls")),
    path("tokens/", views.token_list, name="token-list"),
    path("tokens/<str:prefix>/revoke/", views.token_revoke, name="token-revoke"),
]

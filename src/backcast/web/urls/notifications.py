"""The person's notification switches; an organisation's webhooks and delivery log (admins)."""

from django.urls import URLPattern, path

from backcast.web.views import notifications as views

urlpatterns: list[URLPattern] = [
    path("account/notifications/", views.preferences, name="notification-preferences"),
    path("o/<slug:slug>/webhooks/", views.webhook_list, name="webhook-list"),
    path("o/<slug:slug>/webhooks/deliveries/", views.delivery_log, name="webhook-deliveries"),
    path("webhooks/<int:webhook_id>/active/", views.webhook_active, name="webhook-active"),
    path("webhooks/<int:webhook_id>/delete/", views.webhook_delete, name="webhook-delete"),
]

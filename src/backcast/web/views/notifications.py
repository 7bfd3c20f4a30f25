"""Notification pages: a person's e-mail switches; an organisation's webhooks and delivery log.

Thin: each handler looks up through tenancy (in the service), calls one service and renders.
Webhooks are the admins' (``Action.ADMINISTER``): anyone else gets 404 (outsiders) or 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from backcast.notifications.models import Preference, Webhook
from backcast.organizations.models import Organization
from backcast.organizations.tenancy import Action, get_for
from backcast.services.notify import outbox as notification_services
from backcast.services.notify import webhooks as webhook_services
from backcast.services.platform.errors import InvalidInput
from backcast.web.forms.notifications import PreferenceForm, WebhookForm
from backcast.web.views import current_user


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Which notifications the person gets by e-mail."""
    user = current_user(request)
    pref = Preference.objects.filter(user=user).first() or Preference(user=user)
    initial = {name: getattr(pref, name) for name in ("email", "reminder", "digest", "mention")}
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        notification_services.save_preferences(user, form.cleaned_data)
        messages.success(request, "Notification settings saved.")
        return redirect("notification-preferences")
    return render(request, "notifications/preferences.html", {"form": form})


def webhook_page(
    request: HttpRequest, org: Organization, form: WebhookForm, new: tuple[Webhook, str] | None, status: int
) -> HttpResponse:
    context = {"org": org, "form": form, "webhooks": Webhook.objects.filter(organization=org), "new": new}
    response = render(request, "notifications/webhooks.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may carry a new secret
    return response


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's webhooks, and a form to add one; a new secret is shown on this answer only."""
    org = get_for(Organization.objects.all(), request.user, Action.ADMINISTER, slug=slug)
    form = WebhookForm(request.POST or None)
    if request.method == "GET":
        return webhook_page(request, org, form, None, 200)
    if form.is_valid():
        try:
            new = webhook_services.create_webhook(request.user, slug, form.cleaned_data)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return webhook_page(request, org, WebhookForm(), new, 201)
    return webhook_page(request, org, form, None, 400)


@login_required
@require_POST
def webhook_active(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """Switch a webhook on (``active=1``) or off."""
    hook = webhook_services.set_webhook_active(request.user, webhook_id, request.POST.get("active") == "1")
    messages.success(request, f"Webhook “{hook.name}” switched {'on' if hook.active else 'off'}.")
    return redirect("webhook-list", slug=hook.organization.slug)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    hook = get_for(
        Webhook.objects.select_related("organization"), request.user, Action.ADMINISTER, pk=webhook_id
    )
    slug, name = hook.organization.slug, hook.name
    webhook_services.delete_webhook(request.user, webhook_id)
    messages.success(request, f"Webhook “{name}” deleted.")
    return redirect("webhook-list", slug=slug)


@login_required
@require_http_methods(["GET"])
def delivery_log(request: HttpRequest, slug: str) -> HttpResponse:
    """The latest deliveries of the organisation's notifications, each attempt with its answer."""
    org, rows = webhook_services.delivery_log(request.user, slug)
    return render(request, "notifications/deliveries.html", {"org": org, "rows": rows})

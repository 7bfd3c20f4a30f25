"""Log-in (Django's view and form, throttled) and the person's own settings: API tokens.

Passwords are changed and reset with Django's own views; the reset e-mail's link is built from
``BACKCAST_BASE_URL`` (:class:`SiteLinkedPasswordResetView`). The log-in form is Django's with one
addition, :class:`ThrottledLogin`: failed attempts are counted per account and per client address
(``backcast.services.platform.throttle``) and a locked one is refused before the password is checked. The
back office's log-in (``/admin/login/``) uses the same check (``accounts/admin.py``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from backcast.services.platform import throttle
from backcast.services.platform import tokens as token_services
from backcast.services.platform.errors import InvalidInput
from backcast.web.forms.accounts import TokenForm
from backcast.web.views import current_user


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """List the person's tokens and create one; a new token is shown once, on this response only."""
    user = current_user(request)
    form = TokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _, new_token = token_services.create_token(
                    user, form.cleaned_data["name"], form.cleaned_data["scope"]
                )
            except InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 400
            else:
                form = TokenForm()
        else:
            status = 400
    context = {"form": form, "tokens": user.api_tokens.all(), "new_token": new_token}
    response = render(request, "accounts/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may carry a secret
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    """Revoke one of the person's own tokens; someone else's prefix answers 404."""
    try:
        token = token_services.revoke_token(current_user(request), prefix)
    except InvalidInput:
        raise Http404("no such token") from None
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("token-list")


class ThrottledLogin(AuthenticationForm):
    """Django's log-in form, refusing locked accounts and addresses and counting failures.

    A locked attempt is refused with the time to try again before any password is checked, so
    the right password does not get through either. Only a wrong password counts as a failure; a
    right one clears the account's count (even when the account may not log in here, e.g. a
    non-staff person at the back office). ``throttled`` tells the view to answer 429.
    """

    throttled = False

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # a missing field is reported by the field; nothing to count
        address = throttle.client_address(self.request) if self.request is not None else None
        now = timezone.now()
        refusal = throttle.check_login(username, address, now)
        if refusal is not None:
            self.throttled = True
            raise ValidationError(refusal.message(now), code="throttled")
        try:
            cleaned: dict[str, Any] = super().clean()
        except ValidationError as exc:
            if self.user_cache is not None:  # the password was right; the account may not log in
                throttle.record_success(username)
                raise
            lock = throttle.record_failure(username, address, now)
            if lock is None:
                raise
            self.throttled = True
            raise ValidationError(
                [*exc.error_list, ValidationError(lock.message(now), code="throttled")]
            ) from None
        throttle.record_success(username)
        return cleaned


class ThrottledAdminLogin(ThrottledLogin, AdminAuthenticationForm):
    """The back office's log-in form (staff only), with the same throttle."""


class ThrottledLoginView(LoginView):
    """Django's log-in page with the throttled form; a refusal for a lock answers 429."""

    authentication_form = ThrottledLogin

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if getattr(form, "throttled", False):
            response.status_code = 429
        return response


class SiteLinkedPasswordResetView(PasswordResetView):
    """Django's password-reset page, whose e-mail links to ``BACKCAST_BASE_URL``.

    Django builds the link from the request's host. Whoever asks for a reset chooses that host
    (the ``Host`` header, or ``X-Forwarded-Host`` behind a proxy), so they could send the owner
    of the address a genuine reset e-mail whose link hands the token to their own site. The
    configured address is the site's own, whatever the request says.
    """

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        site = urlsplit(settings.BACKCAST_BASE_URL)
        self.extra_email_context = {"protocol": site.scheme, "domain": site.netloc, "site_name": "Backcast"}
        return super().form_valid(form)

"""The person's own settings: API tokens. Login and passwords are Django's own views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from backcast.accounts.forms import TokenForm
from backcast.accounts.models import User
from backcast.services import tokens as token_services
from backcast.services.errors import InvalidInput


def current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # guaranteed by login_required
    return user


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

"""The site's own address, not the request's: host names checked at deploy, reset links fixed.

Whoever asks for a password reset chooses the request's ``Host`` (and ``X-Forwarded-Host``, when
a proxy's headers are believed); a reset e-mail whose link is built from them would carry the
owner's token to the asker's site. So links come from ``BACKCAST_BASE_URL``, and
``check --deploy`` fails while ``ALLOWED_HOSTS`` lets any host in.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.checks import Tags, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from backcast.accounts.models import User
from tests.conftest import csrf_token


@pytest.mark.parametrize(
    "poisoned", [{"HTTP_X_FORWARDED_HOST": "evil.example"}, {"HTTP_HOST": "evil.example"}]
)
def test_a_reset_link_names_the_configured_site_whatever_the_request_says(
    alice: User, settings: Any, poisoned: dict[str, Any]
) -> None:
    settings.BACKCAST_BASE_URL = "https://ops.example.com"
    settings.ALLOWED_HOSTS = ["*"]  # the worst case: any host name is let in ...
    settings.USE_X_FORWARDED_HOST = True  # ... and a proxy's header believed
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client, "/account/password_reset/")
    response = client.post(
        "/account/password_reset/", {"email": alice.email}, HTTP_X_CSRFTOKEN=token, **poisoned
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert "https://ops.example.com/account/reset/" in str(message.body)
    assert "evil.example" not in str(message.body)


def test_check_deploy_fails_while_any_host_is_let_in(settings: Any) -> None:
    for hosts in (["*"], ["ops.example.com", "*"], []):
        settings.ALLOWED_HOSTS = hosts
        with pytest.raises(SystemCheckError, match=r"backcast\.E001"):
            call_command("check", deploy=True)
    settings.ALLOWED_HOSTS = ["ops.example.com", ".backcast.example"]
    found = run_checks(include_deployment_checks=True, tags=[Tags.security])
    assert "backcast.E001" not in {message.id for message in found}
    settings.ALLOWED_HOSTS = ["*"]
    assert "backcast.E001" not in {message.id for message in run_checks(tags=[Tags.security])}  # deploy only

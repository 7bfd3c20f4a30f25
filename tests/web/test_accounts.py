"""Login, logout, password change and reset (Django's own views), Argon2 hashing, the tokens page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from backcast.accounts.models import ApiToken, User, token_digest
from tests.conftest import PASSWORD, csrf_token, logged_in


def test_first_page_says_backcast_and_offers_login(db: None) -> None:
    client = Client()
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/login/")
    html = response.content.decode()
    assert "<h1>Backcast</h1>" in html
    assert 'name="username"' in html and 'name="password"' in html
    assert 'for="id_username"' in html  # every input has its label


def test_login_and_logout(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client, "/account/login/")
    response = client.post(
        "/account/login/", {"username": alice.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # into alice's only organisation
    assert client.get("/o/acme-plant/").status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post("/account/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get("/o/acme-plant/").status_code == 302


def test_wrong_password_shows_the_form_again(alice: User) -> None:
    client = Client()
    response = client.post("/account/login/", {"username": alice.email, "password": "nope"})
    assert response.status_code == 200
    assert "correct email address and password" in response.content.decode().replace("e-mail", "email")


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2(db: None) -> None:
    user = User.objects.create_user("hash@x.test", "a long enough password")
    assert user.password.startswith("argon2$")
    assert user.check_password("a long enough password")


def test_password_change(alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client, "/account/password_change/")
    response = client.post(
        "/account/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "new and long passphrase",
            "new_password2": "new and long passphrase",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("new and long passphrase")


def test_password_change_errors_stay_by_the_field(alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client, "/account/password_change/")
    response = client.post(
        "/account/password_change/",
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "has-error" in html and "old password was entered incorrectly" in html


def test_password_reset_by_email(alice: User) -> None:
    client = Client()
    response = client.post("/account/password_reset/", {"email": alice.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/account/reset/\S+)", str(mail.outbox[0].body))
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "fresh reset passphrase", "new_password2": "fresh reset passphrase"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("fresh reset passphrase")


def test_token_page_shows_a_new_token_once_and_stores_only_its_digest(alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    response = client.post("/account/tokens/", {"name": "ERP", "scope": "write"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = re.search(r'id="new-token">([^<]+)<', response.content.decode())
    assert raw is not None
    stored = ApiToken.objects.get(user=alice)
    assert stored.digest == token_digest(raw.group(1))
    assert raw.group(1) not in {stored.prefix, stored.digest, stored.name}
    assert raw.group(1) not in client.get("/account/tokens/").content.decode()


def test_token_revoke_from_the_page(alice: User) -> None:
    from backcast.services.platform.tokens import create_token

    stored, _ = create_token(alice, "old")
    client = logged_in(alice)
    token = csrf_token(client)
    response = client.post(f"/account/tokens/{stored.prefix}/revoke/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.revoked_at is not None


def test_token_form_rejects_a_bad_scope(alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    response = client.post("/account/tokens/", {"name": "x", "scope": "admin"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.exists()
